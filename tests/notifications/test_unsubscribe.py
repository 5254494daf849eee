"""One-click unsubscribe (RFC 8058) in every notification mail: the headers, the signed
link (a GET confirms, a POST unsubscribes without signing in), and bad tokens (a 400
page, nothing changed)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import EmailPreference, User
from forum.notifications import preferences
from forum.notify import EMAIL_CATEGORIES, notify
from tests.conftest import read_outbox

LINK = re.compile(r"<https?://[^/>]+(/unsubscribe/[A-Za-z0-9_.\-]+)>")
DEFAULTS = {"replies": "immediate", "staff": "immediate", "moderation": "immediate", "watched": "daily", "other": "off"}


def _every_kind_at_once(app, user):
    with app.app_context():
        preferences.set_modes(db.session.get(User, user["id"]), dict.fromkeys(EMAIL_CATEGORIES, "immediate"))
        db.session.commit()


def _path(mail) -> str:
    match = LINK.fullmatch(mail["List-Unsubscribe"])
    assert match, mail["List-Unsubscribe"]
    return match.group(1)


def _modes(app, user):
    with app.app_context():
        return preferences.modes_for(user["id"])


@pytest.mark.parametrize(("kind", "category"), [("reply", None), ("official_answer", None), ("moderation", None),
                                           ("reply", "watched"), ("kudos", None), ("message", None),
                                           ("incident_update", None)])
def test_every_immediate_mail_kind_has_the_headers_and_the_link(app, make_user, kind, category):
    user = make_user("reader")
    _every_kind_at_once(app, user)
    with app.app_context():
        notify([user["id"]], kind=kind, text=f"Something ({kind})", url="/t/1", category=category)
        db.session.commit()
    [mail] = read_outbox(app)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = _path(mail)
    assert path in mail.get_content()  # the same link in the body, for people
    assert "\n" not in mail["List-Unsubscribe"]


def test_the_digest_has_the_headers_and_its_link_stops_the_digest(app, client, runner, build, thread, mails):
    with build() as b:
        b.reply(thread["topic"], thread["author"], body="Any news?")
    assert "Sent" in runner.invoke(args=["notifications", "send-digests"]).output
    digest = mails(thread["helper"])[-1]
    assert "Your daily digest" in digest["Subject"]
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = _path(digest)
    assert path in digest.get_content()
    resp = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    assert "The daily digest" in resp.get_data(as_text=True) or "daily digest" in resp.get_data(as_text=True)
    assert _modes(app, thread["helper"]) == {**DEFAULTS, "watched": "off"}  # every daily kind, no other


def test_one_click_post_unsubscribes_without_sign_in_or_csrf_token(app, client, build, thread, mails):
    [first, *_] = mails(thread["author"])  # care's and helper's replies, under the defaults
    path = _path(first)
    # A mail client's one-click POST: no cookie, no CSRF token, RFC 8058's body.
    resp = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "You are unsubscribed" in text
    assert "replies to your topics and posts" in text
    assert _modes(app, thread["author"]) == {**DEFAULTS, "replies": "off"}  # that kind only
    sent = len(mails(thread["author"]))
    with build() as b:
        b.reply(thread["topic"], thread["helper"], body="More")
    assert len(mails(thread["author"])) == sent  # no more reply mail
    # Twice is fine: still unsubscribed, still 200.
    assert client.post(path).status_code == 200
    assert _modes(app, thread["author"])["replies"] == "off"


def test_get_shows_a_confirmation_button_and_changes_nothing(app, client, thread, mails):
    path = _path(mails(thread["author"])[0])
    resp = client.get(path)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Stop these emails?" in html
    assert f'<form method="post" action="{path}">' in html
    assert '<button type="submit" class="button">Unsubscribe</button>' in html
    assert _modes(app, thread["author"]) == DEFAULTS
    with app.app_context():
        assert db.session.scalar(select(db.func.count(EmailPreference.id))) == 0


def _bad_tokens(app, thread, good: str) -> list[str]:
    from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

    with app.app_context():
        other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="search-click").dumps([thread["author"]["id"],
                                                                                                    "replies"])
        other_key = URLSafeTimedSerializer("not-our-secret", salt=preferences.TOKEN_SALT).dumps([thread["author"]["id"],
                                                                                                  "replies"])
        no_user = preferences.unsubscribe_token(999_999, "replies")
        bad_kind = preferences.unsubscribe_token(thread["author"]["id"], "everything")
        untimed = URLSafeSerializer(app.config["SECRET_KEY"], salt=preferences.TOKEN_SALT).dumps([thread["author"]["id"],
                                                                                                   "replies"])
        wrong_shape = preferences._serializer().dumps({"u": thread["author"]["id"]})
    flipped = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    return [flipped, good[:-5], "x", "x" * 600, other_salt, other_key, no_user, bad_kind, untimed, wrong_shape,
            good.replace(".", "..", 1)]


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_tokens_are_a_400_page_and_change_nothing(app, client, thread, mails, method):
    good = _path(mails(thread["author"])[0]).rsplit("/", 1)[1]
    for token in _bad_tokens(app, thread, good):
        resp = getattr(client, method)(f"/unsubscribe/{token}")
        assert resp.status_code == 400, token
        assert "This unsubscribe link does not work" in resp.get_data(as_text=True)
        assert "Nothing was changed" in resp.get_data(as_text=True)
    assert _modes(app, thread["author"]) == DEFAULTS
    with app.app_context():
        assert db.session.scalar(select(db.func.count(EmailPreference.id))) == 0


def test_expired_tokens_are_a_400_page(app, client, thread, mails, monkeypatch):
    path = _path(mails(thread["author"])[0])
    monkeypatch.setitem(app.config, "UNSUBSCRIBE_TOKEN_DAYS", -1)  # every token is past its age now
    resp = client.post(path)
    assert resp.status_code == 400
    assert "has expired" in resp.get_data(as_text=True)
    assert _modes(app, thread["author"]) == DEFAULTS


def test_a_token_only_touches_its_own_user(app, client, thread, mails):
    path = _path(mails(thread["author"])[0])
    client.post(path)
    assert _modes(app, thread["helper"]) == DEFAULTS
    assert _modes(app, thread["care"]) == DEFAULTS


def test_only_the_unsubscribe_endpoint_skips_csrf(app, client, signed_in):
    signed_in("member", username="csrfcheck")
    assert client.post("/notifications/read").status_code == 400
    assert client.post("/settings/notifications", data=DEFAULTS).status_code in (400, 422)


def test_the_settings_page_undoes_an_unsubscribe(app, client, auth, thread, mails):
    from tests.conftest import csrf_token

    client.post(_path(mails(thread["author"])[0]))
    auth.login(thread["author"]["username"])
    html = client.get("/settings/notifications").get_data(as_text=True)
    assert re.search(r'<input checked id="replies-\d" name="replies" required type="radio" value="off">', html)
    resp = client.post("/settings/notifications", data={**DEFAULTS, "csrf_token": csrf_token(client, "/settings/notifications")})
    assert resp.status_code == 302
    assert _modes(app, thread["author"]) == DEFAULTS


def test_account_mail_is_not_a_subscription(app, make_user):
    """Confirmation and reset mails are what the member asked for: no unsubscribe."""
    from forum.accounts import services as account_services

    user = make_user("resetme")
    with app.app_context():
        account_services.request_password_reset(db.session.get(User, user["id"]).email)
        db.session.commit()
    mails = [m for m in read_outbox(app) if m["To"] == user["email"]]
    assert mails
    assert all(m["List-Unsubscribe"] is None for m in mails)

