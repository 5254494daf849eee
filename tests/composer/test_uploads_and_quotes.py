"""Screenshot uploads (images only, re-encoded, per-member limits, served as images
only, shown in posts only from our own upload URLs) and quoting a post."""

from __future__ import annotations

import io

from PIL import Image

from forum.extensions import db
from forum.models import Post, Upload
from tests.conftest import csrf_token
from tests.people.conftest import image_bytes, jpeg_with_exif
from tests.topics.dom import page

NEW = "/uploads/new"


def _upload_json(client, data: bytes, name="shot.png"):
    return client.post(NEW, data={"csrf_token": csrf_token(client, NEW), "image": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers={"Accept": "application/json"})


def test_upload_reencodes_and_is_shown_in_a_post(app, client, signed_in, build, category, post_form):
    user = signed_in()
    resp = _upload_json(client, jpeg_with_exif(), "photo.jpg")
    assert resp.status_code == 201
    url = resp.get_json()["url"]
    assert resp.get_json()["markdown"] == f"![screenshot]({url})"
    served = client.get(url)
    assert served.headers["Content-Type"] == "image/webp"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert b"SecretCam" not in served.get_data()
    with Image.open(io.BytesIO(served.get_data())) as img:
        assert img.format == "WEBP"
        assert not img.getexif()
    with build() as b:
        topic = b.topic(category, user)
        tid = topic.id
    body = f"See ![screenshot]({url}) and ![x](https://evil.test/x.png) ![y](/uploads/../secret_key)"
    resp = post_form(f"/t/{tid}/reply", {"body": body}, token_from=f"/t/{tid}")
    post_id = int(resp.location.split("/p/")[1].split("?")[0])
    doc = page(client.get(f"/t/{tid}"))
    imgs = doc.one("article", id=f"p{post_id}").one("div", cls="post-body").find_all("img")
    assert [i.get("src") for i in imgs] == [url]
    with app.app_context():
        assert "evil.test/x.png" in db.session.get(Post, post_id).body_html  # a link, not an image


def test_non_images_and_limits_are_refused(app, client, signed_in, monkeypatch):
    signed_in()
    resp = _upload_json(client, b"<html><script>alert(1)</script></html>", "page.png")
    assert resp.status_code == 400
    assert "markup or code" in resp.get_json()["error"]
    resp = _upload_json(client, b"MZ\x90\x00 not an image", "tool.exe")
    assert resp.status_code == 400
    assert "not an image" in resp.get_json()["error"]
    monkeypatch.setitem(app.config, "UPLOADS_PER_DAY", 2)
    assert _upload_json(client, image_bytes("PNG")).status_code == 201
    assert _upload_json(client, image_bytes("GIF")).status_code == 201
    third = _upload_json(client, image_bytes("PNG"))
    assert third.status_code == 429
    assert "today" in third.get_json()["error"]
    monkeypatch.setitem(app.config, "UPLOADS_PER_DAY", 100)
    monkeypatch.setitem(app.config, "UPLOAD_QUOTA_BYTES", 1)
    assert _upload_json(client, image_bytes("PNG")).status_code == 413
    with app.app_context():
        assert db.session.query(Upload).count() == 2


def test_upload_page_without_javascript_and_access(app, client, signed_in, make_user):
    assert client.get(NEW).status_code == 302  # anonymous: sign in
    assert client.get("/uploads/" + "a" * 22 + ".webp").status_code == 404
    assert client.get("/uploads/../../secret_key.webp").status_code == 404
    signed_in(verified=False, username="unverified")
    assert client.get(NEW).status_code == 403
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other).login(make_user("verified")["username"])
    resp = other.post(NEW, data={"csrf_token": csrf_token(other, NEW), "image": (io.BytesIO(image_bytes()), "a.jpg")},
                      content_type="multipart/form-data")
    assert resp.status_code == 201
    assert "![screenshot](/uploads/" in resp.get_data(as_text=True)


def test_quote_link_and_endpoint(app, client, signed_in, build, category, make_user, post_form):
    asker = make_user("asker")
    with build() as b:
        topic = b.topic(category, asker, body="My **phone**\nhas no signal")
        tid, first_id = topic.id, b.first_post(topic).id
        hidden = b.reply(topic, asker, body="secret")
        hidden.is_hidden = True
        hidden_id = hidden.id
    assert client.get(f"/p/{first_id}/quote").status_code == 302  # anonymous: sign in
    signed_in()
    quote = client.get(f"/p/{first_id}/quote")
    assert quote.headers["Content-Type"].startswith("text/plain")
    expected = "> **@asker** wrote:\n>\n> My **phone**\n> has no signal\n\n"
    assert quote.get_data(as_text=True) == expected
    assert client.get(f"/p/{hidden_id}/quote").status_code == 403
    form = page(client.get(f"/t/{tid}/reply?to={first_id}&quote=1")).one("textarea")
    assert form.text.replace("\r\n", "\n").lstrip("\n") == expected
    hidden_form = page(client.get(f"/t/{tid}/reply?to={hidden_id}&quote=1")).one("textarea")
    assert "secret" not in hidden_form.text
