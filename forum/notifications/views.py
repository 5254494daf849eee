"""``/notifications``: the signed-in member's notifications and the header's menu;
following and muting topics; email choices (``/settings/notifications``) and the one-click
unsubscribe (``/unsubscribe/<token>``)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.actions import action
from forum.extensions import csrf, db
from forum.forms import EmptyForm, require_valid
from forum.models import Topic
from forum.notifications import bp, forms, preferences, queries, services
from forum.notify import EMAIL_CATEGORIES
from forum.permissions import can_edit_settings, can_subscribe_topic, require
from forum.web import page_arg

MENU_ITEMS = 8


@bp.route("/notifications")
@login_required
def index():
    """The member's notifications, newest first."""
    page = queries.notifications_page(current_user, page_arg())
    if page.page > page.pages:
        abort(404)
    return render_template("notifications/index.html", page=page, form=EmptyForm())


@bp.route("/notifications/menu")
def menu():
    """The header's notification list, as an HTML fragment (fetched by notifications.js)."""
    if not current_user.is_authenticated:
        abort(401)
    page = queries.notifications_page(current_user, 1, per_page=MENU_ITEMS)
    unread = queries.unread_count(current_user)
    response = render_template("notifications/_menu.html", page=page, unread=unread, form=EmptyForm())
    return response, 200, {"Cache-Control": "private, no-store"}


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


@bp.route("/settings/notifications", methods=["GET", "POST"])
def email_settings():
    """How the member is emailed, per kind of notification."""
    require(can_edit_settings, current_user)
    form = forms.EmailSettingsForm(data=None if request.method == "POST" else preferences.modes_for(current_user))
    if form.validate_on_submit():
        with action(form) as done:
            preferences.set_modes(current_user, {c: form[c].data for c in EMAIL_CATEGORIES})
        if done:
            flash("Your email choices are saved.", "success")
            return redirect(url_for("notifications.email_settings"))
    return render_template("notifications/email_settings.html", form=form,
                           categories=list(EMAIL_CATEGORIES)), 422 if form.errors else 200


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
# CSRF exemption, for this endpoint only (docs/security.md): RFC 8058 mail clients POST
# "List-Unsubscribe=One-Click" here with no cookie and no form token. The signed token
# in the URL is the proof instead: it names one user and one kind of email, cannot be
# forged without the secret key, and all it can do is turn that kind of email off.
@csrf.exempt
def unsubscribe(token: str):
    """GET: confirm with a button. POST (the button, or a mail client's one-click):
    turn that kind of email off, without signing in. A bad token changes nothing (400)."""
    found = preferences.read_unsubscribe_token(token)
    if found is None:
        return render_template("notifications/unsubscribe.html", invalid=True), 400
    user, kind = found
    what = preferences.describe(kind)
    if request.method == "GET":
        return render_template("notifications/unsubscribe.html", invalid=False, done=False, what=what, token=token)
    with action(quiet=True) as done:
        preferences.unsubscribe(user, kind)
    if not done:  # a second click raced the first one
        abort(409, "That email is being turned off already. Reload the page to see it.")
    return render_template("notifications/unsubscribe.html", invalid=False, done=True, what=what)
