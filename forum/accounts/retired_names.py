"""Usernames of deleted accounts are retired, not released (issue 18).

Deleting an account scrubs its username from the ``users`` row, but its posts stay
and people remember who wrote them: were the name free again, anyone could register
it and pass for the former member. The :class:`~forum.models.AccountDeletion` record
keeps SHA-256 digests of the old name's uniqueness key and of its confusable skeleton
(``names.skeleton``), and registration refuses a name matching either, with the same
words as a taken name. The digest is not secret (a guessed name can be checked, which
is the point); the name itself is no longer stored anywhere.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import or_, select

from forum.accounts.names import skeleton
from forum.accounts.validation import username_key
from forum.extensions import db
from forum.models import AccountDeletion

TAKEN_MESSAGE = "That username is taken."


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"forum.retired-{kind}:{value}".encode("utf-8", "surrogatepass")).hexdigest()


def username_digest(name: str) -> str:
    return _digest("username", username_key(name))


def skeleton_digest(name: str) -> str:
    # An empty skeleton (a name of only punctuation) must not retire every such name.
    return _digest("skeleton", skeleton(name) or username_key(name))


def is_retired(name: str) -> bool:
    """True when ``name`` is, or looks like, the username of a deleted account."""
    return db.session.scalar(
        select(AccountDeletion.id).where(or_(AccountDeletion.username_digest == username_digest(name),
                                             AccountDeletion.skeleton_digest == skeleton_digest(name))).limit(1)
    ) is not None
