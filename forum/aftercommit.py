"""Side effects that must wait for the database commit (mail, notifications, search).

Services call :func:`after_commit`; the callbacks run once the boundary commits, and
are dropped if it rolls back. :func:`transaction_state` is a dict that lives exactly
as long as the current transaction, for features that batch their side effects.
"""

from collections.abc import Callable

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

_CALLBACKS = "forum_after_commit"
_STATE = "forum_transaction_state"


def _session() -> Session:
    from forum.extensions import db

    session = db.session()
    if not session.in_transaction():
        # Begin now, so that a rollback before any SQL still fires the rollback
        # event and drops what was queued.
        session.begin()
    return session


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` after the current transaction of ``db.session`` commits."""
    _session().info.setdefault(_CALLBACKS, []).append(callback)


def transaction_state() -> dict:
    """A dict private to the current transaction, emptied at commit and rollback."""
    return _session().info.setdefault(_STATE, {})


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    callbacks = session.info.pop(_CALLBACKS, [])
    session.info.pop(_STATE, None)
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a side effect must never undo or hide a committed write
            current_app.logger.exception("after-commit callback %r failed", callback)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction was rolled back
        session.info.pop(_CALLBACKS, None)
        session.info.pop(_STATE, None)
