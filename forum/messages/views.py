"""``/messages``: private conversations; ``/staff/inbox``: the team's inbox.

A conversation the viewer may not read answers 404 (never 403), so guessed ids
reveal nothing. Anonymous visitors are sent to the sign-in page first.
"""

from __future__ import annotations

from flask import abort, after_this_request, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from forum import idempotency
from forum.accounts.services import get_user_by_username
from forum.actions import action
from forum.extensions import db
from forum.forms import EmptyForm
from forum.messages import bp, forms, queries, services
from forum.models import Topic
from forum.permissions import (
    _is_care_team,
    can_assign_conversation,
    can_close_conversation,
    can_contact_team,
    can_message_user,
    can_read_conversation,
    can_reply_to_conversation,
    can_use_staff_inbox,
    require,
)
from forum.unread import header_messages
from forum.web import page_arg


def _load_or_404(conversation_id: int):
    conversation = queries.get_conversation(conversation_id)
    if conversation is None or not can_read_conversation(current_user, conversation):
        abort(404)
    return conversation


def _topic_or_404(raw: str | None) -> Topic | None:
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        abort(400, "That topic reference is not a topic number.")
    topic = db.session.get(Topic, int(raw)) if len(raw) < 10 else None
    if topic is None:
        abort(404)
    return topic


@bp.route("/messages")
@login_required
def index():
    """The signed-in user's conversations, latest first."""
    page = queries.user_conversations(current_user, page_arg())
    if page.page > page.pages:
        abort(404)
    return render_template("messages/index.html", page=page)


@bp.route("/messages/new", methods=["GET", "POST"])
@login_required
def new_conversation():
    """Start a conversation: with Customer Care (members), or with a named member."""
    # Anyone who can take part may write to Customer Care: the same gate stands
    # before writing to anyone, and says why for an unconfirmed or suspended account.
    require(can_contact_team, current_user)
    form = forms.NewConversationForm()
    if request.method == "GET":
        form.to.data = request.args.get("to", "")[:60].strip()
        form.topic_id.data = request.args.get("topic", "")[:12]
    recipient = get_user_by_username(form.to.data) if form.to.data else None
    if form.to.data and recipient is None and request.method == "GET":
        abort(404, "There is no member with that username.")
    topic = _topic_or_404(form.topic_id.data)
    if recipient is not None and not can_message_user(current_user, recipient):
        abort(403, services.MEMBER_DMS_OFF if recipient.id != current_user.id else "You cannot message yourself.")
    if request.method == "GET" and topic is not None:
        form.subject.data = f"About your topic: {topic.title}"[: services.SUBJECT_MAX]
        form.notice_on_topic.data = _is_care_team(current_user) and recipient is not None
    if form.validate_on_submit():
        if form.to.data and recipient is None:
            form.to.errors = [f"There is no member called “{form.to.data}”."]
        else:
            with action(form, field="body") as done:
                idempotency.claim(form)
                conv = services.start_conversation(
                    current_user, recipient, subject=form.subject.data, body=form.body.data, topic=topic,
                    notice_on_topic=bool(form.notice_on_topic.data),
                )
                idempotency.record(form, services.conversation_url(conv))
            if done:
                flash("Your message is sent.", "success")
                return redirect(services.conversation_url(conv))
    return render_template(
        "messages/new.html", form=form, recipient=recipient, topic=topic
    ), 422 if form.errors else 200


@bp.route("/messages/private", methods=["POST"])
@login_required
def send_privately():
    """The personal-data guard's button: send a public draft to Customer Care instead."""
    require(can_contact_team, current_user)
    form = forms.SendPrivatelyForm()
    if not form.validate_on_submit():
        abort(400, "That request could not be understood. Go back and try again.")
    topic = _topic_or_404(form.topic_id.data)
    subject = form.title.data or (f"About: {topic.title}" if topic else "Private message")
    subject = subject[: services.SUBJECT_MAX]
    # Refused, the draft comes back on the ordinary new-conversation form.
    new_form = forms.NewConversationForm(formdata=None, subject=subject, body=form.body.data)
    new_form.topic_id.data = str(topic.id) if topic else ""
    with action(new_form, field="body") as done:
        conv = services.start_conversation(current_user, None, subject=subject, body=form.body.data, topic=topic)
    if not done:
        return render_template("messages/new.html", form=new_form, recipient=None, topic=topic), 422
    flash("Sent privately to Customer Care. Nothing was posted publicly.", "success")
    return redirect(services.conversation_url(conv))


