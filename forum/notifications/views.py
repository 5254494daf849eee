"""``/notifications``: the signed-in member's notifications; following and muting topics."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from forum.actions import action
from forum.extensions import db
from forum.forms import EmptyForm, require_valid
from forum.models import Topic
from forum.notifications import bp, forms, queries, services
from forum.permissions import can_subscribe_topic, require
from forum.web import page_arg


@bp.route("/notifications")
@login_required
def index():
    """The member's notifications, newest first."""
    page = queries.notifications_page(current_user, page_arg())
    if page.page > page.pages:
        abort(404)
    return render_template("notifications/index.html", page=page, form=EmptyForm())


@bp.route("/notifications/<id:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int):
    """Mark one notification read and go where it points."""
    require_valid(EmptyForm())
    note = queries.own_notification(current_user, notification_id)
    if note is None:
        abort(404)
    with action():
        services.mark_read(current_user, note.id)
    return redirect(note.url if note.url.startswith("/") and not note.url.startswith("//") else url_for("notifications.index"))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_all_read():
    """Mark every notification read."""
    require_valid(EmptyForm())
    with action():
        services.mark_read(current_user)
    return redirect(url_for("notifications.index"))


@bp.route("/t/<id:topic_id>/subscription", methods=["POST"])
def subscription(topic_id: int):
    """Follow or mute a topic."""
    topic = db.get_or_404(Topic, topic_id)
    require(can_subscribe_topic, current_user, topic)
    form = forms.SubscriptionForm()
    require_valid(form)
    with action() as done:
        services.set_subscription(topic, user=current_user, state=form.state.data)
    if done:
        flash("You follow this topic: we will notify you of replies." if form.state.data == "watching"
              else "Topic muted: you will not be notified about it.", "success")
    return redirect(url_for("topics.view_topic", topic_id=topic.id, slug=topic.slug))
