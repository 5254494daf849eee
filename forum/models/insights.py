"""Customer Care insights: rollup tables the dashboard reads instead of the posts table
(forum.insights.rollups keeps them), and the visitors' "Did you find what you needed?"
answers on solved topics."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class InsightTopicFact(db.Model):
    """One row per help topic: the times and outcomes the speed, resolution, satisfaction
    and team figures count, worked out from its posts and case transitions."""

    __tablename__ = "insight_topic_facts"
    __table_args__ = (
        # Every block reads the topics asked in a period, on all boards or one.
        Index("ix_insight_topic_facts_asked", "asked_at"),
        Index("ix_insight_topic_facts_category_asked", "category_id", "asked_at"),
        Index("ix_insight_topic_facts_satisfaction_at", "satisfaction_at"),
        # The most negative open topics.
        Index("ix_insight_topic_facts_sentiment", "sentiment"),
    )

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The day it was asked in the community's timezone, and the waits in whole seconds
    #: after ``asked_at``: cheap to read for a period's thousands of topics.
    asked_day: Mapped[date] = mapped_column(Date)
    response_s: Mapped[int | None] = mapped_column(Integer)
    staff_response_s: Mapped[int | None] = mapped_column(Integer)
    solve_s: Mapped[int | None] = mapped_column(Integer)
    #: The first public reply by anyone but the asker, and by someone in a staff role.
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_staff_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_staff_id: Mapped[int | None] = mapped_column(Integer)
    #: The first accepted solution or official answer.
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ``staff`` (an official answer, or an accepted reply by staff) or ``community``.
    solved_by: Mapped[str | None] = mapped_column(String(10))
    solver_id: Mapped[int | None] = mapped_column(Integer)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    satisfaction: Mapped[str | None] = mapped_column(String(3))
    satisfaction_score: Mapped[int | None] = mapped_column(Integer)
    satisfaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: VADER compound score of the title and opening post, -1 (negative) to 1.
    sentiment: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InsightDaily(db.Model):
    """A count per community-timezone day, board, metric and key: member posts by
    sentiment (``sentiment``: negative/neutral/positive), staff answers per agent
    (``answers``: the user id) and terms (``term``: the word or phrase)."""

    __tablename__ = "insight_daily"
    __table_args__ = (
        # One metric's keys over a period (sentiment, search, the chosen terms by day).
        Index("ix_insight_daily_metric_key_day", "metric", "key", "day"),
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class InsightTermHour(db.Model):
    """How many member posts used a term in one UTC hour on one board (spike detection)."""

    __tablename__ = "insight_term_hours"

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[str] = mapped_column(String(60), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class InsightRollupState(db.Model):
    """The rollup's watermarks (the last post and case transition counted) and when it ran."""

    __tablename__ = "insight_rollup_state"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ran_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FoundSurvey(db.Model):
    """A visitor's answer to "Did you find what you needed?" on a solved topic. No user."""

    __tablename__ = "insight_found_surveys"
    __table_args__ = (Index("ix_insight_found_surveys_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    category_id: Mapped[int] = mapped_column(Integer)
    found: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
