"""Account self-service (issue 18): change the email address, export my data, delete
my account. Each asks the current password, is throttled per account (the views) and
lands in the member's activity list. Services flush; the caller commits.

* **Email change.** :func:`request_email_change` mails a signed, expiring link to the
  new address and a notice to the old one; nothing changes until the link is
  followed (:func:`confirm_email_change`). The link names the address it was made for
  and the account's address at the time, so it works once: after the change (or any
  other change of address) it stops matching. An address that already has an account
  is answered exactly like a free one; that address gets a "you already have an
  account" mail instead of a link.
* **Export.** :func:`export_data` is everything the forum holds about the member, as
  one JSON document, without other members' private data or any secret.
* **Deletion.** :func:`delete_account` keeps the ``users`` row (posts, messages and
  the moderation log point at it) and scrubs every personal field; the account is
  shown as "a former member" everywhere. What goes and what stays, and why, is in
  docs/security.md ("Deleting an account"); :data:`USER_REFERENCES` lists, for every
  column that points at a user, what deletion does with it (a test checks that every
  such column is listed).
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from forum.accounts import sessions
from forum.accounts.retired_names import skeleton_digest, username_digest
from forum.accounts.services import AccountError, TokenError, _load, _serializer, _unstorable
from forum.accounts.validation import EMAIL_MAX, email_key
from forum.actions import Conflict, PermissionDenied
from forum.extensions import db
from forum.mail import queue_mail
from forum.models import (
    FORMER_MEMBER,
    AccountDeletion,
    AccountEvent,
    AffectedReport,
    ApiToken,
    Appeal,
    Conversation,
    ConversationParticipant,
    EmailPreference,
    Flag,
    InboundMail,
    IncidentFollow,
    Kudos,
    Message,
    ModerationLogEntry,
    Notification,
    Post,
    PostRevision,
    QAEventSubscription,
    Question,
    QuestionVote,
    RecoveryCode,
    RoleChange,
    SsoLink,
    SubmissionRecord,
    Topic,
    TopicRead,
    TopicRevision,
    TopicSubscription,
    TwoFactor,
    User,
    UserSession,
)
from forum.models.base import utcnow
from forum.permissions import can_delete_own_account, can_edit_settings

_EMAIL_CHANGE_SALT = "forum.change-email"


def _check_current_password(user: User, password: str | None) -> None:
    if not check_password_hash(user.password_hash, password or ""):
        raise AccountError("That is not your current password.", field="current_password")


def mask_email(address: str) -> str:
    """``jess@example.com`` -> ``j…@example.com``: enough for the member to recognise."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


# --- change email ------------------------------------------------------------------


def _valid_address(raw: str | None) -> str:
    """The address, trimmed, when it is one we can store and mail (the same check as
    the form's, repeated here for every caller); else :class:`AccountError`."""
    new = (raw or "").strip()
    if _unstorable(new) or not new or len(new) > EMAIL_MAX:
        raise AccountError("Enter a valid email address.", field="email")
    try:
        validate_email(new, check_deliverability=False)
        Address(addr_spec=new)  # what the mail's To: header will hold
    except (EmailNotValidError, ValueError, IndexError, TypeError) as exc:
        raise AccountError("Enter a valid email address.", field="email") from exc
    return new


def make_email_change_token(user: User, new_email: str) -> str:
    return _serializer(_EMAIL_CHANGE_SALT).dumps({"uid": user.id, "old": user.email_key, "new": new_email})


