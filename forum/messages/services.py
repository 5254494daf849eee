"""Conversation writes. Services check permissions, write and flush; the caller's
boundary (:class:`forum.actions.action`) commits. The one exception is
:func:`record_read`, which runs its own short transaction (see there).

Message bodies are private: they must never be sent to the search outbox (or any
public index). No function here sends ``signals.post_created`` or a search signal,
on purpose; keep it that way.
"""

from __future__ import annotations

from sqlalchemy import exists, select, update

from forum import actions, markup, text
from forum.extensions import db
from forum.models import (
    Conversation,
    ConversationEvent,
    ConversationParticipant,
    Message,
    Post,
    Topic,
    TopicContact,
    User,
)
from forum.models.base import utcnow
from forum.models.messages import KIND_DIRECT, KIND_TEAM
from forum.notify import notify
from forum.permissions import (
    _is_care_team,
    can_assign_conversation,
    can_close_conversation,
    can_contact_team,
    can_message_user,
    can_reply_to_conversation,
    suspension_message,
)

MESSAGE_MAX = 10_000
SUBJECT_MAX = 150

MESSAGE_EMPTY = "Write a message first: it cannot be empty."
MESSAGE_TOO_LONG = f"Messages are at most {MESSAGE_MAX:,} characters long."
SUBJECT_LENGTH = f"Give the conversation a subject of 1 to {SUBJECT_MAX} characters."
MEMBER_DMS_OFF = "Members cannot message other members here. You can write to Customer Care instead."


class MessageError(actions.ActionError):
    """A refused write; the message is shown to the user, next to ``field`` when set."""


class NotAllowed(MessageError, actions.PermissionDenied):
    """The user may not do this (403)."""


def _clean_body(body: str | None) -> tuple[str, str]:
    body = text.clean_block(body, field="body", max_length=MESSAGE_MAX, length_message=MESSAGE_TOO_LONG,
                            empty_message=MESSAGE_EMPTY, error=MessageError)
    return body, markup.render_markdown(body, max_length=MESSAGE_MAX)


def _clean_subject(subject: str | None) -> str:
    return text.clean_line(subject, field="subject", max_length=SUBJECT_MAX, min_length=1,
                           length_message=SUBJECT_LENGTH, error=MessageError)


def conversation_url(conversation: Conversation) -> str:
    """The conversation's path (a plain path, so that CLI commands can notify too)."""
    return f"/messages/{conversation.id}"


def _participant(conversation: Conversation, user: User) -> ConversationParticipant:
    for p in conversation.participants:
        if p.user_id == user.id:
            return p
    p = ConversationParticipant(user_id=user.id)
    conversation.participants.append(p)
    return p


def has_posted_in(user: User, topic: Topic) -> bool:
    return bool(
        db.session.scalar(select(exists().where(Post.topic_id == topic.id, Post.author_id == user.id)))
    )


def start_conversation(
    author: User,
    recipient: User | None,
    *,
    subject: str,
    body: str,
    topic: Topic | None = None,
    notice_on_topic: bool = False,
) -> Conversation:
    """Start a conversation and send its first message.

    * ``recipient`` ``None``: the member writes to Customer Care as a team; it lands
      unassigned in the staff inbox.
    * The author is in the Customer Care team and the recipient is not: a team
      conversation with that member, assigned to the author. With ``topic`` and
      ``notice_on_topic`` (the member must have posted in the topic), the topic
      shows the public notice "Customer Care has contacted you privately".
    * Otherwise a direct conversation, only when ``MEMBER_DMS`` is on.
    """
    subject = _clean_subject(subject)
    _clean_body(body)  # refuse bad input before writing anything
    now = utcnow()
    if recipient is None:
        if _is_care_team(author):
            raise MessageError("Say which member to write to.", field="to")
        if not can_contact_team(author):
            raise NotAllowed(
                suspension_message(author) or "You cannot write to Customer Care until your email address is confirmed."
            )
        conv = Conversation(kind=KIND_TEAM, subject=subject, member_id=author.id, started_by_id=author.id, topic=topic)
    elif not can_message_user(author, recipient):
        if recipient.id == author.id:
            raise MessageError("You cannot message yourself.", field="to")
        raise NotAllowed(MEMBER_DMS_OFF)
    elif _is_care_team(author) and not _is_care_team(recipient):
        conv = Conversation(
            kind=KIND_TEAM, subject=subject, member_id=recipient.id, started_by_id=author.id, topic=topic,
            assigned_to_id=author.id,
        )
    else:
        conv = Conversation(kind=KIND_DIRECT, subject=subject, started_by_id=author.id, topic=topic)
    if notice_on_topic:
        if topic is None or not conv.is_team or conv.member_id == author.id:
            raise MessageError("Only Customer Care can mark a topic as contacted privately.", field="notice_on_topic")
        if not has_posted_in(recipient, topic):
            raise MessageError("That member has not posted in this topic.", field="notice_on_topic")
    conv.created_at = conv.last_message_at = now
    db.session.add(conv)
    _participant(conv, recipient or author)
    _participant(conv, author)
    db.session.flush()
    if conv.assigned_to_id is not None:
        db.session.add(
            ConversationEvent(conversation_id=conv.id, actor_id=author.id, action="assigned",
                              target_user_id=author.id, team_only=True, created_at=now)
        )
    if notice_on_topic:
        db.session.add(TopicContact(topic_id=topic.id, conversation_id=conv.id, created_by_id=author.id, created_at=now))
        topic.private_contact_at = now
    send_message(conv, author=author, body=body)
    return conv


