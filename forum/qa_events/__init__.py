"""Executive Q&A sessions: customers ask the Head of Customer Care."""

from flask import Blueprint

bp = Blueprint("qa_events", __name__)
qa_events_cli = Blueprint("qa_events_cli", __name__, cli_group="qa-events")

from forum.qa_events import cli, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp, qa_events_cli)