def request_email_change(user: User, *, password: str, new_email: str) -> None:
    """Ask to move the account to ``new_email``. The same happens whether or not the
    address is free, as far as the member can see (the mail to the new address says
    which); the old address is told in both cases."""
    if not can_edit_settings(user, user):
        raise PermissionDenied("Sign in to change your email address.")
    _check_current_password(user, password)
    new = _valid_address(new_email)
    if email_key(new) == user.email_key:
        raise AccountError("That is already your email address.", field="email")
    brand = current_app.config["BRAND_NAME"]
    owner = db.session.scalar(select(User).where(User.email_key == email_key(new)))
    if owner is None:
        link = url_for("accounts.confirm_email_change", token=make_email_change_token(user, new), _external=True)
        hours = current_app.config["EMAIL_CHANGE_TOKEN_MAX_AGE"] // 3600
        queue_mail(
            new,
            f"Confirm your new email address for {brand}",
            f"Hello {user.username},\n\nYou asked to use this address for your {brand} account. Follow this "
            f"link to confirm it:\n\n{link}\n\nThe link expires in {hours} hours and works once. Until you "
            "follow it, your account keeps its old address.\nIf you did not ask for this, ignore this message.\n",
        )
    else:
        queue_mail(
            new,
            f"You already have a {brand} account",
            f"Hello,\n\nSomeone (perhaps you) asked to move another {brand} account to this email address. "
            "This address already belongs to an account, so nothing has changed. Sign in at "
            f"{url_for('accounts.login', _external=True)} or reset its password at "
            f"{url_for('accounts.reset_request', _external=True)}.\n",
        )
    queue_mail(
        user.email,
        f"Your {brand} email address is being changed",
        f"Hello {user.username},\n\nSomeone signed in to your {brand} account asked to change its email address "
        f"to {mask_email(new)}. The change happens only when the link we sent to that address is followed.\n\n"
        "If this wasn't you, your password may be known to someone else: change it now at "
        f"{url_for('accounts.change_password', _external=True)} (that signs out every other device) "
        "and tell our Customer Care team.\n",
    )
    sessions.record_event(user.id, "email_change_requested", detail=f"to {mask_email(new)}")
    db.session.flush()


def email_change_for_token(token: str) -> tuple[User, str]:
    """The account and new address behind a confirmation link (a read)."""
    data = _load(_EMAIL_CHANGE_SALT, token, current_app.config["EMAIL_CHANGE_TOKEN_MAX_AGE"])
    new = data.get("new")
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or user.is_deleted or not isinstance(new, str) or user.email_key != data.get("old"):
        raise TokenError("This link is not valid or has already been used.", status=400)
    return user, new


def confirm_email_change(token: str) -> User:
    """Move the account to the address the link was sent to (which it proves the
    member reads). Refused, changing nothing, when the link was tampered with, has
    expired or was used, or when the address has been taken meanwhile."""
    user, new = email_change_for_token(token)
    if db.session.scalar(select(User.id).where(User.email_key == email_key(new), User.id != user.id)):
        raise Conflict("That address now belongs to another account, so your email address is unchanged.")
    old = user.email
    user.email = new
    user.email_key = email_key(new)
    user.email_verified_at = utcnow()
    sessions.record_event(user.id, "email_changed", detail=f"to {mask_email(new)}")
    db.session.flush()
    brand = current_app.config["BRAND_NAME"]
    queue_mail(
        old,
        f"Your {brand} email address was changed",
        f"Hello {user.username},\n\nYour {brand} account now uses the address {mask_email(new)}; we will not "
        "write to this one again.\n\nIf this wasn't you, tell our Customer Care team straight away.\n",
    )
    return user


# --- export --------------------------------------------------------------------------

