"""Notifications: the member's list, topic subscriptions and reply notifications,
email delivery (immediately or as a daily digest) and ``forum notifications``."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
#: ``forum notifications send-digests``
notifications_cli = Blueprint("notifications_cli", __name__, cli_group="notifications")

from forum.notifications import cli, receivers, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp, notifications_cli)
