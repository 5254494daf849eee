"""The PostgreSQL search backend's tables (``FORUM_SEARCH_BACKEND=postgresql``).

``search_documents`` holds one row per searchable document (the same ids and fields as
the Whoosh index: see :mod:`forum.search.documents`) with a weighted ``tsvector``
(A title, B official or accepted answer, C body) under a GIN index; ``search_words``
counts, for "Did you mean" and typo tolerance, the documents each unstemmed word
occurs in, under a trigram index (``pg_trgm``). Both are written by
:mod:`forum.search.pg` in the same transaction as the posts they come from.

The tables exist on SQLite too (empty: that backend is PostgreSQL-only), so the schema
is the same on both databases; ``tsv`` is plain text there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db


class SearchDocument(db.Model):
    __tablename__ = "search_documents"

    #: ``t:<topic id>``, ``p:<post id>`` or ``q:<question id>``.
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    topic_id: Mapped[int] = mapped_column(Integer)
    post_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    category: Mapped[str] = mapped_column(String(120), default="")
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    activity: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    kudos: Mapped[int] = mapped_column(Integer, default=0)
    #: The distinct normalised (unstemmed) words of title and body, space-separated:
    #: what this document adds to ``search_words``.
    spell: Mapped[str] = mapped_column(Text, default="")
    #: :func:`forum.search.documents.signature`, compared by ``forum search check``.
    sig: Mapped[str] = mapped_column(String(32), default="")
    tsv: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))

    __table_args__ = (Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),)


class SearchWord(db.Model):
    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: How many documents contain the word (in their title or body).
    docs: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_search_words_trgm", "word", postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"}),
    )