#: What the export says about data it cannot include.
EXPORT_NOTES = (
    "Search analytics are not included: searches are recorded without any account (at most a hash of a random "
    "value kept for one browser session), so they cannot be tied to you.",
    "Other members appear only by the public name the forum shows; never their email address or other private data.",
    "Customer Care replies in your conversations appear as from \"Customer Care\", as on the forum.",
    "Text a moderator withheld because it exposed personal data is marked as withheld.",
    "No password, password hash or session token is included (the forum stores only hashes of them).",
)
_WITHHELD = "[withheld: it exposed personal data]"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_data(user: User) -> dict:
    """Everything the forum holds about ``user``, as JSON-ready data. One query per
    section, whatever the account's size."""
    uid = user.id
    care_team = user.role in ("staff", "executive", "admin")

    topics = list(db.session.scalars(select(Topic).where(Topic.author_id == uid).options(joinedload(Topic.category))
                                     .order_by(Topic.id)))
    title_revisions: dict[int, list] = {}
    for rev in db.session.scalars(select(TopicRevision).join(Topic, Topic.id == TopicRevision.topic_id)
                                  .where(Topic.author_id == uid).order_by(TopicRevision.id)):
        title_revisions.setdefault(rev.topic_id, []).append({
            "number": rev.number, "at": _iso(rev.created_at), "old_title": rev.old_title, "new_title": rev.new_title,
            "by": "you" if rev.editor_id == uid else "a moderator", "reason": rev.reason})

    # Plain rows, not ORM objects: a prolific member has thousands of posts.
    posts = db.session.execute(
        select(Post.id, Post.topic_id, Topic.title.label("topic_title"), Post.is_first, Post.created_at,
               Post.edited_at, Post.body, Post.is_hidden, Post.hidden_reason, Post.hidden_staff_only, Post.kudos_count)
        .join(Topic, Topic.id == Post.topic_id).where(Post.author_id == uid).order_by(Post.id)).all()
    post_revisions: dict[int, list] = {}
    for rev in db.session.scalars(select(PostRevision).join(Post, Post.id == PostRevision.post_id)
                                  .where(Post.author_id == uid).order_by(PostRevision.id)):
        post_revisions.setdefault(rev.post_id, []).append({
            "number": rev.number, "at": _iso(rev.created_at),
            "old_body": _WITHHELD if rev.old_text_staff_only else rev.old_body, "new_body": rev.new_body,
            "by": "you" if rev.editor_id == uid else "a moderator", "reason": rev.reason})

    return {
        "format": "forum-account-export/1",
        "site": current_app.config["BRAND_NAME"],
        "generated_at": _iso(utcnow()),
        "notes": list(EXPORT_NOTES),
        "profile": {
            "id": uid, "username": user.username, "display_name": user.display_name, "email": user.email,
            "email_verified_at": _iso(user.email_verified_at), "role": user.role, "title": user.title,
            "created_at": _iso(user.created_at), "profile_url": url_for("accounts.profile", username=user.username),
            "suspended_until": _iso(user.suspended_until), "suspended_indefinitely": user.suspended_indefinitely,
            "suspension_reason": user.suspension_reason,
        },
        "settings": {"display_name": user.display_name, "email_choices": {
            p.category: p.mode for p in db.session.scalars(select(EmailPreference).where(EmailPreference.user_id == uid))}},
        "topics": [{
            "id": t.id, "title": t.title, "board": t.category.name, "created_at": _iso(t.created_at),
            "url": f"/t/{t.id}-{t.slug}", "is_locked": t.is_locked, "is_resolved": t.is_resolved,
            "satisfaction": t.satisfaction, "satisfaction_comment": t.satisfaction_comment,
            "title_revisions": title_revisions.get(t.id, []),
        } for t in topics],
        "posts": [{
            "id": p.id, "topic_id": p.topic_id, "topic_title": p.topic_title, "url": f"/p/{p.id}",
            "is_opening_post": p.is_first, "created_at": _iso(p.created_at), "edited_at": _iso(p.edited_at),
            "body": _WITHHELD if p.hidden_staff_only else p.body, "is_hidden": p.is_hidden,
            "hidden_reason": p.hidden_reason, "kudos_received": p.kudos_count,
            "revisions": post_revisions.get(p.id, []),
        } for p in posts],
        "private_messages": _export_conversations(user, care_team),
        "notifications": [{
            "kind": n.kind, "text": n.text, "url": n.url, "count": n.count, "created_at": _iso(n.created_at),
            "read_at": _iso(n.read_at), "emailed_at": _iso(n.emailed_at),
        } for n in db.session.scalars(select(Notification).where(Notification.user_id == uid).order_by(Notification.id))],
        "subscriptions": _export_subscriptions(uid),
        "sessions": [{
            "device": s.device, "network": s.ip_prefix, "remembered": s.remember, "created_at": _iso(s.created_at),
            "last_seen_at": _iso(s.last_seen_at), "ended_at": _iso(s.ended_at), "end_reason": s.end_reason,
        } for s in db.session.scalars(select(UserSession).where(UserSession.user_id == uid).order_by(UserSession.id))],
        "account_activity": [{
            "what": sessions.EVENT_LABELS.get(e.kind, e.kind), "detail": e.detail, "device": e.device,
            "network": e.ip_prefix, "at": _iso(e.created_at),
        } for e in db.session.scalars(select(AccountEvent).where(AccountEvent.user_id == uid).order_by(AccountEvent.id))],
        "flags_raised": [{
            "post_id": f.post_id, "reason": f.reason_label, "note": f.note, "created_at": _iso(f.created_at),
            "resolved_at": _iso(f.resolved_at), "resolution": f.resolution,
        } for f in db.session.scalars(select(Flag).where(Flag.user_id == uid).order_by(Flag.id))],
        "appeals": [{
            "post_id": a.post_id, "text": a.text, "created_at": _iso(a.created_at), "decided_at": _iso(a.decided_at),
            "outcome": a.outcome, "decision_reason": a.decision_reason,
        } for a in db.session.scalars(select(Appeal).where(Appeal.user_id == uid).order_by(Appeal.id))],
        "kudos_given": [{"post_id": k.post_id, "created_at": _iso(k.created_at)}
                        for k in db.session.scalars(select(Kudos).where(Kudos.user_id == uid).order_by(Kudos.id))],
        "qa_questions": [{
            "id": q.id, "session": q.event.title, "body": q.body, "status": q.status, "votes": q.vote_count,
            "created_at": _iso(q.created_at), "answered_at": _iso(q.answered_at), "declined_reason": q.declined_reason,
        } for q in db.session.scalars(select(Question).where(Question.author_id == uid)
                                      .options(joinedload(Question.event)).order_by(Question.id))],
        "qa_votes": [{"question_id": v.question_id, "created_at": _iso(v.created_at)}
                     for v in db.session.scalars(select(QuestionVote).where(QuestionVote.voter_id == uid)
                                                 .order_by(QuestionVote.id))],
        "incident_reports": [{"incident_id": r.incident_id, "area": r.area, "created_at": _iso(r.created_at)}
                             for r in db.session.scalars(select(AffectedReport).where(AffectedReport.user_id == uid)
                                                         .order_by(AffectedReport.id))],
        "role_changes": [{"from": c.old_role, "to": c.new_role, "reason": c.reason, "at": _iso(c.created_at)}
                         for c in db.session.scalars(select(RoleChange).where(RoleChange.user_id == uid)
                                                     .order_by(RoleChange.id))],
        "moderation_log_about_you": [{
            "action": e.action, "summary": e.summary, "reason": e.reason, "at": _iso(e.created_at),
        } for e in db.session.scalars(select(ModerationLogEntry).where(ModerationLogEntry.subject_user_id == uid)
                                      .order_by(ModerationLogEntry.id))],
        "search_analytics": "not held per account (see notes)",
    }


