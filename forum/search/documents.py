"""What goes into the index, read from the database (the truth).

Three kinds of document:

- ``t:<topic id>`` (kind ``topic``): title, opening post, official answer and accepted
  solution, category, resolved/official flags, dates, reply count, kudos.
- ``p:<post id>`` (kind ``reply``): one visible reply, with its topic's category and
  resolved flag.
- ``q:<question id>`` (kind ``qa``): an answered Q&A question with its answers.

Hidden posts, merged topics and anything not visible to everyone produce no document
(the indexer deletes it instead). Private messages are never read here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.models import Answer, Category, Post, QAEvent, Question, Topic
from forum.models.cases import RESOLVED

CHUNK = 1000
#: Markdown source is capped before indexing (the markup layer caps it at 20,000 too).
BODY_MAX = 20_000


def naive_utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def signature(doc: dict) -> str:
    parts = [f"{k}={doc[k]!r}" for k in sorted(doc) if k not in ("sig",)]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


def _finish(doc: dict) -> dict:
    doc["sig"] = signature(doc)
    return doc


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _topic_doc(topic: Topic, slug: str, first: Post | None, answers: list[Post]) -> dict:
    visible_answers = [p for p in answers if p is not None and not p.is_hidden]
    body = first.body[:BODY_MAX] if first is not None and not first.is_hidden else ""
    return _finish({
        "id": f"t:{topic.id}",
        "kind": "topic",
        "topic_id": topic.id,
        "post_id": first.id if first is not None else None,
        "title": topic.title,
        "body": body,
        "answer": "\n\n".join(p.body[:BODY_MAX] for p in visible_answers),
        "category": slug,
        "resolved": topic.state == RESOLVED,  # the case state (forum.models.cases)
        "official": topic.official_answer_post_id is not None,
        "created": naive_utc(topic.created_at),
        "activity": naive_utc(topic.last_post_at),
        "replies": topic.reply_count,
        "kudos": first.kudos_count if first is not None else 0,
    })


def topic_docs(session: Session, topic_ids: Iterable[int] | None = None) -> Iterator[tuple[int, dict | None]]:
    """``(topic id, document or None)``; None means "not searchable: delete it"."""
    if topic_ids is None:
        ids = list(session.scalars(select(Topic.id).where(Topic.merged_into_id.is_(None)).order_by(Topic.id)))
    else:
        ids = sorted(set(topic_ids))
    for chunk in _chunks(ids):
        rows = session.execute(
            select(Topic, Category.slug).join(Category, Category.id == Topic.category_id).where(Topic.id.in_(chunk))
        ).all()
        found = {t.id: (t, slug) for t, slug in rows}
        answer_ids = {i for t, _ in rows for i in (t.official_answer_post_id, t.solution_post_id) if i}
        posts = session.scalars(
            select(Post).where((Post.topic_id.in_(chunk) & Post.is_first) | Post.id.in_(answer_ids or [0]))
        ).all()
        firsts = {p.topic_id: p for p in posts if p.is_first}
        by_id = {p.id: p for p in posts}
        for tid in chunk:
            if tid not in found or found[tid][0].merged_into_id is not None:
                yield tid, None
                continue
            topic, slug = found[tid]
            answers = [by_id.get(i) for i in dict.fromkeys((topic.official_answer_post_id, topic.solution_post_id)) if i]
            yield tid, _topic_doc(topic, slug, firsts.get(tid), answers)


def reply_docs(session: Session, post_ids: Iterable[int] | None = None,
               topic_ids: Iterable[int] | None = None) -> Iterator[tuple[int, dict | None]]:
    """``(post id, document or None)`` for replies (not opening posts)."""
    stmt = (
        select(Post.id, Post.body, Post.is_first, Post.is_hidden, Post.created_at, Post.kudos_count, Post.topic_id,
               Topic.merged_into_id, (Topic.state == RESOLVED).label("is_resolved"), Topic.official_answer_post_id,
               Category.slug)
        .join(Topic, Topic.id == Post.topic_id)
        .join(Category, Category.id == Topic.category_id)
    )
    if post_ids is None and topic_ids is None:
        batches = [stmt.where(Post.is_first.is_(False), Post.is_hidden.is_(False),
                              Topic.merged_into_id.is_(None)).order_by(Post.id)]
        wanted = None
    elif post_ids is not None:
        wanted = sorted(set(post_ids))
        batches = [stmt.where(Post.id.in_(chunk)) for chunk in _chunks(wanted)]
    else:
        wanted = None
        batches = [stmt.where(Post.topic_id.in_(chunk), Post.is_first.is_(False)) for chunk in _chunks(sorted(set(topic_ids)))]
    seen = set()
    for batch in batches:
        for row in session.execute(batch.execution_options(yield_per=CHUNK)):
            seen.add(row.id)
            if row.is_first or row.is_hidden or row.merged_into_id is not None:
                yield row.id, None
                continue
            yield row.id, _finish({
                "id": f"p:{row.id}",
                "kind": "reply",
                "topic_id": row.topic_id,
                "post_id": row.id,
                "body": row.body[:BODY_MAX],
                "category": row.slug,
                "resolved": bool(row.is_resolved),
                "official": row.official_answer_post_id == row.id,
                "created": naive_utc(row.created_at),
                "activity": naive_utc(row.created_at),
                "kudos": row.kudos_count,
            })
    for missing in (set(wanted or ()) - seen):
        yield missing, None


def qa_docs(session: Session, question_ids: Iterable[int] | None = None) -> Iterator[tuple[int, dict | None]]:
    """``(question id, document or None)``: answered, unmerged questions with their answers."""
    stmt = select(Question, QAEvent.title, QAEvent.slug).join(QAEvent, QAEvent.id == Question.event_id)
    if question_ids is None:
        stmt = stmt.where(Question.status == "answered", Question.merged_into_id.is_(None))
        wanted = None
        batches = [stmt.order_by(Question.id)]
    else:
        wanted = sorted(set(question_ids))
        batches = [stmt.where(Question.id.in_(chunk)) for chunk in _chunks(wanted)]
    seen = set()
    for batch in batches:
        rows = session.execute(batch).all()
        qids = [q.id for q, _, _ in rows]
        answers: dict[int, list[str]] = {}
        for qid, body in session.execute(
            select(Answer.question_id, Answer.body).where(Answer.question_id.in_(qids or [0])).order_by(Answer.id)
        ):
            answers.setdefault(qid, []).append(body[:BODY_MAX])
        for question, event_title, event_slug in rows:
            seen.add(question.id)
            if question.status != "answered" or question.merged_into_id is not None:
                yield question.id, None
                continue
            yield question.id, _finish({
                "id": f"q:{question.id}",
                "kind": "qa",
                "topic_id": question.event_id,
                "post_id": question.id,
                "title": event_title,
                "body": question.body[:BODY_MAX],
                "answer": "\n\n".join(answers.get(question.id, [])),
                "category": f"qa:{event_slug}",
                "resolved": True,
                "official": True,
                "created": naive_utc(question.created_at),
                "activity": naive_utc(question.answered_at or question.created_at),
                "kudos": question.vote_count,
            })
    for missing in (set(wanted or ()) - seen):
        yield missing, None


def all_docs(session: Session) -> Iterator[dict]:
    for _, doc in topic_docs(session):
        if doc:
            yield doc
    for _, doc in reply_docs(session):
        if doc:
            yield doc
    for _, doc in qa_docs(session):
        if doc:
            yield doc


def count_sources(session: Session) -> int:
    """Roughly how many documents :func:`all_docs` yields (for the progress bar)."""
    from sqlalchemy import func

    topics = session.scalar(select(func.count(Topic.id)).where(Topic.merged_into_id.is_(None))) or 0
    posts = session.scalar(select(func.count(Post.id)).where(Post.is_first.is_(False), Post.is_hidden.is_(False))) or 0
    questions = session.scalar(select(func.count(Question.id)).where(Question.status == "answered")) or 0
    return topics + posts + questions
