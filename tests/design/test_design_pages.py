"""The design system's pages and fixes, as HTML: /styleguide for admins only, the header's
no-JavaScript menu and status link, the home page's ask button, network status and popular
solved topics, plural counts and flash colours."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forum.extensions import db
from forum.models import Category, User
from forum.topics import services as topic_services
from tests.topics.dom import page

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("role", ["anonymous", "member", "moderator", "staff"])
def test_styleguide_is_a_404_for_everyone_but_admins(client, auth, make_user, role):
    if role != "anonymous":
        make_user("someone", role=role)
        auth.login("someone")
    response = client.get("/styleguide")
    assert response.status_code == 404
    assert "Style guide" not in response.get_data(as_text=True)


def test_styleguide_documents_tokens_and_components_for_admins(client, auth, make_user):
    make_user("boss", role="admin")
    auth.login("boss")
    response = client.get("/styleguide")
    assert response.status_code == 200
    doc = page(response)
    assert doc.one("h1").text == "Style guide"
    html = response.get_data(as_text=True)
    for token in ("--brand", "--accent", "--text-md", "--space-4"):
        assert f"<code>{token}</code>" in html
    # A radio group is a fieldset whose radios sit beside their labels; the form shows an error.
    fieldset = doc.one("fieldset", cls="radios")
    assert fieldset.find("legend").text == "Your plan"
    assert len(fieldset.find_all("input")) == 3
    assert "Give your topic a title." in html
    # No style attributes: the CSP would block them.
    assert ' style="' not in html.split("<main", 1)[1].split("sg-row", 1)[0]
    # The admin's account menu links to it.
    assert 'href="/styleguide"' in html


def test_every_page_links_to_network_status_and_has_a_no_javascript_menu(client, auth, make_user):
    html = client.get("/moderation-log").get_data(as_text=True)
    assert html.count('href="/status"') >= 2  # header and footer, with no incident open
    assert 'rel="icon" href="/static/img/favicon.svg"' in html
    make_user("jess")
    auth.login("jess")
    doc = page(client.get("/"))
    menu = doc.one("details", cls="account-menu")
    assert "jess" in menu.find("summary").text
    assert {a.text.strip() for a in menu.find_all("a")} >= {"Settings", "Messages", "Network status"}
    assert menu.find("button").text.strip() == "Sign out"


def test_every_table_row_cell_names_its_column(app, client, auth, make_user):
    """On a phone each cell shows its column name from data-label (forum.css)."""
    for name in ("moderation/log.html", "messages/inbox.html", "helpdesk/staff_queue.html", "admin/users.html"):
        text = (ROOT / "templates" / name).read_text()
        cells = re.findall(r"<td(?![^>]*colspan)[^>]*>", text)
        assert cells, name
        assert all("data-label=" in c for c in cells), (name, cells)


def test_home_has_ask_status_at_a_glance_and_popular_solved_topics(app, client, make_user, make_category):
    cat = make_category()
    asker = make_user("asker")
    with app.app_context():
        user = db.session.get(User, asker["id"])
        category = db.session.get(Category, cat["id"])
        solved = topic_services.create_topic(category, author=user, title="Voicemail fixed after reset", body="How?")
        open_one = topic_services.create_topic(category, author=user, title="Still no signal", body="Help")
        db.session.flush()
        solved.state = "resolved"
        open_one.state = "waiting"
        db.session.commit()
    doc = page(client.get("/"))
    ask = [a for a in doc.one("section", cls="hero").find_all("a") if a.text == "Ask a question"]
    assert len(ask) == 1
    assert ask[0].get("href") == "/search/ask"
    assert "button" in ask[0].get("class")
    assert "all services running normally" in doc.one("section", cls="status-glance").text
    solved_titles = [a.text for a in doc.one("ul", cls="solved-list").find_all("a")]
    assert solved_titles == ["Voicemail fixed after reset"]


def test_plural_counts_in_templates_agree_with_their_noun():
    """No template prints a count before a fixed plural noun ("1 votes")."""
    bad = []
    for path in (ROOT / "templates").rglob("*.html"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for m in re.finditer(r"\}\}(?:</span>)?\s+(votes|replies|topics|posts|answers|questions|people|members)\b", line):
                bad.append(f"{path.relative_to(ROOT)}:{n}: {m.group(0)}")
    assert bad == []


def test_javascript_successes_are_not_shown_as_errors():
    js = (ROOT / "forum" / "static" / "js" / "qa_events.js").read_text()
    assert '"Vote counted." : "Vote taken back.", true)' in js
    assert "js-message-ok" in js
    assert '" votes" +' not in js


def test_focus_outline_is_not_the_old_yellow():
    css = (ROOT / "forum" / "static" / "css" / "forum.css").read_text()
    assert "#ffbf47" not in css
    assert re.search(r":focus-visible \{ outline: 3px solid var\(--focus\)", css)
