"""The help desk: official answers, accepted solutions and the resolved state,
satisfaction, kudos, the staff response queue with claims, and staff badge titles;
the staff tools (internal notes, saved replies, assignment, private cases)."""

from flask import Blueprint

bp = Blueprint("helpdesk", __name__)
#: ``forum helpdesk set-title``
helpdesk_cli = Blueprint("helpdesk_cli", __name__, cli_group="helpdesk")

from forum.helpdesk import cli, receivers, tools_views, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp, helpdesk_cli)
