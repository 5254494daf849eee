"""Search writes. Services flush; the caller (view, CLI, test) commits."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from forum.actions import ActionError
from forum.extensions import db
from forum.models import SearchDeflection, SearchSynonym
from forum.models.base import utcnow
from forum.search import vocabulary


def count_suggestion_opened() -> None:
    """Someone opened a suggested similar topic while asking: one more for today
    (a count per day, nobody's name). One upsert, so concurrent opens add up."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    today = utcnow().astimezone(UTC).date()
    stmt = insert(SearchDeflection).values(day=today, opens=1)
    stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={"opens": SearchDeflection.opens + 1})
    db.session.execute(stmt)


MAX_ENTRIES = 30
ENTRY_MAX = 80


def _entries(raw: str) -> list[str]:
    out = []
    for part in raw.replace("\n", ",").split(","):
        entry = " ".join(vocabulary.words(part))
        if len(entry) > ENTRY_MAX:
            raise ActionError(f"Each word or phrase is at most {ENTRY_MAX} characters.", field="entries")
        if entry and entry not in out:
            out.append(entry)
    if len(out) > MAX_ENTRIES:
        raise ActionError(f"A group has at most {MAX_ENTRIES} words or phrases.", field="entries")
    return out


def set_synonym_group(*, key: str, entries: str) -> SearchSynonym:
    """Add or replace the admins' group for ``key`` (entries empty: switch off the
    shipped group containing ``key``). Takes effect on the next search; no reindex."""
    norm = " ".join(vocabulary.words(key or ""))
    if not norm:
        raise ActionError("Give the word or phrase the group is about (letters or digits).", field="key")
    if len(norm) > ENTRY_MAX:
        raise ActionError(f"The word or phrase is at most {ENTRY_MAX} characters.", field="key")
    others = [e for e in _entries(entries or "") if e != norm]
    row = db.session.scalar(select(SearchSynonym).where(SearchSynonym.key == norm))
    if row is None:
        row = SearchSynonym(key=norm)
        db.session.add(row)
    row.entries = ", ".join(others)
    db.session.flush()
    return row


def delete_synonym_override(row: SearchSynonym) -> None:
    """Drop an admin's group: the shipped list applies again for its words."""
    db.session.delete(row)
    db.session.flush()


def synonym_overrides() -> list[SearchSynonym]:
    return list(db.session.scalars(select(SearchSynonym).order_by(SearchSynonym.key)))


def synonym_groups() -> list[tuple[str, ...]]:
    """The synonym groups in force: the shipped file with the admins' overrides."""
    overrides = [(r.key, tuple(e.strip() for e in r.entries.split(",") if e.strip())) for r in synonym_overrides()]
    return vocabulary.merge_groups(vocabulary.shipped_groups(), overrides)


def synonyms() -> vocabulary.Synonyms:
    """What the search page passes to the backend (one small query per search)."""
    return vocabulary.Synonyms(synonym_groups())
