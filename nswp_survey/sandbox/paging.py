"""DRF LimitOffsetPagination as KPI configures it (`kpi/paginators.py` DefaultPagination).

`next`/`previous` are the request's absolute URL with `limit`/`start` replaced; DRF's
`replace_query_param` re-encodes every parameter, sorted by name (hence
`?fields=%5B%22_id%22%2C+%22_uuid%22%5D&limit=1000&start=1000` in the recordings).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .web import Request

DEFAULT_LIMIT = 100  # kobo/settings/base.py DEFAULT_API_PAGE_SIZE
MAX_LIMIT = 1000  # kobo/settings/base.py MAX_API_PAGE_SIZE


def positive_int(value: str | int | None, strict: bool = False, cutoff: int | None = None) -> int:
    """rest_framework.pagination._positive_int."""
    if value is None:
        raise TypeError("no value")
    ret = int(value)
    if ret < 0 or (ret == 0 and strict):
        raise ValueError(value)
    if cutoff:
        return min(ret, cutoff)
    return ret


def replace_query_param(url: str, key: str, val: object) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    query_dict = parse_qs(query, keep_blank_values=True)
    query_dict[key] = [str(val)]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(query_dict.items()), doseq=True), fragment)
    )


def remove_query_param(url: str, key: str) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    query_dict = parse_qs(query, keep_blank_values=True)
    query_dict.pop(key, None)
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(query_dict.items()), doseq=True), fragment)
    )


class Paginator:
    """get_limit/get_offset/get_next_link/get_previous_link of DefaultPagination."""

    def __init__(self, req: Request) -> None:
        self.url = req.base_url + req.path + (f"?{urlencode(req.query)}" if req.query else "")
        page_number = self._non_strict(req.param("page"))
        limit: str | int | None = req.param("limit")
        if limit is None and page_number:
            limit = self._page_size(req)
        if limit is None:
            limit = DEFAULT_LIMIT
        try:
            self.limit = positive_int(limit, strict=True, cutoff=MAX_LIMIT)
        except (TypeError, ValueError):
            self.limit = DEFAULT_LIMIT
        offset: str | int | None = req.param("start") or req.param("offset")
        if offset is None and page_number:
            offset = (page_number - 1) * (self._page_size(req) or DEFAULT_LIMIT)
        try:
            self.offset = positive_int(offset, strict=True)
        except (TypeError, ValueError):
            self.offset = 0
        self.count = 0

    @staticmethod
    def _non_strict(value: str | None) -> int | None:
        try:
            return positive_int(value)
        except (TypeError, ValueError):
            return None

    @staticmethod
    def _page_size(req: Request) -> int | None:
        try:
            return positive_int(
                req.param("page_size") or DEFAULT_LIMIT, strict=True, cutoff=MAX_LIMIT
            )
        except (TypeError, ValueError):
            return None

    def window(self, count: int) -> tuple[int, int] | None:
        """paginate_queryset: the slice to show, or None for an empty page."""
        self.count = count
        if count == 0 or self.offset > count:
            return None
        return self.offset, self.limit

    def next_link(self) -> str | None:
        if self.offset + self.limit >= self.count:
            return None
        url = replace_query_param(self.url, "limit", self.limit)
        return replace_query_param(url, "start", self.offset + self.limit)

    def previous_link(self) -> str | None:
        if self.offset <= 0:
            return None
        url = replace_query_param(self.url, "limit", self.limit)
        if self.offset - self.limit <= 0:
            return remove_query_param(url, "start")
        return replace_query_param(url, "start", self.offset - self.limit)
