"""Read-side selects for profiles."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import AccountDeletion, Post, User


def profile_stats(user: User) -> dict:
    post_count = db.session.scalar(select(func.count(Post.id)).where(Post.author_id == user.id))
    return {"posts": post_count or 0}


def recent_posts(user: User, *, limit: int = 10) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.author_id == user.id)
            .options(joinedload(Post.topic))
            .order_by(Post.id.desc())
            .limit(limit)
        )
    )


def account_deletions(*, limit: int = 200) -> list[AccountDeletion]:
    """The admin record of deleted accounts, newest first (no personal data in it)."""
    return list(db.session.scalars(select(AccountDeletion).order_by(AccountDeletion.id.desc()).limit(limit)))
