"""Insights writes: the visitors' survey answer. Flushes; the boundary commits."""

from __future__ import annotations

from forum.actions import ActionError
from forum.extensions import db
from forum.models import FoundSurvey, Topic
from forum.permissions import can_answer_found_survey


def record_found(topic: Topic, *, user, found: bool) -> FoundSurvey:
    """A visitor's answer to "Did you find what you needed?" on a solved topic."""
    if not can_answer_found_survey(user, topic):
        raise ActionError("Only visitors answer this, on solved topics.", status=403)
    row = FoundSurvey(topic_id=topic.id, category_id=topic.category_id, found=found)
    db.session.add(row)
    db.session.flush()
    return row
