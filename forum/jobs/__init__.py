"""Background jobs on Celery: the relay from the outbox (``forum.jobqueue``) to the
broker, the worker's and beat's Celery app, the sweep, the dead-letter page
(``/admin/jobs``) and ``forum jobs``. Without ``FORUM_BROKER_URL`` the relay runs each
job in-process after the commit."""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")
jobs_cli = Blueprint("jobs_cli", __name__, cli_group="jobs")

from forum.jobs import cli, relay, views  # noqa: E402,F401

bp.record_once(lambda state: relay.install(state.app))

#: What the app factory registers for this feature.
blueprints = (bp, jobs_cli)
