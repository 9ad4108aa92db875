"""How long-running services report progress without knowing about terminals.

A service takes a `ProgressFactory`; `with progress("Syncing", total) as advance:` yields a
callback that the service calls with the number of items done. The CLI passes one that draws
a bar; the scheduler and tests pass `no_progress`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

Advance = Callable[[int], None]
ProgressFactory = Callable[[str, int | None], AbstractContextManager[Advance]]


@contextmanager
def no_progress(description: str, total: int | None) -> Iterator[Advance]:
    """The default progress reporter: reports nothing."""
    yield lambda n: None