def _export_conversations(user: User, care_team: bool) -> list[dict]:
    """The member's own conversations (team ones where they are the member, direct
    ones they take part in), every message in them; for staff, also the messages they
    wrote in members' team conversations (only their own text: the rest is the
    member's casework)."""
    uid = user.id
    direct_ids = select(ConversationParticipant.conversation_id).where(ConversationParticipant.user_id == uid)
    convs = list(db.session.scalars(
        select(Conversation).where((Conversation.member_id == uid) | ((Conversation.kind == "direct")
                                                                      & Conversation.id.in_(direct_ids)))
        .options(joinedload(Conversation.participants).joinedload(ConversationParticipant.user))
        .order_by(Conversation.id)).unique())
    by_conv: dict[int, list] = {c.id: [] for c in convs}
    if by_conv:
        for m in db.session.scalars(select(Message).where(Message.conversation_id.in_(list(by_conv)))
                                    .options(joinedload(Message.author)).order_by(Message.id)):
            if m.author_id == uid:
                sender = "you"
            elif m.from_team and not care_team:
                sender = "Customer Care"
            else:
                sender = m.author.shown_name
            by_conv[m.conversation_id].append({"from": sender, "body": m.body, "sent_at": _iso(m.created_at)})
    out = []
    for c in convs:
        if c.kind == "team":
            with_whom = "Customer Care"
        else:
            with_whom = ", ".join(p.user.shown_name for p in c.participants if p.user_id != uid) or "yourself"
        out.append({"id": c.id, "kind": c.kind, "subject": c.subject, "with": with_whom,
                    "started_at": _iso(c.created_at), "closed": c.is_closed, "messages": by_conv[c.id]})
    if care_team:
        own = db.session.scalars(
            select(Message).join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.author_id == uid, Conversation.kind == "team", Conversation.member_id != uid)
            .order_by(Message.id))
        team = [{"conversation_id": m.conversation_id, "body": m.body, "sent_at": _iso(m.created_at)} for m in own]
        if team:
            out.append({"kind": "written_for_the_team", "with": "members (not named)", "messages": team})
    return out


