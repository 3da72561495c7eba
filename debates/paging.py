"""Slices of long lists addressed by a query parameter, with counts known in advance."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict


def page_number(query: QueryDict, param: str) -> int:
    """Return the 1-based page asked for in `param`; malformed values mean page 1."""
    try:
        return max(1, int(query.get(param, "1")))
    except ValueError:
        return 1


@dataclass(frozen=True)
class PageLink:
    """One entry of a pager: a page number and its address, or a gap (number None)."""

    number: int | None
    url: str = ""


@dataclass(frozen=True)
class Window:
    """One page of a list whose total was counted by an annotation (no COUNT query)."""

    param: str
    number: int
    total: int
    size: int
    query: QueryDict

    @classmethod
    def of(cls, query: QueryDict, param: str, total: int, size: int) -> Window:
        """Return the asked page, clamped to the last page that exists."""
        last = max(1, -(-total // size))
        return cls(param, min(page_number(query, param), last), total, size, query)

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size

    @property
    def end(self) -> int:
        return self.start + self.size

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.page_count

    def url_for(self, number: int) -> str:
        """Return the query string for page `number`, other parameters kept."""
        query = self.query.copy()
        query[self.param] = str(number)
        return "?" + query.urlencode()

    @property
    def previous_url(self) -> str:
        return self.url_for(self.number - 1)

    @property
    def next_url(self) -> str:
        return self.url_for(self.number + 1)

    def links(self, around: int = 2) -> list[PageLink]:
        """Return the pages a pager lists: the first, the last and `around` either side.

        Skipped runs of pages become one gap, so a long debate is crossed in a
        few clicks instead of page by page.
        """
        wanted = {1, self.page_count, *range(self.number - around, self.number + around + 1)}
        links: list[PageLink] = []
        previous = 0
        for number in sorted(n for n in wanted if 1 <= n <= self.page_count):
            if number > previous + 1:
                links.append(PageLink(None))
            links.append(PageLink(number, self.url_for(number)))
            previous = number
        return links
