"""Jinja helpers for conversations: the topic notice, and
how senders are named (team replies show as "Customer Care" to the member)."""

from __future__ import annotations

from flask import Flask, current_app

from forum.permissions import _is_care_team


def topic_private_contact(topic) -> bool:
    """Whether the topic shows "Customer Care has contacted you privately" (no query:
    the topic carries ``private_contact_at``, set with each ``TopicContact``)."""
    return topic.private_contact_at is not None


def staff_signature(user) -> str:
    """The staff member's name as shown to members, per ``MESSAGES_STAFF_NAME``:
    their first name (the first word of their display name) or the whole display name."""
    name = user.shown_name
    if current_app.config.get("MESSAGES_STAFF_NAME") == "display_name":
        return name
    return name.split()[0].strip(",;:-()") or name


def sender_name(message, viewer) -> str:
    """Who wrote ``message``, as ``viewer`` should see it."""
    if message.from_team and not _is_care_team(viewer):
        return f"{staff_signature(message.author)} · Customer Care"
    return message.author.shown_name


def event_actor_name(event, conversation, viewer) -> str:
    """Who closed or reopened a conversation, named like a message's sender."""
    if conversation.is_team and event.actor_id != conversation.member_id and not _is_care_team(viewer):
        return f"{staff_signature(event.actor)} · Customer Care"
    return event.actor.shown_name


def conversation_with(conversation, viewer) -> str:
    """The other side of a conversation, as ``viewer`` should see it."""
    if conversation.is_team:
        if conversation.member_id == viewer.id:
            return "Customer Care"
        return conversation.member.shown_name if conversation.member else "a member"
    others = [p.user.shown_name for p in conversation.participants if p.user_id != viewer.id]
    return ", ".join(others) or "yourself"


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        topic_private_contact=topic_private_contact,
        message_sender_name=sender_name,
        event_actor_name=event_actor_name,
        conversation_with=conversation_with,
        is_care_team=_is_care_team,
    )
