"""Member ranks from activity: accepted solutions and kudos received.

Staff roles show their badge instead (Customer Care, Moderator...). A page asks for
the ranks of all the people it shows at once (:func:`preload`: one cache lookup for
all of them, then one query keyed by the ids the cache did not have; the counts are
kept ``RANK_CACHE_SECONDS``, so a new solution or kudos shows within that time), and
the template reads them with ``member_rank(user)``, which never runs a query: a user
the page did not preload shows no rank.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy import func, literal, select, union_all

from forum.extensions import cache, db
from forum.models import Post, Topic
from forum.people import bp


@dataclass(frozen=True)
class Rank:
    name: str
    #: Reached with at least this many accepted solutions...
    solutions: int
    #: ... or at least this many kudos on their posts.
    kudos: int


#: The ranks, highest first: the one place their thresholds live.
RANKS = (
    Rank("Community Expert", solutions=10, kudos=100),
    Rank("Trusted Helper", solutions=3, kudos=25),
    Rank("Helper", solutions=1, kudos=5),
)

_G_KEY = "people_ranks"


def rank_for(solutions: int, kudos: int) -> Rank | None:
    """The highest rank whose solutions or kudos threshold is met; ``None`` below all."""
    return next((r for r in RANKS if solutions >= r.solutions or kudos >= r.kudos), None)


def activity(user_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """``{user id: (accepted solutions, kudos received)}`` for these users, in one query."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    kudos = select(Post.author_id.label("uid"), literal(0).label("solutions"),
                   func.coalesce(func.sum(Post.kudos_count), 0).label("kudos")
                   ).where(Post.author_id.in_(ids), Post.kudos_count > 0).group_by(Post.author_id)
    solutions = select(Post.author_id.label("uid"), func.count(Topic.id).label("solutions"), literal(0).label("kudos")
                       ).join(Post, Post.id == Topic.solution_post_id
                       ).where(Post.author_id.in_(ids)).group_by(Post.author_id)
    both = union_all(kudos, solutions).subquery()
    rows = db.session.execute(
        select(both.c.uid, func.sum(both.c.solutions), func.sum(both.c.kudos)).group_by(both.c.uid)
    )
    return {uid: (int(s or 0), int(k or 0)) for uid, s, k in rows}


def preload(users: Iterable) -> None:
    """Look up the ranks of these users (members only) for this request, at once."""
    known: dict[int, Rank | None] = g.setdefault(_G_KEY, {})
    wanted = {u.id for u in users if u is not None and not u.is_staff and not u.is_deleted and u.id not in known}
    if not wanted:
        return
    order = sorted(wanted)
    keys = [f"rank:{uid}" for uid in order]
    cached = dict(zip(order, cache.get_many(*keys), strict=True))
    missing = [uid for uid, value in cached.items() if value is None]
    if missing:
        counts = activity(missing)
        fresh = {uid: counts.get(uid, (0, 0)) for uid in missing}
        cache.set_many({f"rank:{uid}": list(v) for uid, v in fresh.items()},
                       timeout=current_app.config["RANK_CACHE_SECONDS"])
        cached.update(fresh)
    for uid, (solutions, kudos) in cached.items():
        known[uid] = rank_for(solutions, kudos)


@bp.app_template_global("preload_member_ranks")
def preload_topic_page(first, page) -> str:
    """For the topic page: the ranks of its posts' authors (one query)."""
    posts = ([first] if first is not None else []) + [entry.post for entry in page.items]
    preload(p.author for p in posts)
    return ""


@bp.app_template_global("member_rank")
def member_rank(user) -> Rank | None:
    """The rank preloaded for ``user`` on this request, else ``None`` (no query)."""
    return g.get(_G_KEY, {}).get(getattr(user, "id", None))
