"""Fault injection: latency, 5xx, 429, dropped connections, HTML and truncated bodies.

None of this is KPI behaviour; it imitates what a client meets between itself and a
hosted KPI (proxy 502/504, rate limits at the proxy, login pages, cut connections).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = ("500", "502", "503", "504", "429", "drop", "drop_midbody", "html", "truncate")
_ERROR_STATUSES = ("500", "502", "503", "504")


@dataclass
class Faults:
    """What to inject. Rates are shares of requests (0.0-1.0); `script` is consumed first."""

    latency: float = 0.0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int | None = None
    script: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in ("latency", "error_rate", "throttle_rate", "drop_rate"):
            value = float(getattr(self, name))
            if value < 0:
                raise ValueError(f"{name} must be >= 0")
            setattr(self, name, value)
        self.script = [str(item) for item in self.script]
        for item in self.script:
            if item not in (*FAULT_KINDS, "ok"):
                raise ValueError(f"unknown scripted fault {item!r}")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Faults:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**known)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Thread-safe decision maker: one call to `next_fault()` per faultable request."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = Faults()
        self._script: list[str] = []
        self._rng = random.Random()
        self.configure(faults or Faults())

    def configure(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._script = list(faults.script)
            self._rng = random.Random(faults.seed)

    @property
    def faults(self) -> Faults:
        with self._lock:
            remaining = list(self._script)
            current = self._faults
        return Faults(
            latency=current.latency,
            error_rate=current.error_rate,
            throttle_rate=current.throttle_rate,
            drop_rate=current.drop_rate,
            seed=current.seed,
            script=remaining,
        )

    def latency(self) -> float:
        with self._lock:
            return self._faults.latency

    def next_fault(self) -> str | None:
        """The fault for this request ('500', '429', 'drop', ...) or None to answer normally."""
        with self._lock:
            if self._script:
                item = self._script.pop(0)
                return None if item == "ok" else item
            f = self._faults
            if not (f.error_rate or f.throttle_rate or f.drop_rate):
                return None
            roll = self._rng.random()
            if roll < f.error_rate:
                return self._rng.choice(_ERROR_STATUSES)
            roll -= f.error_rate
            if roll < f.throttle_rate:
                return "429"
            roll -= f.throttle_rate
            if roll < f.drop_rate:
                return self._rng.choice(("drop", "drop_midbody"))
            return None
