"""Demo conversations for ``forum demo``."""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.messages import services
from forum.models import Topic, User


def seed_messages(users: dict[str, User]) -> None:
    """A member writing to Customer Care (waiting, unassigned), and Customer Care
    contacting a member privately about their public topic (with the topic notice)."""
    services.start_conversation(
        users["marco.r"], None, subject="Roaming charges on my last bill",
        body="Hi, I was charged for roaming in France last month but my plan should include it. "
        "Could someone look at my account?",
    )
    topic = db.session.scalar(select(Topic).where(Topic.title.startswith("Lost my phone abroad")))
    conv = services.start_conversation(
        users["care.tom"], users["niamh.d"], subject="Your lost SIM",
        body="Hi Niamh, Tom from Customer Care here. I've blocked the SIM on your number. "
        "Reply here with the address you'd like the replacement sent to and we'll post it today.",
        topic=topic, notice_on_topic=topic is not None,
    )
    services.send_message(conv, author=users["niamh.d"], body="Thank you! Please send it to my billing address.")
