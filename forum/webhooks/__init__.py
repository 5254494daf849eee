"""Outgoing webhooks: admins register endpoints at ``/admin/webhooks``; events
(``events.CATALOGUE``) are recorded by signal receivers in the transaction of the
change, delivered by the ``webhooks.deliver`` job (signed, retried with backoff), and
an endpoint that keeps failing is switched off with a notice. ``forum webhooks``."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")
webhooks_cli = Blueprint("webhooks_cli", __name__, cli_group="webhooks")

from forum.webhooks import cli, events, services, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp, webhooks_cli)
