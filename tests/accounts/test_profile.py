"""Public profiles at /u/<username>."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import ROLES, Category, User
from forum.models.users import ROLE_LABELS, STAFF_ROLES
from forum.topics import services as topic_services
from tests.accounts.helpers import text
from tests.conftest import AuthActions


def badge(html: str) -> str | None:
    match = re.search(r'<span class="badge badge-([a-z]+)">([^<]+)</span>', html)
    return f"{match.group(1)}:{match.group(2)}" if match else None


def facts(html: str) -> dict[str, str]:
    return {
        dt: re.sub(r"<[^>]+>", "", dd).strip() for dt, dd in re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", html, re.S)
    }


def test_profile_shows_name_join_date_and_post_count(app, client, make_user):
    user = make_user("jess", email="jess.private@example.com")
    with app.app_context():
        author = db.session.get(User, user["id"])
        cat = Category(name="Billing", slug="billing", position=1)
        db.session.add(cat)
        topic = topic_services.create_topic(cat, author=author, title="Roaming charges in Spain", body="Why?")
        topic_services.reply_to_topic(topic, author=author, body="Found it myself.")
        db.session.commit()
        joined = author.created_at
    resp = client.get("/u/jess")
    assert resp.status_code == 200
    html = text(resp)
    assert "<h1>jess" in html
    shown = facts(html)
    assert shown["Username"] == "@jess"
    assert shown["Joined"] == joined.strftime("%d %B %Y")
    assert f'datetime="{joined.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"' in html
    assert shown["Posts"] == "2"
    assert "Roaming charges in Spain" in html
    assert badge(html) is None


def test_profile_of_new_member(app, client, make_user):
    before = datetime.now(UTC)
    make_user("jess")
    html = text(client.get("/u/jess"))
    assert facts(html)["Posts"] == "0"
    assert "No posts yet." in html
    joined = datetime.strptime(facts(html)["Joined"], "%d %B %Y").replace(tzinfo=UTC)
    assert joined.date() in (before.date(), datetime.now(UTC).date())


def test_profile_shows_display_name(app, client, make_user):
    user = make_user("jess")
    with app.app_context():
        db.session.execute(update(User).where(User.id == user["id"]).values(display_name="Jess <Smith>"))
        db.session.commit()
    html = text(client.get("/u/jess"))
    assert "<h1>Jess &lt;Smith&gt;" in html
    assert "Jess <Smith>" not in html
    assert facts(html)["Username"] == "@jess"


@pytest.mark.parametrize("role", ROLES)
def test_role_badge_only_for_staff_roles(client, make_user, role):
    make_user("jess", role=role)
    html = text(client.get("/u/jess"))
    if role in STAFF_ROLES:
        assert badge(html) == f"{role}:{ROLE_LABELS[role]}"
    else:
        assert badge(html) is None
    assert facts(html)["Role"] == ROLE_LABELS[role]


@pytest.mark.parametrize("viewer", [None, "jess", "boss"])
def test_profile_never_shows_the_email(client, auth, make_user, viewer):
    make_user("jess", email="jess.private@example.com")
    make_user("boss", email="boss.private@example.com", role="admin")
    if viewer:
        auth.login(viewer)
    html = text(client.get("/u/jess"))
    assert "jess.private" not in html
    assert "example.com" not in html


def test_admin_sees_change_role_link_others_do_not(app, make_user):
    jess = make_user("jess")
    make_user("boss", role="admin")
    make_user("mod", role="moderator")
    link = f'href="/admin/users/{jess["id"]}/role"'
    anonymous, moderator, admin = (app.test_client() for _ in range(3))
    AuthActions(moderator).login("mod")
    AuthActions(admin).login("boss")
    assert link not in text(anonymous.get("/u/jess"))
    assert link not in text(moderator.get("/u/jess"))
    assert link in text(admin.get("/u/jess"))
    assert "Change role" not in text(admin.get("/u/boss"))  # never their own


@pytest.mark.parametrize("path", ["/u/JESS", "/u/Ｊｅｓｓ"])
def test_profile_lookup_ignores_case_and_width(client, make_user, path):
    make_user("jess")
    resp = client.get(path)
    assert resp.status_code == 200
    assert facts(text(resp))["Username"] == "@jess"


@pytest.mark.parametrize("path", ["/u/nobody", "/u/" + "x" * 200, "/u/je%00ss", "/u/%E2%80%8Bjess", "/u/jes"])
def test_missing_profile_is_404(client, make_user, path):
    make_user("jess")
    resp = client.get(path)
    assert resp.status_code == 404
    assert "We could not find that page." in text(resp)
