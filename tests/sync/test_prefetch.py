"""prefetch: same items in the same order, errors where they happened, bounded look-ahead."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from nswp_survey.prefetch import prefetch


def test_yields_every_item_in_order() -> None:
    assert list(prefetch(iter(range(50)))) == list(range(50))
    assert list(prefetch([])) == []


def test_an_error_comes_after_the_items_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 was cut off")

    seen = []
    with pytest.raises(ValueError, match="page 3 was cut off"):
        for item in prefetch(pages()):
            seen.append(item)
    assert seen == [1, 2]


@pytest.mark.parametrize("depth", [1, 3])
def test_reads_at_most_depth_items_ahead(depth: int) -> None:
    consumed = 0
    leads: list[int] = []

    def pages() -> Iterator[int]:
        for i in range(200):
            # items made but not yet taken: at most `depth` queued plus this one
            leads.append(i - consumed)
            yield i

    for item in prefetch(pages(), depth=depth):
        sum(range(2000))  # the consumer works a little, so the producer runs ahead
        consumed = item + 1
    assert max(leads) <= depth + 1
    assert max(leads) >= 1


def test_leaving_early_closes_the_source_iterator() -> None:
    closed = threading.Event()

    def pages() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    items = prefetch(pages())
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert closed.wait(5), "the producer thread did not stop"


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        next(prefetch([1], depth=0))
