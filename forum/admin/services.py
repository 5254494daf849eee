"""Category administration. Services flush; the caller commits."""

from __future__ import annotations

import unicodedata

from sqlalchemy import func, select

from forum.actions import ActionError
from forum.extensions import db
from forum.models import Category
from forum.models.topics import slugify
from forum.text import clean_line, collapse_whitespace, normalise_newlines

CONTROL_MESSAGE = "Board names and descriptions cannot contain control characters."


class CategoryError(ActionError):
    """A refused board change (shown on the form's name field unless it names another)."""


def _clean(name: str, description: str) -> tuple[str, str]:
    """Collapse whitespace in the name, normalise the description's newlines and
    refuse control characters, which PostgreSQL cannot store (NUL) and no page
    should show."""
    description = normalise_newlines(description).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in collapse_whitespace(name) + description):
        raise CategoryError(CONTROL_MESSAGE, field="name")
    name = clean_line(name, field="name", min_length=2, max_length=80,
                      length_message="Board names are 2 to 80 characters long.", error=CategoryError)
    return name, description


def create_category(*, name: str, description: str = "", slug: str | None = None) -> Category:
    name, description = _clean(name, description)
    position = (db.session.scalar(select(func.max(Category.position))) or 0) + 1
    # A name with no ASCII letters (e.g. "Роуминг") gets a numbered address, not a clash.
    slug = slugify(slug or name, max_length=80, fallback=f"board-{position}")
    if db.session.scalar(select(Category.id).where(Category.slug == slug)):
        raise CategoryError(f"A board with the address /c/{slug} already exists.")
    category = Category(name=name, slug=slug, description=description, position=position)
    db.session.add(category)
    db.session.flush()
    return category


def rename_category(category: Category, *, name: str, description: str) -> None:
    name, description = _clean(name, description)
    category.name = name
    category.description = description
    db.session.flush()


def move_category(category: Category, direction: int) -> bool:
    """Swap the board with its neighbour above (-1) or below (+1)."""
    ordered = list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))
    for i, cat in enumerate(ordered):  # normalise positions to 1..n first
        cat.position = i + 1
    index = ordered.index(category)
    other = index + direction
    if not 0 <= other < len(ordered):
        return False
    ordered[index].position, ordered[other].position = ordered[other].position, ordered[index].position
    db.session.flush()
    return True
