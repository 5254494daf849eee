"""``/admin/jobs``: the dead letters (jobs that kept failing) and their retry button."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from forum.actions import action
from forum.extensions import db
from forum.forms import EmptyForm
from forum.jobs import bp, relay
from forum.models.jobs import JobOutbox
from forum.permissions import can_manage_jobs, require


@bp.before_request
def _admins_only():
    require(can_manage_jobs, current_user)


@bp.route("/")
def dead_letters():
    """The jobs that failed too often, newest first, with their last error."""
    return render_template("jobs/dead_letters.html", rows=relay.dead_letters(), form=EmptyForm())


@bp.route("/<id:job_id>/retry", methods=["POST"])
def retry(job_id: int):
    """Send a dead letter round again (a fresh set of attempts). CSRFProtect has
    already refused a POST without its token."""
    row = db.get_or_404(JobOutbox, job_id)
    with action() as done:
        retried = relay.retry_dead(row)
    if done:
        flash(f"Job #{row.id} queued again." if retried else f"Job #{row.id} is not a dead letter.",
              "success" if retried else "info")
    return redirect(url_for("jobs.dead_letters"))
