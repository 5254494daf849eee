"""Rows to the plain dicts the schemas dump. What a reader may not see is left out
here, with the pages' predicates: hidden posts' text, anyone's email (never)."""

from __future__ import annotations

from typing import Any

from forum.models import FORMER_MEMBER
from forum.pagination import Page
from forum.permissions import can_view_hidden_post


def user_ref(user) -> dict[str, Any] | None:
    if user is None:
        return None
    deleted = user.is_deleted
    return {
        "id": user.id,
        "username": None if deleted else user.username,
        "name": FORMER_MEMBER if deleted else user.shown_name,
        "is_staff": bool(user.is_staff and not deleted),
        "badge": user.badge_label if user.is_staff and not deleted else None,
    }


def page_info(page: Page) -> dict[str, int]:
    return {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages}


def category_ref(category) -> dict[str, Any]:
    return {"id": category.id, "slug": category.slug, "name": category.name}


def post(p, viewer) -> dict[str, Any] | None:
    if p is None:
        return None
    shown = not p.is_hidden or can_view_hidden_post(viewer, p)
    return {
        "id": p.id, "topic_id": p.topic_id, "author": user_ref(p.author), "is_first": p.is_first,
        "parent_id": p.parent_id, "depth": p.depth, "is_hidden": p.is_hidden,
        "body_html": p.body_html if shown else None, "created_at": p.created_at, "edited_at": p.edited_at,
        "kudos": p.kudos_count, "url": f"/p/{p.id}",
    }


def topic_summary(t) -> dict[str, Any]:
    return {
        "id": t.id, "title": t.title, "category": category_ref(t.category), "author": user_ref(t.author),
        "state": t.state, "issue_label": t.issue_label, "is_pinned": t.is_pinned, "is_locked": t.is_locked,
        "reply_count": t.reply_count, "created_at": t.created_at, "last_post_at": t.last_post_at,
        "official_answer_post_id": t.official_answer_post_id, "solution_post_id": t.solution_post_id,
        "url": f"/t/{t.id}",
    }


def incident_summary(i) -> dict[str, Any]:
    return {
        "id": i.id, "title": i.title, "severity": i.severity, "state": i.state, "tags": i.tag_list,
        "created_at": i.created_at, "last_update_at": i.last_update_at, "resolved_at": i.resolved_at,
        "url": f"/status/{i.id}",
    }


def incident_update(u) -> dict[str, Any]:
    return {"id": u.id, "state": u.state, "body_html": u.body_html, "author": user_ref(u.author),
            "created_at": u.created_at, "edited_at": u.edited_at}


def case_summary(c) -> dict[str, Any]:
    return {"id": c.id, "subject": c.subject, "topic_id": c.topic_id, "member": user_ref(c.member),
            "is_closed": c.is_closed, "created_at": c.created_at}


def note(n) -> dict[str, Any]:
    return {"id": n.id, "topic_id": n.topic_id, "author": user_ref(n.author), "body_html": n.body_html,
            "created_at": n.created_at}
