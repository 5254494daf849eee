"""Categories, help topics and their threaded posts."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.users import User


def slugify(text: str, max_length: int = 60, *, fallback: str = "topic") -> str:
    """ASCII slug for URLs: ``"No 4G in Leeds!"`` -> ``"no-4g-in-leeds"``; ``fallback``
    when nothing ASCII is left (a name written only in another script)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or fallback


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Sort order on the home page, lowest first.
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Denormalised count of the board's topics, kept by the topic services, so that
    #: the home page and pagination never count a large table.
    topic_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: helpdesk: hours within which a waiting topic should get a response (the staff queue
    #: colours waits against it); ``None`` uses ``FORUM_RESPONSE_TARGET_HOURS``.
    response_target_hours: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Renewed by every commit that changes what the board's pages show (forum.visitorcache):
    #: part of the key of the visitor's cached board page. Written only there.
    page_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __repr__(self) -> str:
        return f"<Category {self.slug!r}>"


class PageGeneration(db.Model):
    """One row: a number renewed by every commit that changes what many pages show at
    once (a member's name, avatar or role, a board, an incident link): part of the key of
    every cached visitor page (forum.visitorcache)."""

    __tablename__ = "page_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Topic(db.Model):
    __tablename__ = "topics"
    __table_args__ = (
        # The category page: pinned first, then by last activity, covering the "not merged"
        # filter, so a deep page skips index entries, not table rows (issue 16).
        Index("ix_topics_category_page", "category_id", "is_pinned", "last_post_at", "id", "merged_into_id"),
        # The home page: latest activity across all boards.
        Index("ix_topics_last_post_at", "last_post_at"),
        # helpdesk: the category page filtered by case state (resolved / unresolved), unanswered, issue label.
        Index("ix_topics_category_state", "category_id", "state", "is_pinned", "last_post_at"),
        Index("ix_topics_category_replies", "category_id", "reply_count", "is_pinned", "last_post_at"),
        Index("ix_topics_category_label", "category_id", "issue_label", "is_pinned", "last_post_at"),
        # helpdesk: the staff queue ("needs a response"), oldest wait first (all boards, or one board) ...
        Index("ix_topics_queue", "state", "waiting_since", "id"),
        Index("ix_topics_queue_category", "category_id", "state", "waiting_since", "id"),
        # ... and auto-resolution: answered topics by when they were answered.
        Index("ix_topics_state_answered", "state", "answered_at"),
        # The home page's popular solved topics: resolved topics by replies.
        Index("ix_topics_state_replies", "state", "reply_count", "last_post_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Denormalised for the category page: kept by the topic services.
    reply_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_poster_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: When Customer Care last contacted a member privately about this topic (see
    #: ``TopicContact``); the page shows a notice, no query needed. Kept by forum.messages.
    private_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Locked topics take no new replies (moderators still can); see forum.moderation.
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: Set when a moderator merged this topic into another; its page then redirects there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"))
    #: How many times the title was edited (each edit is a TopicRevision).
    title_revision_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Page views, at most one per viewer per window, added in batches by
    #: forum.topics.viewcounts (never one write per page view).
    view_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Renewed by every commit that changes what the topic's pages show (its posts, their
    #: authors, answers, state): part of the key of the visitor's cached topic page
    #: (forum.visitorcache). Written only there.
    page_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    category: Mapped[Category] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])

    # --- helpdesk: answers, resolved state, satisfaction, staff queue ---
    #: The reply staff marked as the official answer (one per topic; marking another replaces it).
    official_answer_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL"), index=True
    )
    official_marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    official_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The reply the topic's author accepted as the solution.
    solution_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL"), index=True
    )
    solution_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The case state (forum.models.cases): ``waiting``, ``answered``, ``resolved`` or
    #: ``reopened``; ``None`` for announcements and staff-started topics. The one stored state
    #: that the filters, the staff queue, search and the badge read; changed only by
    #: forum.helpdesk.cases, which records each change as a CaseTransition.
    state: Mapped[str | None] = mapped_column(String(10))
    #: When the current wait for Customer Care began (kept while answered, so a "No" puts
    #: the topic back at its original waiting time).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When staff last answered (the auto-resolve clock) and when the asker was reminded.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A staff-set issue label (forum.models.cases.ISSUE_LABELS), optionally linked to an incident.
    issue_label: Mapped[str | None] = mapped_column(String(20))
    #: (No foreign key: incidents are never deleted, and SQLite cannot add one to a filled
    #: table; the service checks that the incident exists.)
    issue_incident_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A public note on the resolved state, e.g. why a topic is unresolved again.
    resolution_note: Mapped[str | None] = mapped_column(Text)
    #: The author's answer to "Did this solve your problem?": ``yes``, ``no`` or ``None``.
    satisfaction: Mapped[str | None] = mapped_column(String(3))
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    #: insights: the 1-5 score the author gave after answering Yes (``None`` when not given).
    satisfaction_score: Mapped[int | None] = mapped_column(Integer)
    satisfaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when anyone acting for the brand replies; the staff queue lists topics without one.
    has_staff_reply: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: The agent the topic is assigned to, and since when (until they release or answer it;
    #: forum.helpdesk.assignment).
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    official_marked_by: Mapped[User | None] = relationship(foreign_keys=[official_marked_by_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])

    @property
    def slug(self) -> str:
        return slugify(self.title)

    @hybrid_property
    def is_resolved(self) -> bool:
        """Read from the case state (there is no separate flag)."""
        return self.state == "resolved"

    @is_resolved.inplace.expression
    @classmethod
    def _is_resolved_expression(cls):
        return cls.state == "resolved"

    @property
    def is_unanswered(self) -> bool:
        return self.reply_count == 0

    def __repr__(self) -> str:
        return f"<Topic {self.id} {self.title!r}>"


class Post(db.Model):
    """A post in a topic. The opening post has ``is_first``; a reply either answers the
    topic (``parent_id`` is ``None``, a top-level thread) or one post (``parent_id``)."""

    __tablename__ = "posts"
    __table_args__ = (
        # Topic pages: the top-level threads of a topic in order ...
        Index("ix_posts_topic_parent", "topic_id", "parent_id", "id"),
        # ... counted and paged from the index alone (is_first included: issue 16).
        Index("ix_posts_topic_threads", "topic_id", "parent_id", "is_first", "id"),
        # ... and every reply in those threads.
        Index("ix_posts_topic_root", "topic_id", "thread_root_id", "id"),
        # Unread tracking: a topic's posts after a member's read position.
        Index("ix_posts_topic_id_id", "topic_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_first: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: The post this one answers; ``None`` for the opening post and top-level replies.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    #: The top-level reply whose thread this post belongs to; ``None`` when it is one.
    thread_root_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    #: 0 for the opening post and top-level replies, parent's depth + 1 below.
    depth: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The Markdown source, as the author wrote it.
    body: Mapped[str] = mapped_column(Text)
    #: Sanitised HTML rendered from ``body`` by :mod:`forum.markup`. Never set directly.
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: How many times the text was edited; each edit is a PostRevision (forum.models.revisions).
    revision_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The reason of the latest edit by someone other than the author, shown on the post.
    moderator_edit_reason: Mapped[str | None] = mapped_column(Text)
    #: Hidden by moderation: kept in the database, replaced by a placeholder for readers.
    is_hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    #: Hidden because it exposed personal data (or as spam): only staff may open the original.
    hidden_staff_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    #: helpdesk: denormalised number of kudos, kept by the kudos service.
    kudos_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    topic: Mapped[Topic] = relationship(foreign_keys=[topic_id])
    author: Mapped[User] = relationship(foreign_keys="Post.author_id")
    parent: Mapped[Post | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    @property
    def anchor(self) -> str:
        return f"p{self.id}"

    def __repr__(self) -> str:
        return f"<Post {self.id} in topic {self.topic_id}>"
