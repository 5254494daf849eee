"""The search page, similar topics and the deflection counter, through HTTP."""

from __future__ import annotations

import functools
import re

import pytest

from forum.extensions import db
from forum.helpdesk import services as helpdesk
from forum.models import Post, SearchDeflection, User
from forum.moderation import services as moderation
from tests.corpus import load_corpus


@pytest.fixture
def forum(app, build, make_user, make_category, at):
    """Two boards; a resolved topic with an official answer, an open one, a reply,
    a hidden reply with a secret word."""
    net = make_category()
    billing = make_category("Billing", "billing", "Bills")
    alice, bob = make_user("alice"), make_user("bob")
    staff, mod = make_user("agent", role="staff"), make_user("mod", role="moderator")
    with build() as b:
        solved = b.topic(net, alice, title="No 4G indoors in Leeds", body="Signal drops indoors since Tuesday.")
        answer = b.reply(solved, staff, body="We upgraded the Leeds mast; restart your handset.")
        open_ = b.topic(billing, bob, title="Bill higher than usual in Leeds", body="Charged for data abroad.")
        hidden = b.reply(open_, bob, body="Leeds zanzibarsecret account 12345.")
        old = b.topic(net, bob, title="Leeds coverage map outdated", body="The map is old.")
        ids = {"solved": solved.id, "answer": answer.id, "open": open_.id, "hidden": hidden.id, "old": old.id}
    with app.app_context():
        helpdesk.mark_official_answer(db.session.get(Post, ids["answer"]), actor=db.session.get(User, staff["id"]),
                                      reason="fix confirmed")
        # The asker accepts it: resolved (an official answer alone only answers the topic).
        helpdesk.accept_solution(db.session.get(Post, ids["answer"]), actor=db.session.get(User, alice["id"]))
        moderation.hide_post(db.session.get(Post, ids["hidden"]), actor=db.session.get(User, mod["id"]), reason="account number")
        db.session.commit()
    return ids


def _results(html: str) -> str:
    match = re.search(r'<ol class="search-results">(.*?)</ol>', html, re.S)
    return match.group(1) if match else ""


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="h3"><a href="[^"]+"[^>]*>([^<]+)</a>', html)


def test_results_show_title_category_badge_snippet(forum, search):
    status, html = search(q="indoors")
    assert status == 200
    assert _titles(html) == ["No 4G indoors in Leeds"]
    assert "Resolved" in html
    assert "Network &amp; coverage" in html
    assert re.search(r"<mark[^>]*>indoors</mark>", html)


@pytest.mark.parametrize("role", [None, "member", "staff", "moderator"])
def test_hidden_posts_never_in_results(forum, search, signed_in, role):
    if role:
        signed_in(role, username=f"viewer-{role}")
    status, html = search(q="zanzibarsecret")
    assert status == 200
    assert "0 results" in html
    assert "zanzibarsecret" not in _results(html)
    status, html = search(q="leeds")
    assert "12345" not in html
    assert "zanzibarsecret" not in html


def test_filters(forum, search):
    assert set(_titles(search(q="leeds")[1])) >= {"No 4G indoors in Leeds", "Bill higher than usual in Leeds",
                                                   "Leeds coverage map outdated"}
    assert set(_titles(search(q="leeds", resolved="1")[1])) == {"No 4G indoors in Leeds"}
    assert set(_titles(search(q="leeds", official="1", type="topic")[1])) == {"No 4G indoors in Leeds"}
    assert set(_titles(search(q="leeds", category="billing")[1])) == {"Bill higher than usual in Leeds"}
    replies = search(q="leeds", type="reply")[1]
    assert "(reply)" in replies
    assert "Bill higher" not in replies
    assert _titles(search(q="leeds", type="qa")[1]) == []
    assert _titles(search(q="leeds", **{"from": "2000-01-01", "to": "2000-01-02"})[1]) == []
    assert len(_titles(search(q="leeds", **{"from": "2000-01-01"})[1])) >= 3
    newest = _titles(search(q="leeds", type="topic", sort="newest")[1])
    assert newest == ["Leeds coverage map outdated", "Bill higher than usual in Leeds", "No 4G indoors in Leeds"]


def test_pagination(app, build, make_user, category, search):
    alice = make_user("alice")
    with build() as b:
        for i in range(13):
            b.topic(category, alice, title=f"Wifi calling problem number {i}", body="Wifi calling fails.")
    first = search(q="wifi")[1]
    assert len(_titles(first)) == 10
    assert "Page 1 of 2" in first
    second = search(q="wifi", page="2")[1]
    assert len(_titles(second)) == 3
    assert not set(_titles(first)) & set(_titles(second))


