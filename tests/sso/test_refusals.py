"""What a sign-in through a provider refuses: every one a clear 4xx that stores nothing
and signs nobody in."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from joserfc.jwk import RSAKey

from tests.conftest import csrf_token
from tests.sso.test_flow import CUSTOMER, counts, signed_in, text


@pytest.fixture
def before(app, make_user):
    """A verified member the provider's email matches: a sign-in that got through would
    link and sign in at once, so "nothing stored" is a real check."""
    make_user("jess", email="jess@example.com", verified=True)
    return counts(app)


def _refused(app, client, resp, before, words=""):
    assert resp.status_code == 400, (resp.status_code, text(resp))
    assert words in text(resp)
    assert counts(app) == before
    assert not signed_in(client)


@pytest.mark.parametrize(("tamper", "label"), [
    ({"nonce": "not-the-nonce"}, "wrong nonce"),
    ({"exp": -600}, "expired ID token"),
    ({"aud": "another-client"}, "wrong audience"),
    ({"iss": "http://127.0.0.1:1"}, "wrong issuer"),
    ({"key": "same-kid"}, "signed by another key with the provider's key id"),
    ({"key": "other-kid"}, "signed by a key the provider does not publish"),
])
def test_id_token_refused(app, flow, client, before, tamper, label):
    if tamper.get("key") == "same-kid":
        tamper = {"key": RSAKey.generate_key(2048, parameters={"kid": flow.idp.key.kid})}
    elif tamper.get("key") == "other-kid":
        tamper = {"key": RSAKey.generate_key(2048, parameters={"kid": "attacker"})}
    flow.idp.tamper = tamper
    resp = flow.sign_in(claims=CUSTOMER)
    _refused(app, client, resp, before, "could not verify")


def test_forged_state(app, flow, client, before):
    path = flow.authorize(flow.start())
    url = urlsplit(path)
    args = dict(parse_qsl(url.query))
    forged = client.get(f"{url.path}?{urlencode({**args, 'state': 'forged-state-value'})}")
    _refused(app, client, forged, before, "could not be checked")
    # The code was never sent to the token endpoint.
    assert flow.idp.token_requests == []


def test_callback_in_another_browser_is_refused(app, flow, client, before):
    """Login CSRF: an attacker's callback URL opened in the victim's browser."""
    path = flow.authorize(flow.start())
    victim = app.test_client()
    _refused(app, victim, victim.get(path), before, "could not be checked")


def test_state_works_once(app, flow, client, before):
    flow.idp.next_claims = CUSTOMER
    path = flow.authorize(flow.start())
    assert client.get(path).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    after = counts(app)
    again = client.get(path)
    assert again.status_code == 400
    assert counts(app) == after


def test_pkce_verifier_mismatch(app, flow, client, before):
    start = flow.start()
    with client.session_transaction() as sess:
        key = next(k for k in sess if k.startswith("_state_customer_"))
        entry = dict(sess[key])
        entry["data"] = {**entry["data"], "code_verifier": "x" * 48}
        sess[key] = entry
    resp = client.get(flow.authorize(start))
    _refused(app, client, resp, before, "could not be checked")
    assert flow.idp.token_requests[-1]["code_verifier"] == "x" * 48


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(flow):
    location = flow.start().headers["Location"]
    args = dict(parse_qsl(urlsplit(location).query))
    assert args["code_challenge_method"] == "S256"
    assert len(args["code_challenge"]) >= 43
    assert len(args["state"]) >= 20
    assert len(args["nonce"]) >= 20
    assert args["response_type"] == "code"
    assert "openid" in args["scope"].split()
    assert args["redirect_uri"] == "http://localhost/sso/customer/callback"


def test_provider_error_access_denied(app, flow, client, before):
    flow.start()
    resp = client.get("/sso/customer/callback?error=access_denied&error_description=The+user+said+no&state=x")
    _refused(app, client, resp, before, "cancelled or refused")
    assert "The user said no" not in text(resp)  # provider text is not echoed


@pytest.mark.parametrize("query", [
    "", "code=abc", "state=abc", "code=&state=abc", "code=a&code=b&state=c", "code=abc&state=" + "s" * 3000,
    "code=ab%00c&state=abc", "code=ab%C3%A9&state=abc", "code=ab%0Ac&state=abc",
])
def test_bad_callback_params(app, flow, client, before, query):
    flow.start()
    resp = client.get(f"/sso/customer/callback?{query}")
    _refused(app, client, resp, before, "not complete or not valid")
    assert flow.idp.token_requests == []


def test_no_sub_claim_is_refused(app, flow, client, before):
    resp = flow.sign_in(claims={**CUSTOMER, "sub": ""})
    assert resp.status_code == 400
    assert counts(app) == before


def test_finish_pages_need_a_pending_sign_in(app, flow, client, before):
    assert client.get("/sso/customer/finish").status_code == 400
    token = csrf_token(client)
    assert client.post("/sso/customer/finish/new", data={"username": "x_y_z", "csrf_token": token}).status_code == 400
    assert client.post("/sso/customer/finish/link", data={"login": "jess", "password": "p" * 12,
                                                          "csrf_token": token}).status_code == 400
    assert counts(app) == before


def test_pending_identity_belongs_to_its_provider_and_expires(app, flow, client, before, monkeypatch):
    flow.sign_in(claims={**CUSTOMER, "email": "new@example.com"})
    assert client.get("/sso/corp/finish").status_code == 400  # another provider's page
    monkeypatch.setitem(app.config, "OIDC_FLOW_SECONDS", 0)
    flow.sign_in(claims={**CUSTOMER, "email": "new@example.com"})
    assert client.get("/sso/customer/finish").status_code == 400


def test_finish_forms_need_csrf(app, flow, client, before):
    flow.sign_in(claims={**CUSTOMER, "email": "new@example.com"})
    assert client.post("/sso/customer/finish/new", data={"username": "rita_r"}).status_code == 400
    assert client.post("/sso/customer/finish/link", data={"login": "jess", "password": "x" * 12}).status_code == 400
    assert counts(app) == before


def test_provider_unreachable_is_a_clear_answer(app, flow, client, monkeypatch, before):
    monkeypatch.setitem(app.config, "OIDC_CUSTOMER_ISSUER", "http://127.0.0.1:9")  # nothing listens
    resp = flow.start()
    assert resp.status_code == 502
    assert "cannot be reached" in text(resp)
    assert counts(app) == before