def _export_subscriptions(uid: int) -> dict:
    from forum.models import Incident, QAEvent

    return {
        "topics": [{"topic_id": s.topic_id, "topic_title": title, "state": s.state, "since": _iso(s.created_at)}
                   for s, title in db.session.execute(
                       select(TopicSubscription, Topic.title).join(Topic, Topic.id == TopicSubscription.topic_id)
                       .where(TopicSubscription.user_id == uid).order_by(TopicSubscription.id))],
        "qa_sessions": [{"session_id": s.event_id, "session": title, "reason": s.reason, "since": _iso(s.created_at)}
                        for s, title in db.session.execute(
                            select(QAEventSubscription, QAEvent.title)
                            .join(QAEvent, QAEvent.id == QAEventSubscription.event_id)
                            .where(QAEventSubscription.user_id == uid).order_by(QAEventSubscription.id))],
        "incidents": [{"incident_id": f.incident_id, "incident": title, "since": _iso(f.created_at)}
                      for f, title in db.session.execute(
                          select(IncidentFollow, Incident.title).join(Incident, Incident.id == IncidentFollow.incident_id)
                          .where(IncidentFollow.user_id == uid).order_by(IncidentFollow.id))],
    }


def start_export(user: User, *, password: str) -> dict:
    """Check the password, log the export in the member's activity list, and return
    the data (the caller commits before sending it)."""
    if not can_edit_settings(user, user):
        raise PermissionDenied("Sign in to download your data.")
    _check_current_password(user, password)
    sessions.record_event(user.id, "data_exported")
    db.session.flush()
    return export_data(user)


# --- delete ----------------------------------------------------------------------------

#: Every column that points at a user, and what deleting the account does with it.
#: ``delete``: the rows are the member's private data and go. ``keep``: the row stays
#: and shows the account as "a former member" (content, records other people rely on,
#: counts). ``scrub``: kept, with the personal text rewritten. tests/accounts check
#: that every foreign key to ``users`` is listed here.
USER_REFERENCES = {
    "user_sessions.user_id": "delete",  # every session ends; device and network go
    "account_events.user_id": "delete",  # the activity list is the member's own
    "notifications.user_id": "delete",
    "email_preferences.user_id": "delete",
    "two_factor.user_id": "delete",  # the authenticator secret and the recovery codes go
    "sso_links.user_id": "delete",  # the sign-in provider links (forum/sso)
    "api_tokens.user_id": "delete",  # the member's API tokens (forum/api) stop working and go
    "api_tokens.created_by_id": "keep",  # the admin record of who issued and revoked a token
    "api_tokens.revoked_by_id": "keep",
    "inbound_mails.user_id": "delete",  # the reply-by-email receipts (forum/mailin) are the member's own
    "webhook_endpoints.created_by_id": "keep",  # an admin's endpoint outlives the admin's account
    "two_factor_recovery_codes.user_id": "delete",
    "submission_records.user_id": "delete",
    "notifications.actor_id": "scrub",  # other members' notifications say "A former member ..."
    "topic_subscriptions.user_id": "delete",
    "qa_event_subscriptions.user_id": "delete",
    "incident_follows.user_id": "delete",
    "topic_reads.user_id": "delete",  # read positions (unread markers) are the member's own
    "posts.author_id": "keep",
    "uploads.user_id": "keep",  # screenshots stay in the posts that show them (the posts stay too)
    "case_transitions.actor_id": "keep",  # the case history counts for insights; shown as "a former member"
    "internal_notes.author_id": "keep",  # staff only; staff roles cannot delete themselves
    "saved_replies.created_by_id": "keep",
    "saved_replies.updated_by_id": "keep",
    "posts.hidden_by_id": "keep",
    "topics.author_id": "keep",
    "topics.last_poster_id": "keep",
    "topics.official_marked_by_id": "keep",
    "topics.claimed_by_id": "keep",
    "post_revisions.editor_id": "keep",
    "topic_revisions.editor_id": "keep",
    "messages.author_id": "keep",  # the other side keeps the conversation, from "a former member"
    "conversations.member_id": "keep",
    "conversations.started_by_id": "keep",
    "conversations.assigned_to_id": "keep",
    "conversation_participants.user_id": "keep",
    "conversation_events.actor_id": "keep",
    "conversation_events.target_user_id": "keep",
    "topic_contacts.created_by_id": "keep",
    "moderation_log.actor_id": "keep",  # the log stays intact and truthful
    "moderation_log.subject_user_id": "keep",
    "flags.user_id": "keep",  # moderation records
    "flags.resolved_by_id": "keep",
    "appeals.user_id": "keep",
    "appeals.decided_by_id": "keep",
    "kudos.user_id": "keep",  # counted in Post.kudos_count
    "qa_questions.author_id": "keep",
    "qa_question_votes.voter_id": "keep",  # counted in Question.vote_count
    "qa_answers.author_id": "keep",
    "qa_answers.executive_id": "keep",
    "qa_answers.updated_by_id": "keep",
    "qa_answer_revisions.editor_id": "keep",
    "qa_events.executive_id": "keep",
    "qa_events.created_by_id": "keep",
    "qa_event_transitions.actor_id": "keep",
    "incidents.created_by_id": "keep",
    "incident_updates.author_id": "keep",
    "incident_updates.edited_by_id": "keep",
    "incident_update_revisions.editor_id": "keep",
    "incident_topics.linked_by_id": "keep",
    "affected_reports.user_id": "keep",  # counted on the status page
    "role_changes.user_id": "keep",  # the admin record of who held which role
    "role_changes.changed_by_id": "keep",
    "account_deletions.user_id": "keep",
}

