"""Demo data for the help desk: an official answer, an accepted solution with its
satisfaction answer, kudos and an executive's title. Called from ``forum demo``."""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.helpdesk import services
from forum.models import Post, Topic, User


def _reply(title_start: str, author: User) -> Post | None:
    topic = db.session.scalar(select(Topic).where(Topic.title.startswith(title_start)))
    if topic is None:
        return None
    return db.session.scalar(
        select(Post).where(Post.topic_id == topic.id, Post.author_id == author.id, Post.is_first.is_(False)).order_by(Post.id)
    )


def seed_helpdesk(users: dict[str, User]) -> None:
    if "dana.hayes" in users:
        services.set_title(users["dana.hayes"], "Head of Customer Care")
    mast = _reply("No 4G indoors", users["care.priya"]) if "care.priya" in users else None
    if mast is not None:
        services.mark_official_answer(mast, actor=users["care.priya"], reason="Confirmed with the network team.")
        for fan in ("marco.r", "niamh.d"):
            if fan in users:
                services.give_kudos(mast, user=users[fan])
    seed_staff_tools(users)
    refund = _reply("Charged twice", users["care.tom"]) if "care.tom" in users else None
    if refund is not None and "oldphone_owen" in users:
        services.accept_solution(refund, actor=users["oldphone_owen"])
        services.rate_satisfaction(refund.topic, user=users["oldphone_owen"], answer="yes", comment="Refund arrived.")


def seed_staff_tools(users: dict[str, User]) -> None:
    """Two saved replies and an internal note (staff only) on the mast topic."""
    from forum.helpdesk import notes, saved_replies

    agent = users.get("care.priya")
    if agent is None:
        return
    saved_replies.create_saved_reply(
        actor=agent, title="Reset network settings",
        body="Hi {name}, sorry about the trouble. Please try *Settings → General → Reset network settings*, "
             "then restart your phone. Let us know how it goes!\n\n{agent}, Customer Care")
    saved_replies.create_saved_reply(
        actor=agent, title="We need to check your account",
        body="Hi {name}, thanks for the details. We need to look at your account, so we will message you "
             "privately. Please never post your account number here.")
    mast = _reply("No 4G indoors", agent)
    if mast is not None:
        notes.add_note(mast.topic, author=agent, body="Mast upgrade ticket NET-4411; network team says done Friday.")
