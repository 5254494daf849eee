"""The hostile corpora (``shared/security``) where sign-in through a provider shows text
from outside: the provider's suggested username on the "create or link" page (and the
name typed back into it, with its errors). The provider's email is never on the page."""

from __future__ import annotations

import time

import pytest

from tests.conftest import csrf_token
from tests.corpus import load_corpus
from tests.sso.test_flow import CUSTOMER, counts
from tests.test_security_corpus import assert_page_safe


@pytest.fixture(scope="module")
def corpus():
    entries = load_corpus("xss-payloads.txt") + load_corpus("naughty-strings.txt")
    assert len(entries) > 500, "the corpus looks truncated"
    return entries


def _pending(client, suggested: str, email: str = "new@example.com") -> None:
    with client.session_transaction() as sess:
        sess["sso_pending"] = {"exp": time.time() + 600, "identity": {
            "provider": "customer", "subject": "cust-1", "email": email, "email_verified": True, "role": None,
            "mfa": False, "suggested_username": suggested}}


def test_every_entry_as_the_suggested_username(app, oidc, client, corpus):
    seen = set()
    for entry in corpus:
        if entry.text[:30] in seen:  # the suggestion is cut to a username's 30 characters
            continue
        seen.add(entry.text[:30])
        _pending(client, entry.text[:30])
        page = client.get("/sso/customer/finish")
        assert page.status_code == 200, entry
        doc = assert_page_safe(page, f"finish page for {entry}")
        assert "new@example.com" not in page.get_data(as_text=True)
        assert doc is not None


def test_every_entry_typed_back_as_the_username(app, oidc, client, corpus):
    _pending(client, "")
    token = csrf_token(client, "/sso/customer/finish")
    created = 0
    for n, entry in enumerate(corpus[::4]):  # every fourth: each is a full POST and a page
        _pending(client, "", email=f"new{n}@example.com")
        resp = client.post("/sso/customer/finish/new", data={"username": entry.text, "csrf_token": token})
        assert resp.status_code in (302, 400, 422), (resp.status_code, entry)
        if resp.status_code == 302:
            created += 1
            client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
            token = csrf_token(client, "/login")
        else:
            assert_page_safe(resp, f"refused username {entry}")
    # The username rules refuse almost every payload; those they accept are plain names.
    assert counts(app)[0] == created


def test_sample_through_the_real_provider(app, flow, client, corpus):
    """Hostile ``sub``, ``preferred_username`` and ``email`` claims in a signed ID token."""
    for entry in corpus[::60]:
        client._cookies.clear()  # a fresh browser each time
        resp = flow.sign_in(claims={**CUSTOMER, "sub": entry.text[:255] or "x", "preferred_username": entry.text,
                                    "email": entry.text, "email_verified": False})
        assert resp.status_code in (302, 400), (resp.status_code, entry)
        if resp.status_code == 302:
            assert_page_safe(client.get("/sso/customer/finish"), f"finish page for {entry}")
        else:
            assert_page_safe(resp, f"refusal for {entry}")
