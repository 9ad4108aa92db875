"""Read ahead from an iterator in a background thread, so waiting and working overlap.

A sync spends its time in two places that do not depend on each other: waiting for the
server to send the next page, and storing the page it has. `prefetch` runs the page iterator
in a thread that stays at most `depth` items ahead (memory stays bounded), so the next page
is on its way while the current one is committed. Order is kept; an exception raised by the
iterator is raised to the consumer at the point where its item would have come, after every
item before it. Closing the returned generator (or leaving its `for` loop early) stops the
thread at its next step; it is a daemon, so it never keeps the process alive.

Only use it when the consumer does not touch what the producer uses (e.g. the same HTTP
session) while the loop runs.

Example:
    for page in prefetch(client.submissions.iter_keyset_pages(uid)):
        commit_page(engine, uid, rows_of(page), ...)
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_POLL = 0.1  # seconds between checks of the stop flag while the consumer is busy


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _Done:
    pass


_DONE = _Done()


def prefetch(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """Yield `items` in order while a thread fetches up to `depth` items ahead."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    buffer: queue.Queue[T | _Failed | _Done] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: T | _Failed | _Done) -> bool:
        """Put `item` when there is room; False if the consumer went away meanwhile."""
        while not stop.is_set():
            try:
                buffer.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as err:  # handed to the consumer, raised there
            offer(_Failed(err))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
