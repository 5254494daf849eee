"""Avatars: upload limits, re-encoding (metadata gone, non-images refused), serving,
removal; and the avatar and rank beside every post."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from forum.extensions import db
from forum.models import Topic, User
from tests.people.conftest import image_bytes, jpeg_with_exif
from tests.topics.dom import page

SETTINGS = "/settings/avatar"


def _avatar_url(app, user_id):
    with app.app_context():
        key = db.session.get(User, user_id).avatar_key
    return key and f"/avatars/{user_id}/{key}.webp"


def test_upload_reencodes_strips_metadata_and_serves_safely(app, client, signed_in, upload_form):
    user = signed_in()
    original = jpeg_with_exif()
    assert b"SecretCam" in original
    resp = upload_form(SETTINGS, "picture", original, token_from=SETTINGS)
    assert resp.status_code == 302
    assert "Your picture is saved." in client.get(resp.location).get_data(as_text=True)
    url = _avatar_url(app, user["id"])
    assert url
    served = client.get(url)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/webp"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    data = served.get_data()
    assert b"SecretCam" not in data
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "WEBP"
        assert img.size == (256, 256)
        assert not img.getexif()
        assert "exif" not in img.info
        assert "icc_profile" not in img.info
    # Stored under instance/, not executable.
    with app.app_context():
        key = db.session.get(User, user["id"]).avatar_key
    stored = app.instance_path + f"/avatars/{key}.webp"
    import os

    assert not os.stat(stored).st_mode & 0o111


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` (a decompression bomb)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_bad_files_are_refused_with_a_clear_4xx(app, client, signed_in, upload_form):
    user = signed_in()
    cases = [
        (b"hello, this is only text", "picture.jpg", 400, "not an image we can read"),
        (b"<?php system($_GET['c']); ?>", "picture.php", 400, "markup or code"),
        (b"GIF89a<script>alert(1)</script>", "x.gif", 400, "markup or code"),
        (image_bytes("PNG") + b"<html><script>alert(1)</script></html>", "poly.png", 400, "markup or code"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.svg", 400, "markup or code"),
        (image_bytes("PNG")[:60], "cut.png", 400, "damaged"),
        (_png_declaring(40_000, 40_000), "bomb.png", 413, "too many pixels"),
        (image_bytes("BMP", size=(10, 10)), "x.bmp", 400, "PNG, JPEG, GIF or WebP"),
        (b"", "empty.png", 400, "Choose an image"),
    ]
    for data, name, status, message in cases:
        resp = upload_form(SETTINGS, "picture", data, filename=name, token_from=SETTINGS)
        assert resp.status_code == status, (name, resp.status_code)
        assert message in resp.get_data(as_text=True), name
    assert _avatar_url(app, user["id"]) is None


def test_oversized_upload_is_refused(app, client, signed_in, upload_form, monkeypatch):
    user = signed_in()
    monkeypatch.setitem(app.config, "AVATAR_MAX_BYTES", 20_000)
    noisy = Image.effect_noise((150, 150), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    assert 20_000 < len(out.getvalue()) < 80_000
    resp = upload_form(SETTINGS, "picture", out.getvalue(), filename="big.png", token_from=SETTINGS)
    assert resp.status_code == 413
    assert "too large" in resp.get_data(as_text=True)
    assert _avatar_url(app, user["id"]) is None


def test_remove_and_replace_avatar(app, client, signed_in, upload_form, post_form):
    user = signed_in()
    upload_form(SETTINGS, "picture", image_bytes("PNG"), filename="a.png", token_from=SETTINGS)
    first = _avatar_url(app, user["id"])
    upload_form(SETTINGS, "picture", image_bytes("GIF", color=(0, 0, 255)), filename="b.gif", token_from=SETTINGS)
    second = _avatar_url(app, user["id"])
    assert second
    assert second != first
    assert client.get(first).status_code == 404  # the old file is gone (and not served)
    resp = post_form("/settings/avatar/remove", {}, token_from=SETTINGS)
    assert resp.status_code == 302
    assert _avatar_url(app, user["id"]) is None
    assert client.get(second).status_code == 404


def test_avatar_pages_need_sign_in_and_csrf(app, client, signed_in, upload_form, post_form):
    assert client.get(SETTINGS).status_code == 302
    assert client.post(SETTINGS, data={}).status_code in (302, 400)
    signed_in()
    resp = client.post(SETTINGS, data={"picture": (io.BytesIO(image_bytes()), "a.jpg")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400
    assert client.get("/avatars/1/not-a-key.webp").status_code == 404
    assert client.get("/avatars/999999/" + "a" * 22 + ".webp").status_code == 404


def test_posts_show_avatar_and_rank(app, client, build, make_user, category, signed_in, upload_form):
    helper, asker, care = make_user("helpful"), make_user("asker"), make_user("care", role="staff")
    with build() as b:
        topic = b.topic(category, helper)
        answer = b.reply(topic, asker, body="Thanks")
        reply = b.reply(topic, helper, body="Try airplane mode")
        db.session.get(Topic, topic.id).solution_post_id = reply.id
        reply.kudos_count = 3
        b.reply(topic, care, body="Official")
        path, answer_id, reply_id = f"/t/{topic.id}", answer.id, reply.id
    doc = page(client.get(path))
    posts = doc.find_all("article", cls="post")
    assert len(posts) == 4
    for post in posts:  # every post has the avatar element
        assert post.one("header", cls="post-meta").find(None, cls="avatar") is not None
    helper_post = doc.one("article", id=f"p{reply_id}")
    assert helper_post.one("span", cls="badge-rank").text == "Helper"
    assert doc.one("article", id=f"p{answer_id}").find("span", cls="badge-rank") is None
    assert "Customer Care" in posts[-1].one("span", cls="badge").text
    assert helper_post.one("span", cls="avatar").text == "H"
    # An uploaded picture replaces the initials.
    client.get("/")
    signed_in(username="pictured")
    upload_form(SETTINGS, "picture", image_bytes(), token_from=SETTINGS)
    client.post(f"/t/{path.split('/')[2]}/reply", data={"body": "With my face", "csrf_token": _token(client, path)})
    doc = page(client.get(path))
    last = doc.find_all("article", cls="post")[-1]
    img = last.one("img", cls="avatar")
    assert img.get("src").startswith("/avatars/")
    assert img.get("alt") == ""


def _token(client, path):
    from tests.conftest import csrf_token

    return csrf_token(client, path)
