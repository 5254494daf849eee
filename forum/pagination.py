"""``Page``: one page of a listing, for every feature's queries and the pagination macro."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
