"""Side effects that must wait for the database commit (mail, later notifications
and search). Services call :func:`after_commit`; the callbacks run once the boundary
commits, and are dropped if it rolls back."""

from collections.abc import Callable

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "forum_after_commit"


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` after the current transaction of ``db.session`` commits."""
    from forum.extensions import db

    db.session().info.setdefault(_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    callbacks = session.info.pop(_KEY, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a side effect must never undo or hide a committed write
            current_app.logger.exception("after-commit callback %r failed", callback)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction was rolled back
        session.info.pop(_KEY, None)
