"""Slices of long lists addressed by a query parameter, with counts known in advance.

A page is `?pour=3`: bookmarkable, and it works without JavaScript. Where the
list's order is a stored position (number order), page N is a range of
positions, read from an index whatever N is. Where the order moves
(the most supported first), the previous / next links also carry the sort key
of the row they continue from (`?pour=3&pour_apres=0.0.412`), so following
them reads the next rows from the index (keyset) instead of skipping the
first ones (offset); a bare page number still works, at an offset's cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict

AFTER, BEFORE = "apres", "avant"


def page_number(query: QueryDict, param: str) -> int:
    """Return the 1-based page asked for in `param`; malformed values mean page 1."""
    try:
        return max(1, int(query.get(param, "1")))
    except ValueError:
        return 1


def parse_key(value: str | None, length: int) -> tuple[int, ...] | None:
    """Return the sort key written in a cursor (`0.3.412`), or None when malformed."""
    if not value:
        return None
    try:
        key = tuple(int(part) for part in value.split("."))
    except ValueError:
        return None
    if len(key) != length or any(abs(part) >= 2**62 for part in key):
        return None
    return key


@dataclass(frozen=True)
class PageLink:
    """One entry of a pager: a page number and its address, or a gap (number None)."""

    number: int | None
    url: str = ""


@dataclass(frozen=True)
class Window:
    """One page of a list whose total is a stored counter (no COUNT query)."""

    param: str
    number: int
    total: int
    size: int
    query: QueryDict
    # Sort keys of the first and last rows shown, for the keyset links.
    first_key: str = ""
    last_key: str = ""

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

    def cursor(self, direction: str) -> str | None:
        """Return the sort key this request continues from (`apres` or `avant`), if any."""
        return self.query.get(f"{self.param}_{direction}")

    def with_keys(self, first: Sequence[int], last: Sequence[int]) -> Window:
        """Return this window knowing the sort keys of its first and last rows."""
        return replace(
            self,
            first_key=".".join(str(part) for part in first),
            last_key=".".join(str(part) for part in last),
        )

    def url_for(self, number: int, **cursor: str) -> str:
        """Return the query string for page `number`, other parameters kept."""
        query = self.query.copy()
        query[self.param] = str(number)
        for direction in (AFTER, BEFORE):
            query.pop(f"{self.param}_{direction}", None)
        for direction, key in cursor.items():
            if key:
                query[f"{self.param}_{direction}"] = key
        return "?" + query.urlencode()

    @property
    def previous_url(self) -> str:
        if self.number == 2:
            return self.url_for(1)
        return self.url_for(self.number - 1, **{BEFORE: self.first_key})

    @property
    def next_url(self) -> str:
        return self.url_for(self.number + 1, **{AFTER: self.last_key})

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


def keyset_slice(
    queryset: QuerySet[Model], window: Window, keys: Sequence[str], table: str
) -> tuple[Window, list[Model]]:
    """Return one page of `queryset`, ordered by `keys` descending, and its window.

    With a cursor, a row comparison `(k1, k2) < (…)` that the index on the
    same columns answers as a range; without one, an offset.
    """
    size = window.size
    columns = ", ".join(f'"{table}"."{key}"' for key in keys)
    marks = ", ".join(["%s"] * len(keys))
    descending = queryset.order_by(*(f"-{key}" for key in keys))
    after = parse_key(window.cursor(AFTER), len(keys))
    before = parse_key(window.cursor(BEFORE), len(keys))
    if after is not None and window.number > 1:
        condition = RawSQL(f"({columns}) < ({marks})", after, output_field=BooleanField())
        rows = list(descending.filter(condition)[:size])
    elif before is not None and window.number > 1:
        condition = RawSQL(f"({columns}) > ({marks})", before, output_field=BooleanField())
        ascending = queryset.filter(condition).order_by(*keys)
        rows = list(reversed(ascending[:size]))
    else:
        rows = list(descending[window.start : window.end])
    if rows:
        window = window.with_keys(
            [getattr(rows[0], key) for key in keys], [getattr(rows[-1], key) for key in keys]
        )
    return window, rows
