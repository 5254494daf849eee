"""Conversation services: starting and replying on both sides, assignment, closing
and reopening, notifications, and refused input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.messages import services
from forum.models import Category, ConversationEvent, Message, Notification, TopicContact
from forum.topics import services as topics


def _notes(app, user):
    with app.app_context():
        return list(db.session.scalars(select(Notification).where(Notification.user_id == user["id"])))


def test_member_starts_team_conversation_unassigned_and_waiting(app, work, people, team_conv):
    with work() as w:
        conv = w.conv(team_conv)
        assert conv.is_team
        assert conv.member_id == people["member"]["id"]
        assert conv.assigned_to_id is None
        assert conv.waiting_since is not None
        assert conv.participant_ids == {people["member"]["id"]}
        msg = db.session.scalar(select(Message).where(Message.conversation_id == conv.id))
        assert msg.body == "I was charged twice."
        assert not msg.from_team
        assert conv.last_message_id == msg.id
    # Nobody is assigned yet: the conversation waits in the inbox, no one is notified.
    assert _notes(app, people["staff"]) == []


def test_staff_reply_is_from_team_stops_the_wait_and_notifies_member(app, work, people, team_conv):
    with work() as w:
        conv = w.conv(team_conv)
        services.assign(conv, actor=w.user(people["staff"]), assignee=w.user(people["staff"]))
        msg = services.send_message(conv, author=w.user(people["staff"]), body="Sorry, **refunded** now.")
        assert msg.from_team
        assert "<strong>refunded</strong>" in msg.body_html
        assert conv.waiting_since is None
    notes = _notes(app, people["member"])
    assert [n.text for n in notes] == ["Customer Care sent you a private message."]
    assert notes[0].url == f"/messages/{team_conv}"
    assert "refunded" not in notes[0].text  # never the content

    with work() as w:
        services.send_message(w.conv(team_conv), author=w.user(people["member"]), body="Thanks!")
        assert w.conv(team_conv).waiting_since is not None
    # The member's reply notifies the assignee.
    assert [n.kind for n in _notes(app, people["staff"])] == ["message"]


def test_staff_start_is_assigned_to_them_and_records_topic_notice(work, people, category):
    with work() as w:
        member, staff = w.user(people["member"]), w.user(people["staff"])
        topic = topics.create_topic(
            db.session.get(Category, category["id"]), author=member, title="Charged twice for data", body="Help"
        )
        conv = services.start_conversation(staff, member, subject="Your bill", body="Hi", topic=topic, notice_on_topic=True)
        assert conv.is_team
        assert conv.assigned_to_id == staff.id
        assert conv.member_id == member.id
        assert conv.waiting_since is None
        assert db.session.scalar(select(TopicContact.topic_id)) == topic.id
        events = list(db.session.scalars(select(ConversationEvent)))
        assert [(e.action, e.team_only, e.target_user_id) for e in events] == [("assigned", True, staff.id)]
        # The notice needs the member to have posted in the topic.
        with pytest.raises(services.MessageError, match="has not posted"):
            services.start_conversation(staff, w.user(people["other"]), subject="x", body="y", topic=topic,
                                        notice_on_topic=True)
        # A member cannot put the notice on a topic.
        with pytest.raises(services.MessageError, match="Only Customer Care"):
            services.start_conversation(member, None, subject="x", body="y", topic=topic, notice_on_topic=True)


def test_assignment_changes_are_recorded(work, people, team_conv):
    with work() as w:
        conv, staff, exe = w.conv(team_conv), w.user(people["staff"]), w.user(people["executive"])
        assert services.assign(conv, actor=staff, assignee=staff) is True
        assert services.assign(conv, actor=staff, assignee=staff) is False  # no change, no event
        assert services.assign(conv, actor=exe, assignee=exe) is True
        assert services.assign(conv, actor=exe, assignee=None) is True
        assert conv.assigned_to_id is None
        events = list(db.session.scalars(select(ConversationEvent).order_by(ConversationEvent.id)))
        assert [(e.action, e.actor_id, e.target_user_id) for e in events] == [
            ("assigned", staff.id, staff.id), ("assigned", exe.id, exe.id), ("unassigned", exe.id, None)]
        assert all(e.team_only for e in events)


@pytest.mark.parametrize("role", ["member", "moderator", "other"])
def test_only_the_care_team_assigns(work, people, team_conv, role):
    with work() as w, pytest.raises(services.NotAllowed):
        services.assign(w.conv(team_conv), actor=w.user(people[role]), assignee=w.user(people["staff"]))


def test_assignee_must_be_in_the_team(work, people, team_conv):
    with work() as w, pytest.raises(services.MessageError, match="Customer Care team"):
        services.assign(w.conv(team_conv), actor=w.user(people["staff"]), assignee=w.user(people["moderator"]))


@pytest.mark.parametrize("closer", ["member", "staff"])
def test_either_side_closes_and_reopens(work, people, team_conv, closer):
    with work() as w:
        conv, who = w.conv(team_conv), w.user(people[closer])
        assert services.set_closed(conv, True, actor=who) is True
        assert services.set_closed(conv, True, actor=who) is False
        assert conv.is_closed
        assert conv.closed_at is not None
        with pytest.raises(services.MessageError, match="closed"):
            services.send_message(conv, author=w.user(people["member"]), body="hello?")
        with pytest.raises(services.MessageError, match="closed"):
            services.send_message(conv, author=w.user(people["staff"]), body="hello?")
        other_side = w.user(people["staff" if closer == "member" else "member"])
        assert services.set_closed(conv, False, actor=other_side) is True
        assert not conv.is_closed
        services.send_message(conv, author=w.user(people["member"]), body="Back again")
        actions = list(db.session.scalars(select(ConversationEvent.action).order_by(ConversationEvent.id)))
        assert actions == ["closed", "reopened"]


@pytest.mark.parametrize("body", ["", "   \n  ", "x" * (services.MESSAGE_MAX + 1), "nul\x00byte"])
def test_bad_bodies_are_refused(work, people, team_conv, body):
    with work() as w, pytest.raises(services.MessageError):
        services.send_message(w.conv(team_conv), author=w.user(people["member"]), body=body)


def test_longest_message_is_accepted(work, people, team_conv):
    with work() as w:
        msg = services.send_message(w.conv(team_conv), author=w.user(people["member"]), body="y" * services.MESSAGE_MAX)
        assert len(msg.body) == services.MESSAGE_MAX


def test_member_to_member_needs_the_setting(app, work, people):
    with work() as w, pytest.raises(services.NotAllowed, match="cannot message other members"):
        services.start_conversation(w.user(people["member"]), w.user(people["other"]), subject="hi", body="hello")
    app.config["MEMBER_DMS"] = True
    try:
        with work() as w:
            conv = services.start_conversation(w.user(people["member"]), w.user(people["other"]), subject="hi", body="hey")
            assert conv.kind == "direct"
            assert conv.participant_ids == {people["member"]["id"], people["other"]["id"]}
        assert [n.text for n in _notes(app, people["other"])] == ["member_u sent you a private message."]
    finally:
        app.config["MEMBER_DMS"] = False


def test_moderator_is_not_care_team_for_starting(work, people):
    with work() as w, pytest.raises(services.NotAllowed):
        services.start_conversation(w.user(people["moderator"]), w.user(people["member"]), subject="hi", body="hello")


def test_cannot_message_yourself_or_leave_staff_recipient_empty(work, people):
    with work() as w:
        with pytest.raises(services.MessageError, match="yourself"):
            services.start_conversation(w.user(people["staff"]), w.user(people["staff"]), subject="a", body="b")
        with pytest.raises(services.MessageError, match="which member"):
            services.start_conversation(w.user(people["staff"]), None, subject="a", body="b")


def test_unverified_member_cannot_contact_team(work, make_user):
    u = make_user("newbie", verified=False)
    with work() as w, pytest.raises(services.NotAllowed):
        services.start_conversation(w.user(u), None, subject="a", body="b")


def test_messages_never_reach_public_signals(work, people):
    """Message bodies must never be indexed: no post/topic signal fires for them."""
    from forum import signals

    seen = []

    def receiver(sender, **kw):
        seen.append(sender)

    signals.post_created.connect(receiver)
    signals.topic_created.connect(receiver)
    try:
        with work() as w:
            conv = services.start_conversation(w.user(people["member"]), None, subject="a", body="secret")
            services.send_message(conv, author=w.user(people["staff"]), body="also secret")
    finally:
        signals.post_created.disconnect(receiver)
        signals.topic_created.disconnect(receiver)
    assert seen == []
