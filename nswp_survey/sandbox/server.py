"""SandboxServer: a local KPI-compatible HTTP server with fault injection.

Stdlib `ThreadingHTTPServer`, HTTP/1.1 keep-alive. Everything KPI-shaped lives in
`app.py` and the route modules; this module adds transport concerns only: faults,
request statistics, and the `/__sandbox__/` control endpoints (outside KPI's namespace).
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .app import SandboxApp, path_kind
from .faults import FaultInjector, Faults
from .storage import Storage, dumps
from .web import JSON_TYPE, Request, Response

log = logging.getLogger(__name__)

_FAULTABLE_PREFIXES = ("/api/v2/", "/token", "/forms/", "/formList")
_NGINX_PAGES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}
_LOGIN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>KoboToolbox | Log in</title></head>"
    b'<body><form method="post" action="/accounts/login/">'
    b'<input type="text" name="login"><input type="password" name="password">'
    b"<button>Login</button></form></body></html>"
)


class Stats:
    """Request counters for benchmarks: total, by path kind, by method, faults injected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_kind: Counter[str] = Counter()
            self.by_method: Counter[str] = Counter()
            self.faults: Counter[str] = Counter()

    def count(self, kind: str, method: str) -> None:
        with self._lock:
            self.total += 1
            self.by_kind[kind] += 1
            self.by_method[method] += 1

    def count_fault(self, fault: str) -> None:
        with self._lock:
            self.faults[fault] += 1

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {"total": self.total, "by_kind": dict(self.by_kind),
                    "by_method": dict(self.by_method), "faults": dict(self.faults)}  # fmt: skip


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    sandbox: SandboxServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver prints tracebacks to stderr (e.g. a client hanging up); log instead
        log.debug("connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each keep-alive answer waits
    # ~40 ms for the client's delayed ACK. Real servers (gunicorn, nginx) set TCP_NODELAY too.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        sandbox = self.server.sandbox
        parts = urlsplit(self.path)
        body = self._read_body()
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{sandbox.port}"
        req = Request(
            method=self.command, path=parts.path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()}, body=body,
            base_url=f"http://{host}",
        )  # fmt: skip
        if parts.path.startswith("/__sandbox__/"):
            self._send(sandbox.control(req))
            return
        kind = path_kind(parts.path)
        sandbox.stats.count(kind, self.command)
        fault = None
        if parts.path.startswith(_FAULTABLE_PREFIXES) or kind in ("submission", "formList"):
            latency = sandbox.injector.latency()
            if latency:
                time.sleep(latency)
            fault = sandbox.injector.next_fault()
        if fault:
            sandbox.stats.count_fault(fault)
            log.debug("injecting fault %s on %s %s", fault, self.command, parts.path)
            if fault == "drop":
                self.close_connection = True  # close before sending a single byte
                return
            if fault.isdigit() or fault == "html":
                self._send(_fault_response(fault))
                return
        response = sandbox.handle(req)
        if fault == "truncate":
            half = response.body[: len(response.body) // 2]
            response = Response(200, half, {**response.headers})
        self._send(response, cut_midbody=fault == "drop_midbody")

    def _send(self, response: Response, cut_midbody: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        body = response.body if response.status not in (204, 304) else b""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if cut_midbody:
            # headers promised the full Content-Length; send half, then close
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _handle


def _fault_response(fault: str) -> Response:
    if fault == "html":  # a proxy/SSO login page answered with 200
        return Response(200, _LOGIN_PAGE, {"Content-Type": "text/html; charset=utf-8"})
    status = int(fault)
    if status == 429:  # DRF's Throttled (rest_framework/exceptions.py), with Retry-After
        detail = {"detail": "Request was throttled. Expected available in 1 second."}
        return Response(
            429, dumps(detail).encode(), {"Content-Type": JSON_TYPE, "Retry-After": "1"}
        )
    if status == 500:  # kpi's JSON handler500
        return Response(
            500, dumps({"error": "Server Error (500)"}).encode(), {"Content-Type": JSON_TYPE}
        )
    title = _NGINX_PAGES[status]
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Response(status, page.encode(), {"Content-Type": "text/html"})


class SandboxServer:
    """A KPI API v2 + OpenRosa server on 127.0.0.1 for tests, the demo and benchmarks.

    Example:
        with SandboxServer() as server:
            requests.get(f"{server.url}/api/v2/assets/",
                         headers={"Authorization": f"Token {server.token}"})
    """

    def __init__(
        self, db_path: str | Path | None = None, host: str = "127.0.0.1", port: int = 0,
        token: str | None = None, username: str = "nswp", faults: Faults | None = None,
    ) -> None:  # fmt: skip
        self.store = Storage(db_path)
        self.app = SandboxApp(
            self.store, username, secrets.token_urlsafe(12), token or secrets.token_hex(20)
        )
        self.injector = FaultInjector(faults)
        self.stats = Stats()
        try:
            self._httpd = _HTTPServer((host, port), _Handler)
        except BaseException:
            self.store.close()  # the port is taken or the host unknown: do not leak the file
            raise
        self._httpd.sandbox = self
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self.app.submissions.base_url = self.url
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def token(self) -> str:
        return self.app.token

    @property
    def password(self) -> str:
        return self.app.password

    @property
    def username(self) -> str:
        return self.app.username

    def set_faults(self, faults: Faults) -> None:
        self.injector.configure(faults)

    def ingest_xml(self, xml_bytes: bytes) -> dict[str, Any]:
        """The POST /submission code path without HTTP, for fast seeding."""
        result = self.app.submissions.ingest(xml_bytes, submitted_by=self.app.username)
        return {"status": result.status, "_id": result.submission_id}

    def handle(self, req: Request) -> Response:
        try:
            return self.app.dispatch(req)
        except Exception:  # any uncaught error is Django's 500, JSON-rendered by kpi
            log.debug("sandbox error on %s %s", req.method, req.path, exc_info=True)
            return Response(
                500, dumps({"error": "Server Error (500)"}).encode(), {"Content-Type": JSON_TYPE}
            )

    def control(self, req: Request) -> Response:
        """/__sandbox__/faults (GET/POST) and /__sandbox__/stats (GET/DELETE), token auth."""
        try:
            user = self.app.authenticate(req.header("authorization"))
        except Exception:
            user = None
        if user is None:
            detail = {"detail": "Authentication credentials were not provided."}
            return Response(401, dumps(detail).encode(), {"Content-Type": JSON_TYPE})
        if req.path == "/__sandbox__/faults" and req.method in ("GET", "POST", "PUT"):
            if req.method != "GET":
                try:
                    self.set_faults(Faults.from_json(json.loads(req.body or b"{}")))
                except (ValueError, TypeError) as err:
                    return Response(
                        400, dumps({"detail": str(err)}).encode(), {"Content-Type": JSON_TYPE}
                    )
            return Response(
                200, dumps(self.injector.faults.to_json()).encode(), {"Content-Type": JSON_TYPE}
            )
        if req.path == "/__sandbox__/stats" and req.method in ("GET", "DELETE"):
            if req.method == "DELETE":
                self.stats.reset()
                return Response(204)
            return Response(200, dumps(self.stats.to_json()).encode(), {"Content-Type": JSON_TYPE})
        return Response(404, dumps({"detail": "Not found."}).encode(), {"Content-Type": JSON_TYPE})

    def start(self) -> SandboxServer:
        with self._lock:
            if self._thread is None:
                # A short poll interval: stop() waits for the loop's next poll, and tests
                # start and stop a sandbox for each test.
                self._thread = threading.Thread(
                    target=self._httpd.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name="nswp-sandbox",
                    daemon=True,
                )
                self._thread.start()
                log.debug("sandbox listening on %s", self.url)
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground (the CLI's `nswp-survey sandbox`) until interrupted."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()
            self.store.close()

    def stop(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._httpd.shutdown()
                self._thread.join()
                self._thread = None
            self._httpd.server_close()
            self.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