_PRIVATE_ROWS = (UserSession, AccountEvent, Notification, EmailPreference, TwoFactor, RecoveryCode,
                 SubmissionRecord, TopicSubscription, QAEventSubscription, IncidentFollow, TopicRead,
                 SsoLink,  # the sign-in provider links (forum/sso): the provider account is free again
                 ApiToken, InboundMail)  # API tokens (forum/api), reply-by-email receipts (forum/mailin)


def _former_prefix_update(uid: int, name: str | None) -> None:
    """Other members' notifications that start with the account's name ("jess replied
    in ...") start with "A former member" instead."""
    if not name:
        return
    prefix = f"{name} "
    db.session.execute(
        update(Notification)
        .where(Notification.actor_id == uid, func.substr(Notification.text, 1, len(prefix)) == prefix)
        .values(text=FORMER_MEMBER[:1].upper() + FORMER_MEMBER[1:] + " " + func.substr(Notification.text, len(prefix) + 1))
        .execution_options(synchronize_session=False)
    )


def delete_account(user: User, *, password: str) -> AccountDeletion:
    """Delete the member's own account: check the password, write the admin record
    (which retires the username), delete the private rows, scrub the account row.
    Posts, topics, messages, flags and the moderation log stay and show "a former
    member". Staff roles are refused (:func:`~forum.permissions.can_delete_own_account`)."""
    if not can_edit_settings(user, user):
        raise PermissionDenied("Sign in to delete your account.")
    if not can_delete_own_account(user, user):
        raise PermissionDenied("Accounts with a staff role cannot be deleted by their holder. Ask an administrator "
                               "to change your role to member first; then you can delete the account here.",
                               field="current_password")
    _check_current_password(user, password)
    if user.is_deleted:
        raise Conflict("This account is already deleted.")
    uid = user.id
    counts = {
        "post_count": db.session.scalar(select(func.count(Post.id)).where(Post.author_id == uid)) or 0,
        "topic_count": db.session.scalar(select(func.count(Topic.id)).where(Topic.author_id == uid)) or 0,
        "message_count": db.session.scalar(select(func.count(Message.id)).where(Message.author_id == uid)) or 0,
    }
    record = AccountDeletion(user_id=uid, role=user.role, account_created_at=user.created_at, deleted_at=utcnow(),
                             username_digest=username_digest(user.username),
                             skeleton_digest=skeleton_digest(user.username), **counts)
    db.session.add(record)
    old_email, old_username = user.email, user.username
    for name in {user.username, user.display_name} - {None, ""}:
        _former_prefix_update(uid, name)
    for model in _PRIVATE_ROWS:
        db.session.execute(delete(model).where(model.user_id == uid).execution_options(synchronize_session=False))
    placeholder = f"former member {uid}"  # a space: no one can register it, nor sign in with it
    # One UPDATE (the session's copy of the row is synchronised): every personal field.
    db.session.execute(update(User).where(User.id == uid).values(
        username=placeholder[:30], username_key=placeholder, email="", email_key=placeholder,
        password_hash="!deleted",  # not a Werkzeug hash: no password matches  # noqa: S106
        display_name=None, title=None, email_verified_at=None, avatar_key=None,
        suspended_until=None, suspended_indefinitely=False,
        suspension_reason=None,  # the moderation log keeps the public reason
        deleted_at=record.deleted_at,
    ))
    db.session.flush()
    brand = current_app.config["BRAND_NAME"]
    if old_email:
        queue_mail(
            old_email,
            f"Your {brand} account is deleted",
            f"Hello {old_username},\n\nYour {brand} account was deleted as you asked. Your posts stay on the forum, "
            "shown as by “a former member”; your email address, names and settings are gone, and we will not "
            "write to you again.\n",
        )
    return record