def send_message(conversation: Conversation, *, author: User, body: str) -> Message:
    """Add a message to an open conversation the author can read; notify the others."""
    if not can_reply_to_conversation(author, conversation):
        if conversation.is_closed:
            raise MessageError("This conversation is closed. Reopen it to write again.", field="body")
        raise NotAllowed("You cannot write in this conversation.")
    body, html = _clean_body(body)
    now = utcnow()
    from_team = conversation.is_team and author.id != conversation.member_id and _is_care_team(author)
    message = Message(
        conversation_id=conversation.id, author_id=author.id, from_team=from_team, body=body, body_html=html,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    conversation.last_message_at = now
    conversation.last_message_id = message.id
    if conversation.is_team:
        conversation.waiting_since = None if from_team else (conversation.waiting_since or now)
    _participant(conversation, author).last_read_message_id = message.id
    db.session.flush()
    _notify(conversation, author, from_team)
    return message


def _notify(conversation: Conversation, author: User, from_team: bool) -> None:
    url = conversation_url(conversation)
    if conversation.is_team and from_team:
        recipients = [conversation.member_id]
        text = "Customer Care sent you a private message."
    elif conversation.is_team:
        recipients = [conversation.assigned_to_id] if conversation.assigned_to_id else []
        text = f"{author.shown_name} wrote in “{conversation.subject}”."
    else:
        recipients = [p.user_id for p in conversation.participants if p.user_id != author.id]
        text = f"{author.shown_name} sent you a private message."
    if recipients:
        notify(
            recipients, kind="message", text=text, url=url, actor=author, group_key=f"conversation:{conversation.id}",
            grouped_text=lambda n: f"{n} new private messages in “{conversation.subject}”.",
        )


def assign(conversation: Conversation, *, actor: User, assignee: User | None) -> bool:
    """Assign a team conversation to ``assignee`` (a team member; in practice the
    actor picking it up) or unassign it (``None``). Records an event the team sees.
    Returns whether anything changed."""
    if not can_assign_conversation(actor, conversation):
        raise NotAllowed("Only the Customer Care team assigns conversations.")
    if assignee is not None and not _is_care_team(assignee):
        raise MessageError("Conversations can only be assigned to the Customer Care team.")
    new_id = assignee.id if assignee is not None else None
    if conversation.assigned_to_id == new_id:
        return False
    conversation.assigned_to_id = new_id
    if assignee is not None:
        _participant(conversation, assignee)
    db.session.add(
        ConversationEvent(
            conversation_id=conversation.id, actor_id=actor.id, action="assigned" if assignee else "unassigned",
            target_user_id=new_id, team_only=True, created_at=utcnow(),
        )
    )
    db.session.flush()
    return True


def set_closed(conversation: Conversation, closed: bool, *, actor: User) -> bool:
    """Close or reopen a conversation (either side). Returns whether anything changed."""
    if not can_close_conversation(actor, conversation):
        raise NotAllowed("You cannot close or reopen this conversation.")
    if conversation.is_closed == closed:
        return False
    now = utcnow()
    conversation.is_closed = closed
    conversation.closed_at = now if closed else None
    db.session.add(
        ConversationEvent(
            conversation_id=conversation.id, actor_id=actor.id, action="closed" if closed else "reopened",
            team_only=False, created_at=now,
        )
    )
    db.session.flush()
    return True


def is_unread(conversation: Conversation, user: User) -> bool:
    """Whether ``user`` takes part in the conversation and has not seen its last message."""
    return any(
        p.user_id == user.id and p.last_read_message_id < conversation.last_message_id
        for p in conversation.participants
    )


def record_read(conversation_id: int, user_id: int, message_id: int) -> None:
    """Move ``user_id``'s read position in the conversation up to ``message_id``.

    Unlike every other write here this runs and commits a short transaction of its
    own, on its own connection, not the request's ``db.session``: opening a
    conversation is a GET, whose session writes nothing, so the view calls this once
    the page is built. One guarded UPDATE: it never moves the position back (a reply
    sent meanwhile has moved it further) and does nothing for a non-participant.
    """
    with db.engine.begin() as conn:
        conn.execute(
            update(ConversationParticipant)
            .where(
                ConversationParticipant.conversation_id == conversation_id,
                ConversationParticipant.user_id == user_id,
                ConversationParticipant.last_read_message_id < message_id,
            )
            .values(last_read_message_id=message_id)
        )