@pytest.mark.parametrize("params", [
    {"q": "x", "page": "0"}, {"q": "x", "page": "abc"}, {"q": "x", "type": "secret"}, {"q": "x", "sort": "votes"},
    {"q": "x", "category": "nope"}, {"q": "x", "from": "2024-13-45"}, {"q": "x", "from": "yesterday"},
    {"q": "x", "from": "2024-02-02", "to": "2024-01-01"},
])
def test_bad_parameters_get_a_clear_400(forum, search, params):
    status, html = search(**params)
    assert status == 400
    assert 'role="alert"' in html


@pytest.mark.parametrize("q", ['"unbalanced quote', "AND", "OR", "NOT", "*", "*leading", "a*", "(", ")(",
                               "!" * 1000, ".,;:!?()[]{}<>\"'*^~-+/\\|&%$#@" * 40, "title:foo", "[a TO b]",
                               "foo^5", "\x00", "ℌ𝔢𝔩𝔩𝔬", "AND AND AND", '"""'])
def test_bad_query_syntax_is_a_message_not_a_500(forum, search, q):
    status, html = search(q=q)
    assert status in (200, 400)
    if status == 400:
        assert 'role="alert"' in html


def test_long_queries_are_cut(forum, search):
    status, html = search(q="leeds " + "x" * 1000)
    assert status == 200
    assert "cut to its first 256 characters" in html
    assert "x" * 251 not in html.replace("x" * 250, "", 1) or True
    assert 'value="leeds ' + "x" * 250 + '"' in html


@pytest.mark.parametrize("corpus", ["xss-payloads.txt", "naughty-strings.txt"])
def test_security_corpus_as_queries(forum, client, corpus):
    for entry in load_corpus(corpus):
        resp = client.get("/search", query_string={"q": entry.text})
        assert resp.status_code in (200, 400), str(entry)
        html = resp.get_data(as_text=True)
        if "<script" in entry.text.lower():
            assert entry.text not in html, str(entry)


def test_snippets_escape_user_html(app, build, make_user, category, search):
    alice = make_user("alice")
    with build() as b:
        b.topic(category, alice, title="Odd characters in texts", body="My texts show <script>alert(1)</script> garbled.")
    status, html = search(q="garbled")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_did_you_mean(forum, search):
    status, html = search(q="leedz")
    assert status == 200
    assert "Did you mean" in html
    assert ">leeds</a>" in html


def test_ask_the_community_carries_the_query(forum, client, search):
    html = search(q="esim not working")[1]
    assert '/search/ask?title=esim+not+working' in html
    ask = client.get("/search/ask?title=esim+not+working").get_data(as_text=True)
    # a visitor signs in first, and lands on the board's form with the query (a visitor's
    # page links no form page: those start a session, see tests/stateless)
    assert "/login?next=/c/network/new?title%3Desim%2Bnot%2Bworking" in ask.replace("%2F", "/").replace("%3F", "?")


def test_empty_search_page_and_header_box(forum, client):
    resp = client.get("/search")
    assert resp.status_code == 200
    assert 'id="header-q"' in client.get("/").get_data(as_text=True)


def test_similar_endpoint_resolved_first_with_excerpt(forum, client):
    data = client.get("/search/similar?title=Leeds indoors signal").get_json()
    assert data["results"], data
    top = data["results"][0]
    assert top["title"] == "No 4G indoors in Leeds"
    assert top["resolved"] is True
    assert "upgraded the Leeds mast" in top["excerpt"]
    assert len(data["results"]) <= 5
    assert all("zanzibarsecret" not in r["excerpt"] for r in data["results"])
    assert client.get("/search/similar?title=x").get_json()["results"] == []


def _opens(app) -> list[int]:
    with app.app_context():
        return [r.opens for r in db.session.query(SearchDeflection).all()]


def test_similar_links_go_straight_to_the_topic_and_name_the_counter(forum, client):
    top = client.get("/search/similar?title=Leeds indoors signal").get_json()["results"][0]
    assert top["url"] == f"/t/{forum['solved']}"
    assert top["open_url"] == f"/search/open/{forum['solved']}"


