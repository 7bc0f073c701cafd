"""Sorting, filtering and pagination of list pages from the query string.

Bad values (``?page=abc``, an unknown sort key) fall back to defaults: a URL
typed by hand never causes an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select

from webapp.extensions import db

PER_PAGE_CHOICES = (10, 25, 50, 100)


@dataclass
class Listing:
    pagination: Any
    sort: str
    direction: str
    args: dict[str, str]

    @property
    def items(self) -> list[Any]:
        return self.pagination.items


def _int_arg(name: str, default: int) -> int:
    try:
        return min(max(1, int(request.args.get(name, default))), 100_000)
    except (TypeError, ValueError):
        return default


def list_page(stmt: Select, sortable: dict[str, Any], default_sort: str,
              *, default_direction: str = "asc", tiebreak: Any = None) -> Listing:
    sort = request.args.get("tri", default_sort)
    if sort not in sortable:
        sort = default_sort
    direction = request.args.get("ordre", default_direction)
    if direction not in ("asc", "desc"):
        direction = default_direction
    column = sortable[sort]
    order = column.desc() if direction == "desc" else column.asc()
    stmt = stmt.order_by(order, *([tiebreak] if tiebreak is not None else []))
    per_page = _int_arg("par_page", 25)
    if per_page not in PER_PAGE_CHOICES:
        per_page = 25
    page = _int_arg("page", 1)
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    if page > 1 and not pagination.items and pagination.pages:
        pagination = db.paginate(stmt, page=pagination.pages, per_page=per_page, error_out=False)
    # Kept for the sort and page links. Names url_for takes for itself (``endpoint``,
    # ``_method``, ``_external``…) would break those links: they are dropped.
    args = {k: v for k, v in request.args.items()
            if k not in ("page", "endpoint", "values") and not k.startswith("_")}
    return Listing(pagination, sort, direction, args)
