"""Access matrices: every moderation route, for anonymous, member, author, moderator,
staff and admin. (The edit page is the topics feature's: tests/topics/test_edit.py.)"""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.moderation import services as mod
from tests.moderation.conftest import VIEWERS
from tests.topics.dom import page

OK, LOGIN, FORBIDDEN = 200, 302, 403

#: path template -> expected status per viewer, for GET.
GET_MATRIX = {
    "/p/{reply}/history": dict.fromkeys(VIEWERS, OK),
    "/p/{reply}/hide": dict(anonymous=LOGIN, member=FORBIDDEN, author=FORBIDDEN, moderator=OK, staff=FORBIDDEN, admin=OK),
    "/p/{reply}/restore": dict(anonymous=LOGIN, member=FORBIDDEN, author=FORBIDDEN, moderator=OK, staff=FORBIDDEN,
                               admin=OK),
    "/p/{reply}/spam": dict(anonymous=LOGIN, member=FORBIDDEN, author=FORBIDDEN, moderator=OK, staff=FORBIDDEN, admin=OK),
    "/p/{reply}/dismiss-flags": dict(anonymous=LOGIN, member=FORBIDDEN, author=FORBIDDEN, moderator=OK,
                                     staff=FORBIDDEN, admin=OK),
    "/t/{topic}/lock": dict(anonymous=LOGIN, member=FORBIDDEN, author=FORBIDDEN, moderator=OK, staff=FORBIDDEN, admin=OK),
    "/t/{topic}/move": dict(anonymous=LOGIN, member=FORBIDDEN, author=FORBIDDEN, moderator=OK, staff=FORBIDDEN, admin=OK),
    "/t/{topic}/merge": dict(anonymous=LOGIN, member=FORBIDDEN, author=FORBIDDEN, moderator=OK, staff=FORBIDDEN,
                             admin=OK),
    "/p/{reply}/flag": dict(anonymous=LOGIN, member=OK, author=FORBIDDEN, moderator=OK, staff=OK, admin=OK),
    "/p/{reply}/appeal": dict(anonymous=LOGIN, member=FORBIDDEN, author=OK, moderator=FORBIDDEN, staff=FORBIDDEN,
                              admin=FORBIDDEN),
    "/mod/review": dict(anonymous=LOGIN, member=FORBIDDEN, author=FORBIDDEN, moderator=OK, staff=FORBIDDEN, admin=OK),
    "/mod/users/eric/suspend": dict(anonymous=LOGIN, member=FORBIDDEN, author=FORBIDDEN, moderator=OK,
                                    staff=FORBIDDEN, admin=OK),
    "/moderation-log": dict.fromkeys(VIEWERS, OK),
    "/moderation-log.atom": dict.fromkeys(VIEWERS, OK),
}


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("path", list(GET_MATRIX))
def test_get_matrix(client, world, as_viewer, viewer, path):
    as_viewer(world, viewer)
    resp = client.get(path.format(reply=world["reply"], topic=world["topic"]))
    expected = GET_MATRIX[path][viewer]
    assert resp.status_code == expected, f"{viewer} GET {path}"
    if expected == LOGIN:
        assert "/login" in resp.headers["Location"]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_hide_post_matrix(client, app, world, as_viewer, post_form, get, viewer):
    as_viewer(world, viewer)
    resp = post_form(f"/p/{world['reply']}/hide", {"reason": "Phone number"}, token_from="/login" if viewer == "anonymous" else "/")
    with app.app_context():
        hidden = get.post(world["reply"]).is_hidden
    if viewer in ("moderator", "admin"):
        assert resp.status_code == 302
        assert hidden
    else:
        assert resp.status_code == (LOGIN if viewer == "anonymous" else FORBIDDEN)
        assert not hidden


@pytest.mark.parametrize("viewer", VIEWERS)
def test_decide_appeal_matrix(client, app, world, as_viewer, post_form, get, viewer):
    with app.app_context():
        post = get.post(world["reply"])
        mod.hide_post(post, actor=get.user(world, "moderator"), reason="Phone number")
        appeal_id = mod.appeal_post(post, user=get.user(world, "author"), text="Company number").id
        db.session.commit()
    as_viewer(world, viewer)
    resp = post_form(f"/mod/appeals/{appeal_id}", {"outcome": "granted", "reason": "Shop number"},
                     token_from="/login" if viewer == "anonymous" else "/")
    with app.app_context():
        restored = not get.post(world["reply"]).is_hidden
    if viewer in ("moderator", "admin"):
        assert resp.status_code == 302
        assert restored
    else:
        assert resp.status_code == (LOGIN if viewer == "anonymous" else FORBIDDEN)
        assert not restored


@pytest.mark.parametrize("viewer", VIEWERS)
def test_hidden_original_visibility(client, app, world, as_viewer, get, viewer):
    with app.app_context():
        mod.hide_post(get.post(world["reply"]), actor=get.user(world, "moderator"), reason="Rude remark")
        db.session.commit()
    as_viewer(world, viewer)
    doc = page(client.get(f"/t/{world['topic']}"))
    article = doc.one("article", id=f"p{world['reply']}")
    assert "Hidden by a moderator: Rude remark" in article.one("p", cls="post-hidden").text
    assert "see the moderation log" in article.text
    shows_original = "07700 900123" in article.text
    assert shows_original == (viewer in ("author", "moderator", "staff", "admin"))


@pytest.mark.parametrize("viewer", VIEWERS)
def test_personal_data_original_is_staff_only(client, app, world, as_viewer, get, viewer):
    with app.app_context():
        post = get.post(world["reply"])
        mod.flag_post(post, user=get.user(world, "member"), reason="personal_data")
        mod.hide_post(post, actor=get.user(world, "moderator"), reason="Phone number")
        db.session.commit()
    as_viewer(world, viewer)
    html = client.get(f"/t/{world['topic']}").get_data(as_text=True)
    assert ("07700 900123" in html) == (viewer in ("moderator", "staff", "admin"))
    history = client.get(f"/p/{world['reply']}/history").get_data(as_text=True)
    assert "07700 900123" not in history or viewer in ("moderator", "staff", "admin")
