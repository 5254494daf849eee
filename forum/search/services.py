"""Search writes. Services flush; the caller (view, CLI, test) commits."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from forum.extensions import db
from forum.models import SearchDeflection
from forum.models.base import utcnow


def count_suggestion_opened() -> None:
    """Someone opened a suggested similar topic while asking: one more for today
    (a count per day, nobody's name). One upsert, so concurrent opens add up."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    today = utcnow().astimezone(UTC).date()
    stmt = insert(SearchDeflection).values(day=today, opens=1)
    stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={"opens": SearchDeflection.opens + 1})
    db.session.execute(stmt)
