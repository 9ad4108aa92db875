"""`nswp-survey sandbox` as a person starts it: a real process serving on 127.0.0.1."""

from __future__ import annotations

import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import requests


def test_sandbox_command_serves_kpi_and_writes_a_private_token(tmp_path: Path) -> None:
    token_file = tmp_path / "secret" / "token"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nswp_survey",
            "sandbox",
            "--port",
            "0",
            "--token-file",
            str(token_file),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        url = match.group(1)
        token = token_file.read_text().strip()
        assert len(token) == 40
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        ok = requests.get(
            f"{url}/api/v2/assets/", headers={"Authorization": f"Token {token}"}, timeout=10
        )
        assert ok.status_code == 200
        assert ok.json() == {"count": 0, "next": None, "previous": None, "results": []}
        bad = requests.get(
            f"{url}/api/v2/assets/", headers={"Authorization": "Token nope"}, timeout=10
        )
        assert (bad.status_code, bad.json()) == (401, {"detail": "Invalid token."})
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert token not in first + rest
