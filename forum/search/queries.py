"""Read side: turn index hits into what a reader may see, from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum import markup
from forum.extensions import db
from forum.models import Answer, Category, Post, QAEvent, Question, Topic
from forum.search import indexer
from forum.search.index import Hit, SearchUnavailable

#: Queries are cut at this many characters.
QUERY_MAX = 256

EXCERPT = 240


@dataclass
class Result:
    kind: str
    title: str
    url: str
    category: str
    resolved: bool
    official: bool
    snippet: str | Markup
    when: datetime | None
    replies: int | None
    #: The Customer Care badge of the reply's author (or of a Q&A answer), if any.
    staff_label: str | None = None
    staff_role: str | None = None


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def _load(hits: list[Hit]):
    topic_ids = {h.topic_id for h in hits if h.kind in ("topic", "reply")}
    post_ids = {h.post_id for h in hits if h.kind == "reply" and h.post_id}
    qa_ids = {h.post_id for h in hits if h.kind == "qa" and h.post_id}
    topics = {t.id: t for t in db.session.scalars(
        select(Topic).options(joinedload(Topic.category)).where(Topic.id.in_(topic_ids or [0])))}
    answer_ids = {i for t in topics.values() for i in (t.official_answer_post_id, t.solution_post_id) if i}
    posts = {p.id: p for p in db.session.scalars(
        select(Post).options(joinedload(Post.author)).where(Post.id.in_((post_ids | answer_ids) or [0])
                           | (Post.topic_id.in_(topic_ids or [0]) & Post.is_first)))}
    firsts = {p.topic_id: p for p in posts.values() if p.is_first}
    questions = {q.id: q for q in db.session.scalars(
        select(Question).options(joinedload(Question.event)).where(Question.id.in_(qa_ids or [0])))}
    answers: dict[int, list[Answer]] = {}
    for a in db.session.scalars(select(Answer).where(Answer.question_id.in_(qa_ids or [0])).order_by(Answer.id)):
        answers.setdefault(a.question_id, []).append(a)
    return topics, posts, firsts, questions, answers


def _visible_topic(topic: Topic | None) -> bool:
    return topic is not None and topic.merged_into_id is None


def _answer_posts(topic: Topic, posts: dict[int, Post]) -> list[Post]:
    out = []
    for pid in dict.fromkeys((topic.official_answer_post_id, topic.solution_post_id)):
        post = posts.get(pid) if pid else None
        if post is not None and not post.is_hidden:
            out.append(post)
    return out


class Loaded:
    """The database rows behind a page of hits, loaded in a fixed number of queries;
    anything hidden, merged or gone is left out (the index may lag by a moment)."""

    def __init__(self, hits: list[Hit]):
        self.hits = hits
        self.topics, self.posts, self.firsts, self.questions, self.answers = _load(hits)

    def text(self, hit: Hit) -> str | None:
        if hit.kind == "topic":
            topic = self.topics.get(hit.topic_id)
            if not _visible_topic(topic):
                return None
            first = self.firsts.get(topic.id)
            parts = [first.body_html] if first is not None and not first.is_hidden else []
            parts += [p.body_html for p in _answer_posts(topic, self.posts)]
            return " ".join(markup.plain_text(p) for p in parts)
        if hit.kind == "reply":
            post = self.posts.get(hit.post_id)
            if post is None or post.is_hidden or post.is_first or not _visible_topic(self.topics.get(post.topic_id)):
                return None
            return markup.plain_text(post.body_html)
        question = self.questions.get(hit.post_id)
        if question is None or question.status != "answered" or question.merged_into_id is not None:
            return None
        return " ".join(markup.plain_text(x.body_html) for x in [question, *self.answers.get(question.id, [])])

    def texts(self) -> dict[str, str]:
        return {h.doc_id: t for h in self.hits if (t := self.text(h)) is not None}

    def result(self, hit: Hit) -> Result | None:
        text = self.text(hit)
        if text is None:
            return None
        if hit.snippet:
            snippet = Markup(hit.snippet)  # noqa: S704 - whoosh escaped the text, then added <mark>
        else:
            flat = " ".join(text.split())
            snippet = flat[:EXCERPT] + ("…" if len(flat) > EXCERPT else "")
        if hit.kind in ("topic", "reply"):
            topic = self.topics[hit.topic_id]
            staff = None
            if hit.kind == "topic":
                url, when = f"/t/{topic.id}", topic.last_post_at
            else:
                post = self.posts[hit.post_id]
                url, when = f"/p/{post.id}", post.created_at
                staff = post.author if post.author is not None and post.author.is_staff else None
            return Result(kind=hit.kind, title=topic.title, url=url, category=topic.category.name,
                          resolved=topic.is_resolved, official=topic.official_answer_post_id is not None,
                          snippet=snippet, when=when, replies=topic.reply_count if hit.kind == "topic" else None,
                          staff_label=staff.badge_label if staff else None, staff_role=staff.role if staff else None)
        question = self.questions[hit.post_id]
        event: QAEvent = question.event
        return Result(kind="qa", title=event.title, url=f"/ask/{event.slug}#q{question.id}", category="Q&A session",
                      resolved=True, official=True, snippet=snippet, when=question.answered_at or question.created_at,
                      replies=None)

    def answer_excerpt(self, hit: Hit) -> str:
        topic = self.topics.get(hit.topic_id)
        if topic is None:
            return ""
        answers = _answer_posts(topic, self.posts)
        text = markup.plain_text(answers[0].body_html) if answers else ""
        return text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")


def clean_query(raw: str) -> str:
    """A query as typed: NUL dropped, whitespace collapsed, cut at :data:`QUERY_MAX`."""
    return " ".join(raw.replace("\x00", " ").split())[:QUERY_MAX]


def similar_items(title: str) -> tuple[list[dict], str | None]:
    """Up to five topics similar to ``title``, resolved first, with an answer excerpt;
    and why search is degraded, if it is."""
    title = clean_query(title)
    if len(title) < 3:
        return [], None
    try:
        hits = indexer.get_backend().similar(title, limit=5)
    except SearchUnavailable as exc:
        return [], str(exc)
    loaded = Loaded(hits)
    items = []
    for hit in hits:
        result = loaded.result(hit)
        if result is None:
            continue
        items.append({
            "title": result.title,
            "url": url_for("topics.view_topic", topic_id=hit.topic_id),
            # Opening a suggestion is counted by a POST here (a button without
            # JavaScript, a beacon with it); the link itself goes straight to the topic.
            "open_url": url_for("search.open_suggestion", topic_id=hit.topic_id),
            "category": result.category,
            "resolved": result.resolved,
            "official": result.official,
            "replies": result.replies,
            "excerpt": loaded.answer_excerpt(hit),
        })
    return items, None
