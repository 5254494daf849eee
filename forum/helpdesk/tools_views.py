"""Staff tools pages: internal notes, saved replies, releasing a claim, escalating
a topic to a private case and closing it. HTTP only: load, authorise, validate,
call the service, redirect (``views.py`` has the claim and the queue)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from forum import personal_data
from forum.actions import action
from forum.extensions import db
from forum.forms import EmptyForm, require_valid
from forum.helpdesk import assignment, bp, escalation, forms, notes, saved_replies
from forum.messages import queries as message_queries
from forum.models import SavedReply, Topic
from forum.permissions import (
    can_close_private_case,
    can_escalate_topic,
    can_manage_saved_replies,
    can_read_conversation,
    can_release_topic,
    can_use_saved_reply,
    can_view_internal_notes,
    can_write_internal_note,
    require,
)
from forum.topics import forms as topic_forms
from forum.web import MAX_ID, safe_next


def _topic_or_404(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.merged_into_id is not None:
        abort(404)
    return topic


def _topic_url(topic: Topic, anchor: str | None = None) -> str:
    return url_for("topics.view_topic", topic_id=topic.id, slug=topic.slug, _anchor=anchor)


def _saved_or_404(reply_id: int, *, active: bool = False) -> SavedReply:
    reply = saved_replies.get_saved_reply(reply_id)
    if reply is None or (active and reply.is_archived):
        abort(404)
    return reply


# --- internal notes ------------------------------------------------------------------


@bp.route("/t/<id:topic_id>/notes", methods=["GET", "POST"])
def internal_note(topic_id: int):
    """Write a staff-only note inside a topic (Customer Care team and moderators)."""
    topic = _topic_or_404(topic_id)
    require(can_write_internal_note, current_user, topic)
    form = forms.InternalNoteForm()
    if form.validate_on_submit():
        with action(form, field="body") as done:
            note = notes.add_note(topic, author=current_user, body=form.body.data)
        if done:
            flash("Internal note added. Only staff can see it.", "success")
            return redirect(_topic_url(topic, f"note-{note.id}"))
    return render_template("helpdesk/internal_note.html", topic=topic, form=form), 422 if form.errors else 200


# --- assignment ---------------------------------------------------------------------


@bp.route("/t/<id:topic_id>/release", methods=["POST"])
def release(topic_id: int):
    """Give a claimed topic back to the team (its assignee)."""
    topic = _topic_or_404(topic_id)
    require(can_release_topic, current_user, topic)
    require_valid(EmptyForm())
    with action() as done:
        assignment.release_topic(topic, actor=current_user)
    if done:
        flash("You released this topic: it is unassigned again.", "success")
    return redirect(safe_next(_topic_url(topic)))


# --- saved replies ------------------------------------------------------------------


@bp.route("/staff/saved-replies")
def saved_reply_list():
    """The team's saved replies, and the archived ones (staff)."""
    require(can_manage_saved_replies, current_user)
    return render_template("helpdesk/saved_replies.html", replies=saved_replies.saved_replies(),
                           archived=saved_replies.saved_replies(archived=True), action_form=EmptyForm(),
                           placeholders=saved_replies.PLACEHOLDERS)


@bp.route("/staff/saved-replies/new", methods=["GET", "POST"])
def new_saved_reply():
    """Add a saved reply (staff)."""
    require(can_manage_saved_replies, current_user)
    form = forms.SavedReplyForm()
    if form.validate_on_submit():
        with action(form, field="body") as done:
            saved_replies.create_saved_reply(actor=current_user, title=form.title.data, body=form.body.data)
        if done:
            flash("Saved reply added.", "success")
            return redirect(url_for("helpdesk.saved_reply_list"))
    return render_template("helpdesk/saved_reply_form.html", form=form, reply=None,
                           placeholders=saved_replies.PLACEHOLDERS), 422 if form.errors else 200


@bp.route("/staff/saved-replies/<id:reply_id>/edit", methods=["GET", "POST"])
def edit_saved_reply(reply_id: int):
    """Change a saved reply (staff)."""
    require(can_manage_saved_replies, current_user)
    reply = _saved_or_404(reply_id)
    form = forms.SavedReplyForm(obj=reply)
    if form.validate_on_submit():
        with action(form, field="body") as done:
            changed = saved_replies.update_saved_reply(reply, actor=current_user, title=form.title.data,
                                                       body=form.body.data)
        if done:
            flash("Saved reply updated." if changed else "Nothing changed.", "success")
            return redirect(url_for("helpdesk.saved_reply_list"))
    return render_template("helpdesk/saved_reply_form.html", form=form, reply=reply,
                           placeholders=saved_replies.PLACEHOLDERS), 422 if form.errors else 200