def _timeline(conversation) -> list[tuple[str, object]]:
    messages = queries.conversation_messages(conversation)
    events = queries.conversation_events(conversation, team=_is_care_team(current_user))
    return sorted([("message", m) for m in messages] + [("event", e) for e in events], key=lambda x: x[1].created_at)


@bp.route("/messages/<id:conversation_id>")
@login_required
def view_conversation(conversation_id: int):
    """One conversation. Opening it marks its messages read.

    A GET writes nothing through the request's session: the read position is
    recorded after the page is built, by :func:`services.record_read` in a short
    transaction of its own (so a page that fails to render leaves the conversation
    unread). The header on this page already counts the conversation as read.
    """
    conversation = _load_or_404(conversation_id)
    unread = services.is_unread(conversation, current_user)
    html = render_template(
        "messages/view.html", conversation=conversation, timeline=_timeline(conversation), form=forms.MessageForm(),
        action_form=EmptyForm(), assign_form=forms.InboxActionForm(),
        # Shadows the header's global of the same name, until record_read has run.
        **({"unread_messages": lambda: max(header_messages() - 1, 0)} if unread else {}),
    )
    if unread:
        read = (conversation.id, current_user.id, conversation.last_message_id)

        @after_this_request
        def _record_read(response):
            try:
                services.record_read(*read)
            except SQLAlchemyError:  # the page is built: it stays unread, it does not fail
                current_app.logger.warning("could not record the read position %r", read, exc_info=True)
            return response

    return html


@bp.route("/messages/<id:conversation_id>/reply", methods=["POST"])
@login_required
def reply(conversation_id: int):
    """Write in a conversation."""
    conversation = _load_or_404(conversation_id)
    if not conversation.is_closed:  # a closed one is refused on the form below
        require(can_reply_to_conversation, current_user, conversation)
    form = forms.MessageForm()
    if form.validate_on_submit():
        with action(form, field="body") as done:
            idempotency.claim(form)
            services.send_message(conversation, author=current_user, body=form.body.data)
            idempotency.record(form, services.conversation_url(conversation))
        if done:
            flash("Your message is sent.", "success")
            return redirect(services.conversation_url(conversation))
    return render_template(
        "messages/view.html", conversation=conversation, timeline=_timeline(conversation), form=form,
        action_form=EmptyForm(), assign_form=forms.InboxActionForm(),
    ), 422


def _close_or_reopen(conversation_id: int, closed: bool):
    conversation = _load_or_404(conversation_id)
    require(can_close_conversation, current_user, conversation)
    if not EmptyForm().validate_on_submit():
        abort(400, "Bad request: reload the page and try again.")
    with action() as done:
        changed = services.set_closed(conversation, closed, actor=current_user)
    if done and changed:
        flash("Conversation closed." if closed else "Conversation reopened.", "success")
    return redirect(services.conversation_url(conversation))


@bp.route("/messages/<id:conversation_id>/close", methods=["POST"])
@login_required
def close(conversation_id: int):
    """Close a conversation (either side)."""
    return _close_or_reopen(conversation_id, True)


@bp.route("/messages/<id:conversation_id>/reopen", methods=["POST"])
@login_required
def reopen(conversation_id: int):
    """Reopen a closed conversation (either side)."""
    return _close_or_reopen(conversation_id, False)


@bp.route("/messages/<id:conversation_id>/assign", methods=["POST"])
@login_required
def assign(conversation_id: int):
    """Pick up a team conversation (action=me) or put it back (action=none)."""
    conversation = _load_or_404(conversation_id)
    require(can_assign_conversation, current_user, conversation)
    form = forms.InboxActionForm()
    if not form.validate_on_submit():
        abort(400, "Bad assignment request.")
    with action() as done:
        changed = services.assign(
            conversation, actor=current_user, assignee=current_user if form.action.data == "me" else None
        )
    if done and changed:
        flash("Assigned to you." if form.action.data == "me" else "Unassigned.", "success")
    return redirect(request.form.get("back") == "inbox" and url_for("messages.staff_inbox") or services.conversation_url(conversation))


@bp.route("/staff/inbox")
@login_required
def staff_inbox():
    """Open team conversations, oldest waiting first; filter mine/unassigned/all."""
    require(can_use_staff_inbox, current_user)
    which = request.args.get("show", "all")
    if which not in queries.INBOX_FILTERS:
        abort(400, "Show one of: all, unassigned, mine.")
    page = queries.inbox(current_user, which, page_arg())
    if page.page > page.pages:
        abort(404)
    return render_template("messages/inbox.html", page=page, which=which, assign_form=forms.InboxActionForm())
