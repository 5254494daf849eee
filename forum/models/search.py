"""Search: the outbox that keeps the Whoosh index consistent with the database,
and the anonymous daily count of suggested topics opened while asking."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class SearchOutbox(db.Model):
    """One pending change to the search index, written in the same transaction as the
    change itself. The indexer reads the document's current state from the database
    when it applies the row, so a row says only *which* document to refresh."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``topic``, ``post`` or ``qa`` (an answered Q&A question).
    doc_type: Mapped[str] = mapped_column(String(10))
    doc_id: Mapped[int] = mapped_column(Integer)
    #: ``index`` (add or refresh from the database) or ``delete``.
    action: Mapped[str] = mapped_column(String(10), default="index", server_default="index")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SearchDeflection(db.Model):
    """How many times, per day, someone opened a suggested similar topic while asking.
    A count only: nothing about who."""

    __tablename__ = "search_deflections"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    opens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SearchSynonym(db.Model):
    """An admin's change to the shipped synonym list (``forum/data/search_synonyms.txt``),
    applied at query time: no reindex. ``entries`` empty removes the shipped group(s)
    containing ``key``; otherwise the group ``key, entries...`` replaces them (or is added)."""

    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A normalised word or phrase ("switch network").
    key: Mapped[str] = mapped_column(String(80), unique=True)
    #: The other words or phrases of the group, comma-separated (normalised).
    entries: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SearchEvent(db.Model):
    """One search, for staff's search insights: what was asked (normalised), how many
    results, how fast, and which result was opened. No user id: at most a hash of a
    random per-browser-session value. Rows older than ``SEARCH_ANALYTICS_DAYS`` go."""

    __tablename__ = "search_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random, put in the result links' ``ping`` so a click finds its search.
    key: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: ``page`` (the search page) or ``suggest`` (similar topics while typing a title).
    source: Mapped[str] = mapped_column(String(10), default="page", server_default="page")
    #: The query as normalised for search (lower case, no accents, words only).
    query: Mapped[str] = mapped_column(String(256), index=True)
    #: The filters, e.g. ``resolved,type=reply`` ("" for none).
    filters: Mapped[str] = mapped_column(String(200), default="", server_default="")
    result_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    latency_ms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    page: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    session_hash: Mapped[str | None] = mapped_column(String(16), index=True)
    #: The document opened from the results and its rank (1 = first), if any.
    clicked_doc: Mapped[str | None] = mapped_column(String(24))
    clicked_rank: Mapped[int | None] = mapped_column(Integer)
