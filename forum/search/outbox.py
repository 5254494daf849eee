"""The search outbox: every change that affects search writes a row in the same
transaction (signal receivers below), and the indexer applies it after the commit
(a ``search.drain`` job, ``forum.jobqueue``).

Row kinds: ``topic`` (the topic document), ``post`` (one reply), ``tree`` (a topic and
all its replies, e.g. after a move or a change of resolved state), ``qa`` (a Q&A
question). The indexer reads the current state, so a rollback simply drops the row."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from forum import jobqueue, signals
from forum.aftercommit import transaction_state
from forum.extensions import db
from forum.models import Answer, Post, Question, SearchOutbox

_KEYS = "search_outbox_keys"
_ROWS = "search_outbox_rows"  # forum.search.indexer.ROWS_KEY


def enqueue(doc_type: str, doc_id: int | None, action: str = "index") -> None:
    """Queue ``doc_type``/``doc_id`` for the indexer, once per transaction."""
    if doc_id is None:
        return
    state = transaction_state()
    keys = state.setdefault(_KEYS, set())
    key = (doc_type, doc_id, action)
    if key in keys:
        return
    if not keys and current_app.config.get("SEARCH_INLINE_INDEXER", True):
        jobqueue.enqueue("search.drain")  # applied after the commit (in-process or on a worker)
    keys.add(key)
    row = SearchOutbox(doc_type=doc_type, doc_id=doc_id, action=action)
    state.setdefault(_ROWS, []).append(row)  # the PostgreSQL backend applies them in the commit
    db.session.add(row)


@jobqueue.job("search.drain")
def drain_job() -> None:
    """The ``search.drain`` job: apply the outbox (every pending row; harmless twice)."""
    from forum.search.indexer import drain

    drain()


@jobqueue.periodic("search.drain")
def drain_periodic() -> int:
    """Beat's catch-up: rows written by scripts, or left by a failed drain."""
    from forum.search.indexer import drain

    return drain()


def _post_changed(post: Post) -> None:
    if post.is_first:
        enqueue("topic", post.topic_id)
        return
    enqueue("post", post.id)
    topic = post.topic
    if topic is not None and post.id in (topic.official_answer_post_id, topic.solution_post_id):
        enqueue("topic", post.topic_id)


@signals.post_created.connect
def _on_post_created(post, **kwargs) -> None:
    if not post.is_first:
        enqueue("post", post.id)
    enqueue("topic", post.topic_id)  # reply count and last activity


@signals.post_edited.connect
def _on_post_edited(post, **kwargs) -> None:
    _post_changed(post)


@signals.post_hidden.connect
def _on_post_hidden(post, **kwargs) -> None:
    # Hiding may also unresolve the topic (forum.helpdesk), so refresh the whole tree.
    _post_changed(post)
    enqueue("tree", post.topic_id)


@signals.post_restored.connect
def _on_post_restored(post, **kwargs) -> None:
    _post_changed(post)


@signals.topic_created.connect
def _on_topic_created(topic, **kwargs) -> None:
    enqueue("topic", topic.id)


@signals.topic_edited.connect
def _on_topic_edited(topic, **kwargs) -> None:
    enqueue("topic", topic.id)


@signals.topic_moved.connect
def _on_topic_moved(topic, **kwargs) -> None:
    enqueue("tree", topic.id)  # every reply document carries the category


@signals.topic_merged.connect
def _on_topic_merged(topic, into=None, **kwargs) -> None:
    enqueue("topic", topic.id)  # merged: the indexer deletes it
    if into is not None:
        enqueue("tree", into.id)


@signals.topic_answer_changed.connect
def _on_answer_changed(topic, **kwargs) -> None:
    enqueue("tree", topic.id)  # reply documents carry the resolved flag


@signals.kudos_given.connect
def _on_kudos(post, **kwargs) -> None:
    if post.is_first:
        enqueue("topic", post.topic_id)
    else:
        enqueue("post", post.id)


# Q&A sessions send no signals; follow their questions and answers at the flush instead.
@event.listens_for(Session, "before_flush")
def _qa_changes(session: Session, flush_context, instances) -> None:
    try:
        if session is not db.session():
            return
    except RuntimeError:  # no application context (bulk scripts)
        return
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Question) and obj.id is not None:
            enqueue("qa", obj.id)
        elif isinstance(obj, Answer) and obj.question_id is not None:
            enqueue("qa", obj.question_id)

