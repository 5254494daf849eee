"""Every event of the catalogue, from where it happens, as the receiver gets it."""

from __future__ import annotations

from forum.extensions import db
from forum.helpdesk import escalation
from forum.helpdesk import services as helpdesk
from forum.incidents import services as incidents
from forum.models import Category, Post, User
from forum.moderation import services as moderation
from forum.topics import services as topics
from forum.webhooks.events import CATALOGUE


def test_every_event_in_the_catalogue(app, receiver, endpoint, make_user, board):
    endpoint(list(CATALOGUE))
    asker = make_user("asker", email="asker.private@example.test")
    other = make_user("other_member")
    agent = make_user("care_agent", role="staff")
    with app.app_context():
        u = {k: db.session.get(User, v["id"]) for k, v in {"asker": asker, "other": other, "agent": agent}.items()}
        topic = topics.create_topic(db.session.get(Category, board["id"]), author=u["asker"],
                                    title="Voicemail not working after update", body="It says unavailable.")
        db.session.commit()
        answer = topics.reply_to_topic(topic, author=u["agent"], body="Dial 121 and reset the voicemail PIN.")
        db.session.commit()  # post.created + topic.answered
        helpdesk.accept_solution(answer, actor=u["asker"])
        db.session.commit()  # topic.resolved
        topics.reply_to_topic(topic, author=u["asker"], body="It stopped working again this morning.")
        db.session.commit()  # post.created + topic.reopened
        escalation.escalate_topic(topic, actor=u["agent"], subject="Your voicemail",
                                  body="Private details of the account go here.")
        db.session.commit()  # case.escalated
        flagged = topics.reply_to_topic(topic, author=u["other"], body="Buy cheap phones at my shop.")
        db.session.commit()
        moderation.flag_post(db.session.get(Post, flagged.id), user=u["asker"], reason="spam", note="my private note")
        db.session.commit()  # content.flagged
        incident = incidents.open_incident(actor=u["agent"], title="Mobile data outage in Leeds", tags="",
                                           severity="major", body="We are investigating.")
        db.session.commit()
        incidents.post_update(incident, actor=u["agent"], state="identified", body="A mast is down.")
        db.session.commit()
        incidents.resolve_incident(incident, actor=u["agent"], summary="The mast is back.")
        db.session.commit()
        topic_id = topic.id
        from sqlalchemy import select

        from forum.models import Conversation

        conversation_id = db.session.scalar(select(Conversation.id).where(Conversation.topic_id == topic_id))
    got = receiver.events
    for name in CATALOGUE:
        assert name in got, f"{name} not delivered; got {got}"
    assert all(r["signature_ok"] for r in receiver.requests)
    by_event = {}
    for r in receiver.requests:
        by_event.setdefault(r["json"]["event"], []).append(r["json"]["data"])
    assert [d["topic"]["state"] for d in by_event["topic.answered"]] == ["answered"]
    assert by_event["topic.resolved"][0]["cause"] == "accepted"
    assert by_event["topic.reopened"][0]["from_state"] == "resolved"
    assert by_event["topic.created"][0]["topic"] == {
        "id": topic_id, "title": "Voicemail not working after update", "board": "network", "state": "waiting",
        "author": "asker", "url": f"http://localhost:5000/t/{topic_id}-voicemail-not-working-after-update"}
    escalated = by_event["case.escalated"][0]
    assert escalated == {"topic": {"id": topic_id}, "case": {"id": conversation_id}}  # ids only
    assert [d["incident"]["state"] for d in by_event["incident.opened"] + by_event["incident.updated"]
            + by_event["incident.resolved"]] == ["investigating", "identified", "resolved"]
    assert by_event["content.flagged"][0]["flag"]["reason"] == "spam"
    everything = b"".join(r["raw"] for r in receiver.requests).decode()
    for secret in ("asker.private@example.test", "Private details", "my private note", "Dial 121", "cheap phones"):
        assert secret not in everything


def test_no_endpoint_no_rows(app, make_user, board):
    from sqlalchemy import func, select

    from forum.models import JobOutbox, WebhookDelivery

    member = make_user()
    with app.app_context():
        topics.create_topic(db.session.get(Category, board["id"]), author=db.session.get(User, member["id"]),
                            title="Nobody listens to this one", body="Quiet.")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        assert db.session.scalar(select(func.count()).select_from(JobOutbox).where(JobOutbox.task == "webhooks.deliver")) == 0
