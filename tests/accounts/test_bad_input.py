"""Hostile and careless input on every account form: missing and oversized fields,
random text (Hypothesis), and the shared XSS / naughty-string corpora as usernames."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from forum.extensions import db
from forum.models import User
from tests.accounts.helpers import STRONG, any_csrf_token, field_errors, make_token, text, user_count
from tests.conftest import PASSWORD, read_outbox
from tests.corpus import form_body, load_corpus

REQUIRED = "This field is required."

REGISTER = {"username": "jess", "email": "jess@example.com", "password": STRONG, "confirm": STRONG}
LOGIN = {"login": "jess", "password": PASSWORD}
RESET_REQUEST = {"email": "jess@example.com"}
RESET = {"password": STRONG, "confirm": STRONG}


def post(client, path: str, fields: dict, drop: str | None = None, **override):
    data = {k: v for k, v in {**fields, **override}.items() if k != drop}
    data["csrf_token"] = any_csrf_token(client)
    return client.post(path, data=data)


@pytest.fixture
def reset_path(app, member):
    return f"/reset/{make_token(app, 'reset', 'jess')}"


# --- missing fields ----------------------------------------------------------------


@pytest.mark.parametrize("field", list(REGISTER))
def test_register_missing_field(app, client, field):
    resp = post(client, "/register", REGISTER, drop=field)
    assert resp.status_code == 422
    assert REQUIRED in field_errors(resp)[field]
    assert user_count(app) == 0


@pytest.mark.parametrize("field", list(REGISTER))
def test_register_blank_field(app, client, field):
    resp = post(client, "/register", REGISTER, **{field: "   "})
    assert resp.status_code == 422
    assert field_errors(resp)[field]
    assert user_count(app) == 0


@pytest.mark.parametrize("field", list(LOGIN))
def test_login_missing_field(client, member, field):
    resp = post(client, "/login", LOGIN, drop=field)
    assert resp.status_code == 422
    assert REQUIRED in field_errors(resp)[field]


def test_reset_request_missing_field(app, client, member):
    resp = post(client, "/reset", RESET_REQUEST, drop="email")
    assert resp.status_code == 422
    assert REQUIRED in field_errors(resp)["email"]
    assert read_outbox(app) == []


@pytest.mark.parametrize("field", list(RESET))
def test_reset_password_missing_field(client, auth, reset_path, field):
    resp = post(client, reset_path, RESET, drop=field)
    assert resp.status_code == 422
    assert REQUIRED in field_errors(resp)[field]
    assert auth.login("jess", PASSWORD).status_code == 302  # unchanged


# --- oversized fields --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "j" * 61, "Field cannot be longer than 60 characters."),
        ("username", "j" * 10_000, "Field cannot be longer than 60 characters."),
        ("email", "j" * 250 + "@example.com", "Field cannot be longer than 254 characters."),
        ("password", "p" * 257, "Field cannot be longer than 256 characters."),
    ],
)
def test_register_oversized_field(app, client, field, value, message):
    fields = {**REGISTER, field: value}
    if field == "password":
        fields["confirm"] = value
    resp = post(client, "/register", fields)
    assert resp.status_code == 422
    assert message in field_errors(resp)[field]
    assert user_count(app) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("login", "j" * 255, "Field cannot be longer than 254 characters."),
        ("password", "p" * 257, "Field cannot be longer than 256 characters."),
    ],
)
def test_login_oversized_field(client, member, field, value, message):
    resp = post(client, "/login", {**LOGIN, field: value})
    assert resp.status_code == 422
    assert message in field_errors(resp)[field]


def test_reset_request_oversized_field(app, client, member):
    resp = post(client, "/reset", {"email": "j" * 250 + "@example.com"})
    assert resp.status_code == 422
    assert "Field cannot be longer than 254 characters." in field_errors(resp)["email"]
    assert read_outbox(app) == []


def test_reset_password_oversized_field(client, auth, reset_path):
    resp = post(client, reset_path, {"password": "p" * 257, "confirm": "p" * 257})
    assert resp.status_code == 422
    assert "Field cannot be longer than 256 characters." in field_errors(resp)["password"]
    assert auth.login("jess", PASSWORD).status_code == 302


@pytest.mark.parametrize("path", ["/register", "/login", "/reset"])
def test_request_body_over_the_limit_is_refused(app, client, path):
    token = any_csrf_token(client)
    resp = client.post(
        path, data={"csrf_token": token, "username": "j", "login": "j", "email": "x" * (1024 * 1024 + 10)}
    )
    assert resp.status_code == 413
    assert "That was too large to accept." in text(resp)
    assert user_count(app) == 0


# --- random text (Hypothesis) ------------------------------------------------------

FEW = settings(settings.get_profile("forum-accounts"))
# Any character but lone surrogates (no request can carry them), with the
# troublemakers (NUL, zero-width, markup, whitespace) more often.
chars = st.one_of(
    st.characters(exclude_categories=("Cs",)), st.sampled_from("\x00\x07\u200b\u202e\ufeff<>&\"'@. \t\r\n")
)
anything = st.text(chars, max_size=300)
emailish = st.one_of(
    st.text(chars, max_size=80),
    st.emails().map(str),
    st.builds(lambda a: f"{a}@example.com", st.text(chars, min_size=1, max_size=40)),
)


@FEW
@given(username=anything, email=emailish, password=anything, confirm=anything)
@example(username="je\x00ss", email="jess@example.com", password=STRONG, confirm=STRONG)
@example(username="jess", email="je\x00ss@example.com", password=STRONG, confirm=STRONG)
def test_register_never_fails_on_random_text(app, username, email, password, confirm):
    client = app.test_client()
    resp = post(client, "/register", {"username": username, "email": email, "password": password, "confirm": confirm})
    assert resp.status_code in (302, 422), resp.status_code
    if resp.status_code == 422:
        assert field_errors(resp)


@FEW
@given(login=st.one_of(anything, emailish), password=anything, remember=st.sampled_from(["", "y", "on", "\x00"]))
@example(login="je\x00ss", password="x" * 12, remember="")  # NUL reached PostgreSQL: a 500
@example(login="je\x00ss@example.com", password="x" * 12, remember="y")
def test_login_never_fails_on_random_text(app, login, password, remember):
    client = app.test_client()
    resp = post(client, "/login", {"login": login, "password": password, "remember": remember})
    assert resp.status_code == 422, resp.status_code


@FEW
@given(email=emailish)
@example(email="je\x00ss@example.com")
def test_reset_request_never_fails_on_random_text(app, email):
    client = app.test_client()
    resp = post(client, "/reset", {"email": email})
    assert resp.status_code in (302, 422), resp.status_code


@FEW
@given(name=st.text(chars, max_size=80))
@example(name="je\x00ss")
def test_profile_never_fails_on_random_names(app, name):
    resp = app.test_client().get("/u/" + "".join(c if c not in "/?#%" else "_" for c in name))
    assert resp.status_code in (404, 308, 200), resp.status_code


@FEW
@given(token=st.text(max_size=200))
def test_token_links_never_fail_on_random_text(app, token):
    client = app.test_client()
    safe = "".join(c for c in token if c not in "/?#%") or "x"
    # 400 "not valid"; a path with a newline matches no route at all (404).
    assert client.get(f"/verify/{safe}").status_code in (400, 404)
    assert client.get(f"/reset/{safe}").status_code in (400, 404)


# --- shared security corpora as usernames ------------------------------------------


@pytest.mark.parametrize("corpus", ["xss-payloads.txt", "naughty-strings.txt"])
def test_corpus_usernames_are_refused_or_shown_escaped(app, corpus):
    entries = load_corpus(corpus)
    assert entries, f"{corpus} has no entries"
    problems = []
    accepted = 0
    for i, entry in enumerate(entries):
        client = app.test_client()
        body = form_body(
            {
                "username": entry.value,
                "email": f"corpus{i}@example.com",
                "password": STRONG,
                "confirm": STRONG,
                "csrf_token": any_csrf_token(client),
            }
        )
        resp = client.post("/register", data=body, content_type="application/x-www-form-urlencoded")
        html = text(resp)
        if resp.status_code >= 500 or resp.status_code not in (302, 422):
            problems.append(f"{entry}: status {resp.status_code}")
        elif "<script" in html.lower():
            problems.append(f"{entry}: raw <script in the register page")
        elif "<" in entry.text and len(entry.text) >= 4 and entry.text in html:
            problems.append(f"{entry}: echoed unescaped")
        accepted += resp.status_code == 302
    with app.app_context():
        names = list(db.session.scalars(select(User.username)))
    assert len(names) == accepted < len(entries)
    for name in names:
        resp = app.test_client().get(f"/u/{name}")
        html = text(resp)
        if resp.status_code != 200:
            problems.append(f"profile of accepted username {name!r}: status {resp.status_code}")
        elif str(escape(name)) not in html or "<script" in html.lower():
            problems.append(f"profile of accepted username {name!r} not shown escaped")
    assert not problems, "\n".join(problems)
