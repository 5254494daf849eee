"""``/notifications``: the signed-in member's notifications."""

from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from forum.accounts.forms import EmptyForm
from forum.extensions import db
from forum.models import Notification
from forum.notifications import bp, services
from forum.topics.queries import Page
from forum.web import page_arg

PER_PAGE = 30


@bp.route("/notifications")
@login_required
def index():
    """The member's notifications, newest first."""
    page_no = page_arg()
    base = select(Notification).where(Notification.user_id == current_user.id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    items = list(
        db.session.scalars(base.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(PER_PAGE).offset((page_no - 1) * PER_PAGE))
    )
    page = Page(items, page_no, PER_PAGE, total)
    if page_no > page.pages:
        abort(404)
    return render_template("notifications/index.html", page=page, form=EmptyForm())


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int):
    """Mark one notification read and go where it points."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    services.mark_read(current_user, note.id)
    db.session.commit()
    return redirect(note.url if note.url.startswith("/") and not note.url.startswith("//") else url_for("notifications.index"))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_all_read():
    """Mark every notification read."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user)
    db.session.commit()
    return redirect(url_for("notifications.index"))