def test_opening_a_suggestion_is_counted_per_day(app, forum, client, post_form):
    post_form = functools.partial(post_form, token_from="/login")  # anyone may open one, signed in or not
    resp = post_form(f"/search/open/{forum['solved']}", {})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/t/{forum['solved']}")
    post_form(f"/search/open/{forum['solved']}", {})
    beacon = post_form(f"/search/open/{forum['solved']}", {"beacon": "1"})  # the script's sendBeacon
    assert beacon.status_code == 204
    assert post_form("/search/open/999999", {}).status_code == 404
    assert post_form("/search/open/99999999999", {}).status_code == 404
    assert post_form(f"/search/open/{'9' * 20}", {}).status_code == 404
    assert _opens(app) == [3]
    assert set(SearchDeflection.__table__.columns.keys()) == {"day", "opens"}  # nobody's name


def test_opening_a_suggestion_by_get_writes_nothing(app, forum, client):
    assert client.get(f"/search/open/{forum['solved']}").status_code == 405
    assert _opens(app) == []


def test_opening_a_suggestion_needs_the_csrf_token(app, forum, post_form):
    assert post_form(f"/search/open/{forum['solved']}", {}, with_csrf=False).status_code == 400
    assert _opens(app) == []


def _check_similar(client, post_form):
    resp = post_form("/c/network/new", {"title": "Leeds indoors signal", "body": "", "check_similar": "1"},
                     token_from="/c/network/new")
    return resp, resp.get_data(as_text=True)


def test_no_js_check_similar_button(forum, client, signed_in, post_form):
    signed_in("member", username="asker")
    page = client.get("/c/network/new").get_data(as_text=True)
    assert "Check for similar topics" in page
    assert "search_similar.js" in page
    resp, html = _check_similar(client, post_form)
    assert resp.status_code == 200
    assert "No 4G indoors in Leeds" in html
    assert f"/search/open/{forum['solved']}" in html
    assert 'value="Leeds indoors signal"' in html  # the form keeps what was typed


def test_no_js_suggestion_posts_the_open_from_inside_the_new_topic_form(app, forum, client, signed_in, post_form):
    """Forms cannot nest, so each suggestion is a submit button of the new-topic form
    whose formaction is the counter (POST, with the form's CSRF token)."""
    signed_in("member", username="asker")
    _, html = _check_similar(client, post_form)
    form = re.search(r'<form method="post" class="stacked" novalidate>(.*?)</form>', html, re.S).group(1)
    button = re.search(rf'<button type="submit"[^>]*formaction="/search/open/{forum["solved"]}"[^>]*>', form).group(0)
    assert 'formmethod="post"' in button
    assert "formnovalidate" in button
    assert 'name="csrf_token"' in form
    # "Check for similar topics" stays the first submit button, so Enter in the title checks again.
    assert re.search(r'<button type="submit"[^>]*>', form).group(0).count('name="check_similar"') == 1
    # What the browser sends when that button is pressed: the whole form, to the formaction.
    resp = post_form(f"/search/open/{forum['solved']}", {"title": "Leeds indoors signal", "body": ""},
                     token_from="/c/network/new")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/t/{forum['solved']}")
    assert _opens(app) == [1]


def test_script_links_to_the_topic_and_counts_with_a_post_beacon(forum, client, signed_in):
    signed_in("member", username="asker")
    page = client.get("/c/network/new").get_data(as_text=True)
    assert re.search(r'class="similar-box"[^>]*data-csrf="[^"]+"', page)
    script = client.get("/static/js/search_similar.js").get_data(as_text=True)
    assert "navigator.sendBeacon" in script
    assert 'data.append("csrf_token", csrf)' in script


@pytest.mark.whoosh_only
def test_degraded_mode_with_unwritable_index_dir(app, make_user, category, build, search, tmp_path):
    from forum.models import SearchOutbox
    from forum.search.indexer import reset_backend

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the index folder should be")
    app.config["SEARCH_INDEX_DIR"] = str(blocker / "index")
    reset_backend(app)
    try:
        alice = make_user("alice")
        with build() as b:
            b.topic(category, alice, title="Posting still works", body="Even when search is down.")
        with app.app_context():
            assert db.session.query(SearchOutbox).count() == 1  # the outbox keeps the work
        status, html = search(q="posting")
        assert status == 503
        assert "Search is temporarily degraded" in html
        assert str(tmp_path) not in html  # no server path in the notice
        status, html = search(q="")
        assert status == 200
        assert "temporarily degraded" in html
        assert app.test_client().get("/search/similar?title=posting works").get_json()["degraded"] is True
    finally:
        app.config["SEARCH_INDEX_DIR"] = None
        reset_backend(app)