def _set_archived(reply_id: int, archived: bool):
    require(can_manage_saved_replies, current_user)
    reply = _saved_or_404(reply_id)
    require_valid(EmptyForm())
    with action() as done:
        changed = saved_replies.set_archived(reply, archived, actor=current_user)
    if done and changed:
        flash("Saved reply archived." if archived else "Saved reply restored.", "success")
    return redirect(url_for("helpdesk.saved_reply_list"))


@bp.route("/staff/saved-replies/<id:reply_id>/archive", methods=["POST"])
def archive_saved_reply(reply_id: int):
    """Archive a saved reply: out of the picker, kept (staff)."""
    return _set_archived(reply_id, True)


@bp.route("/staff/saved-replies/<id:reply_id>/restore", methods=["POST"])
def restore_saved_reply(reply_id: int):
    """Bring an archived saved reply back (staff)."""
    return _set_archived(reply_id, False)


@bp.route("/t/<id:topic_id>/saved-reply")
def use_saved_reply(topic_id: int):
    """Pick a saved reply for a topic; with ``?reply=<id>`` the reply form comes back
    filled in (the asker's name in place of ``{name}``) and posts as usual."""
    topic = _topic_or_404(topic_id)
    require(can_use_saved_reply, current_user, topic)
    raw = request.args.get("reply", "")
    if not raw:
        return render_template("helpdesk/saved_reply_pick.html", topic=topic, replies=saved_replies.saved_replies())
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        abort(400, "Pick a saved reply from the list.")
    if int(raw) > MAX_ID:
        abort(404)
    reply = _saved_or_404(int(raw), active=True)
    form = topic_forms.ReplyForm(formdata=None, body=saved_replies.fill(reply, topic=topic, agent=current_user))
    return render_template("topics/reply.html", topic=topic, parent=None, form=form, personal_data=None)


# --- private cases ------------------------------------------------------------------


@bp.route("/t/<id:topic_id>/escalate", methods=["GET", "POST"])
def escalate(topic_id: int):
    """Open a private case with the topic's asker (Customer Care team)."""
    topic = _topic_or_404(topic_id)
    require(can_escalate_topic, current_user, topic)
    form = forms.EscalateForm()
    if request.method == "GET":
        form.subject.data = f"About your topic: {topic.title}"[:150]
    if form.validate_on_submit():
        with action(form, field="body") as done:
            conversation = escalation.escalate_topic(topic, actor=current_user, subject=form.subject.data,
                                                     body=form.body.data)
        if done:
            flash("Private case opened. The asker sees that Customer Care contacted them; the public sees "
                  "that Customer Care is handling this privately.", "success")
            return redirect(url_for("messages.view_conversation", conversation_id=conversation.id))
    return render_template("helpdesk/escalate.html", topic=topic, form=form), 422 if form.errors else 200


@bp.route("/messages/<id:conversation_id>/close-case", methods=["GET", "POST"])
def close_case(conversation_id: int):
    """Close a private case, optionally posting a public resolution note in its topic."""
    conversation = message_queries.get_conversation(conversation_id)
    if conversation is None or not can_read_conversation(current_user, conversation):
        abort(404)  # like every conversation page: ids leak nothing
    require(can_close_private_case, current_user, conversation)
    if conversation.is_closed:
        abort(409, "This case is already closed.")
    form = forms.CloseCaseForm()
    guard = personal_data.review_submission(form.note.data)
    if form.validate_on_submit() and not guard.held:
        with action(form, field="note") as done:
            reply = escalation.close_case(conversation, actor=current_user, note=form.note.data)
        if done:
            flash("Case closed." + (" Your resolution note is posted in the topic." if reply else ""), "success")
            if reply:
                return redirect(url_for("topics.permalink", post_id=reply.id))
            return redirect(url_for("messages.view_conversation", conversation_id=conversation.id))
    status = 422 if form.errors or guard.held else 200
    return render_template("helpdesk/close_case.html", conversation=conversation, topic=conversation.topic,
                           form=form, personal_data=guard), status


# --- what the topic page's partials call --------------------------------------------


def _cached_private_cases(topic, viewer):
    memo = g.setdefault("_helpdesk_private_cases", {})
    if topic.id not in memo:
        memo[topic.id] = escalation.private_cases(topic, viewer)
    return memo[topic.id]


@bp.app_template_global("helpdesk_private_cases")
def _private_cases(topic, viewer):
    return _cached_private_cases(topic, viewer)


@bp.app_template_global("helpdesk_staff_tools")
def _staff_tools(topic, viewer):
    """``None`` (no query) for anyone but staff; else the notes (one query), the
    private cases (one query, only on an escalated topic) and the forms."""
    if not can_view_internal_notes(viewer, topic):
        return None
    return {
        "notes": notes.topic_notes(topic, viewer),
        "cases": _cached_private_cases(topic, viewer),
        "note_form": forms.InternalNoteForm(formdata=None),
        "action_form": EmptyForm(),
    }
