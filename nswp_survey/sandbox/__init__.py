"""A local Kobo-compatible (KPI API v2 + OpenRosa) server for tests, the demo and benchmarks.

It imports nothing from the rest of `nswp_survey` on purpose: it follows KPI's behaviour
(`shared/docs/kpi-api.md`, `shared/kobo-recordings/`) on its own, so a misreading of
Kobo's contract cannot hide in both the client and the server.

Example:
    from nswp_survey.sandbox import SandboxServer, Faults

    with SandboxServer(faults=Faults(script=["503"])) as server:
        ...  # point a client at server.url with `Authorization: Token {server.token}`
"""

from .faults import Faults
from .server import SandboxServer

__all__ = ["Faults", "SandboxServer"]
