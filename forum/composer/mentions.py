"""@mentions: the member named in a post is notified (once per post, after the
commit, through forum.notify), unless they cannot see the topic."""

from __future__ import annotations

import re

from sqlalchemy import select

from forum import signals
from forum.accounts.validation import username_key
from forum.extensions import db
from forum.models import Post, User
from forum.notify import notify
from forum.permissions import can_view_topic

#: Most members one post notifies; further names are ignored.
MENTIONS_MAX = 10
#: ``@name`` not inside a word, an email address or a path; names are 3-30 characters.
MENTION_RE = re.compile(r"(?<![\w@/.\-])@([\w.\-]{3,30})(?![\w.\-]*[\w])")
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)


def mentioned_keys(body: str) -> list[str]:
    """The username keys named in ``body`` (not in code), in order, each once."""
    text = _CODE.sub(" ", body or "")
    keys: list[str] = []
    for match in MENTION_RE.finditer(text):
        key = username_key(match.group(1).rstrip(".-"))
        if key and key not in keys:
            keys.append(key)
        if len(keys) >= MENTIONS_MAX:
            break
    return keys


def notify_mentions(post: Post, keys: list[str]) -> list[User]:
    """Notify the members ``keys`` name about ``post``; returns who was told."""
    if not keys or post.is_hidden:
        return []
    topic = post.topic
    users = [u for u in db.session.scalars(select(User).where(User.username_key.in_(keys)))
             if u.id != post.author_id and not u.is_deleted and can_view_topic(u, topic)]
    if users:
        notify(users, kind="mention", category="replies", actor=post.author, topic=topic, url=f"/p/{post.id}",
               text=f"{post.author.shown_name} mentioned you in “{topic.title}”.")
    return users


@signals.post_created.connect
def _post_created(post, **kwargs) -> None:
    notify_mentions(post, mentioned_keys(post.body))


@signals.post_edited.connect
def _post_edited(post, *, revision=None, **kwargs) -> None:
    """An edit notifies only the names it adds."""
    before = set(mentioned_keys(revision.old_body)) if revision is not None else set()
    notify_mentions(post, [k for k in mentioned_keys(post.body) if k not in before])
