"""The help desk: official answers, accepted solutions, resolved state, satisfaction,
kudos, topic subscriptions and reply notifications, email preferences, the staff
response queue and member posting limits."""

from flask import Blueprint

bp = Blueprint("helpdesk", __name__)
#: ``forum notifications send-digests``
notifications_cli = Blueprint("helpdesk_notifications_cli", __name__, cli_group="notifications")
#: ``forum helpdesk set-title``
helpdesk_cli = Blueprint("helpdesk_cli", __name__, cli_group="helpdesk")

from forum.helpdesk import cli, receivers, views  # noqa: E402,F401
