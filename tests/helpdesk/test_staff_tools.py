"""Staff tools on a topic: internal notes, saved replies, assignment and private
cases. Who may do what (members, visitors and roles without the right are refused
and nothing is stored), bad input, and where notes must never appear."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.helpdesk import notes as note_services
from forum.models import (
    Conversation,
    InternalNote,
    ModerationLogEntry,
    Notification,
    Post,
    SavedReply,
    SearchOutbox,
    Topic,
    TopicContact,
    User,
)
from tests.conftest import AuthActions, csrf_token
from tests.topics.dom import page

ROLES = ("anonymous", "member", "author", "moderator", "staff", "executive", "admin")
STAFF = {"moderator", "staff", "executive", "admin"}
CARE_TEAM = {"staff", "executive", "admin"}
SECRET = "zanzibarquux"


@pytest.fixture
def as_role(auth, signed_in, thread):
    def _as(role: str):
        if role == "author":
            assert auth.login(thread["author"]["username"]).status_code == 302
        elif role != "anonymous":
            return signed_in("member" if role == "member" else role, username=f"{role}x")
        return thread["author"] if role == "author" else None
    return _as


def _token(client) -> str:
    if 'name="csrf_token"' in client.get("/").get_data(as_text=True):
        return csrf_token(client, "/")
    return csrf_token(client, "/login")


def _post(client, path, data=None):
    return client.post(path, data={**(data or {}), "csrf_token": _token(client)})


def _refused(resp, role) -> None:
    if role == "anonymous":
        assert resp.status_code == 302
        assert "/login" in resp.location
    else:
        assert resp.status_code == 403, resp.status_code


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _results(html: str) -> str:
    match = re.search(r'<ol class="search-results">(.*?)</ol>', html, re.S)
    return match.group(1).strip() if match else ""


def reindex_search(app) -> None:
    """A fresh in-memory index rebuilt from the database (documents.py decides what goes in)."""
    from forum.search.indexer import reindex, reset_backend

    reset_backend(app)
    with app.app_context():
        reindex()


@pytest.fixture(autouse=True)
def _fresh_search_index(app):
    from forum.search.indexer import reset_backend

    reset_backend(app)
    yield
    reset_backend(app)


@pytest.fixture
def client_for(app):
    """A test client signed in as ``user`` (a ``make_user`` dict)."""

    def _client(user):
        c = app.test_client()
        assert AuthActions(c).login(user["username"], user["password"]).status_code == 302
        return c

    return _client


def _add_note(app, thread, body=f"Customer on legacy tariff {SECRET}, check billing"):
    with app.app_context():
        note = note_services.add_note(db.session.get(Topic, thread["topic"]), author=db.session.get(User, thread["care"]["id"]),
                                      body=body)
        db.session.commit()
        return note.id


# --- internal notes ------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_note_matrix(app, client, as_role, thread, role):
    as_role(role)
    resp = _post(client, f"/t/{thread['topic']}/notes", {"body": f"Note by {role} {SECRET}"})
    if role in STAFF:
        assert resp.status_code == 302
        assert "#note-" in resp.location
        html = _text(client.get(thread["path"]))
        doc = page(client.get(thread["path"]))
        notes = doc.find_all("article", cls="internal-note")
        assert len(notes) == 1
        assert f"Note by {role} {SECRET}" in notes[0].text
        assert f"/t/{thread['topic']}/notes" in html
        assert _count(app, InternalNote) == 1
    else:
        _refused(resp, role)
        assert _refused(client.get(f"/t/{thread['topic']}/notes"), role) is None
        assert _count(app, InternalNote) == 0


@pytest.mark.parametrize("role", ["anonymous", "member", "author"])
def test_members_and_visitors_never_see_notes_or_the_form(app, client, as_role, thread, role):
    _add_note(app, thread)
    as_role(role)
    html = _text(client.get(thread["path"]))
    assert SECRET not in html
    assert "internal-note" not in html
    assert "/notes" not in html
    assert "Internal notes" not in html
    # ... nor on any other page they can open.
    for path in ("/", "/c/network", "/moderation-log", f"/p/{thread['care_reply']}"):
        resp = client.get(path, follow_redirects=True)
        assert SECRET not in _text(resp), path
    reindex_search(app)
    found = client.get("/search", query_string={"q": SECRET})
    assert found.status_code == 200
    assert _results(_text(found)) == ""


def test_notes_are_visibly_distinct_and_render_markdown_safely(app, client, signed_in, thread):
    _add_note(app, thread, body="**Escalated** to billing <script>alert(1)</script>")
    signed_in("moderator")
    doc = page(client.get(thread["path"]))
    section = doc.one("section", cls="staff-tools")
    assert "Staff only" in section.text
    note = section.one("article", cls="internal-note")
    assert note.one("strong").text == "Escalated"
    assert "<script>" not in _text(client.get(thread["path"]))
    # Not a post: the thread's post articles do not include it.
    assert not [a for a in doc.find_all("article", cls="post") if "Escalated" in a.text]


def test_notes_never_reach_search_feeds_notifications_or_mail(app, client, signed_in, thread, post_form):
    from tests.conftest import read_outbox

    reindex_search(app)
    outbox_before = _count(app, SearchOutbox)
    notifications_before = _count(app, Notification)
    mails_before = len(read_outbox(app))
    signed_in("staff")
    resp = post_form(f"/t/{thread['topic']}/notes", {"body": f"Internal: {SECRET} refund approved"})
    assert resp.status_code == 302
    assert _count(app, SearchOutbox) == outbox_before
    assert _count(app, Notification) == notifications_before
    assert len(read_outbox(app)) == mails_before
    # Search finds the topic by its public words, and never by the note's.
    assert "No signal in Leeds" in _results(_text(client.get("/search", query_string={"q": "upgrading mast"})))
    assert _results(_text(client.get("/search", query_string={"q": SECRET}))) == ""
    assert _results(_text(client.get("/search", query_string={"q": "refund approved"}))) == ""
    # Feeds: the public moderation log and the status feeds.
    for feed in ("/moderation-log.atom", "/status.atom"):
        resp = client.get(feed)
        assert resp.status_code == 200, feed
        assert SECRET not in _text(resp), feed
    # A full rebuild of the index from the database leaves them out too.
    reindex_search(app)
    assert _results(_text(client.get("/search", query_string={"q": SECRET}))) == ""
    assert "No signal in Leeds" in _results(_text(client.get("/search", query_string={"q": "upgrading mast"})))


@pytest.mark.parametrize(
    ("body", "why"),
    [("", "empty"), ("   \n  ", "blank"), ("x" * (note_services.NOTE_MAX + 1), "oversized"), ("bad\x00byte", "NUL")],
)
def test_bad_notes_are_refused_and_nothing_is_stored(app, client, signed_in, thread, post_form, body, why):
    signed_in("staff")
    resp = post_form(f"/t/{thread['topic']}/notes", {"body": body})
    assert resp.status_code == 422, why
    assert "error" in _text(resp)
    assert _count(app, InternalNote) == 0


def test_note_on_unknown_topic_and_without_csrf(app, client, signed_in, thread, post_form):
    signed_in("staff")
    assert post_form("/t/999999/notes", {"body": "x"}).status_code == 404
    assert post_form("/t/99999999999/notes", {"body": "x"}).status_code == 404
    assert client.post(f"/t/{thread['topic']}/notes", data={"body": "no token"}).status_code == 400
    assert _count(app, InternalNote) == 0


def test_note_service_refuses_members(app, thread):
    from forum.helpdesk.services import HelpdeskError

    with app.app_context():
        with pytest.raises(HelpdeskError):
            note_services.add_note(db.session.get(Topic, thread["topic"]), author=db.session.get(User, thread["helper"]["id"]),
                                   body="sneaky")
        db.session.rollback()
        assert db.session.scalar(select(func.count(InternalNote.id))) == 0


# --- saved replies ------------------------------------------------------------------


@pytest.fixture
def saved(app, thread):
    with app.app_context():
        r = SavedReply(title="Reset network settings", body="Hi {name}, please reset your network settings. {agent}",
                       created_by_id=thread["care"]["id"], updated_by_id=thread["care"]["id"])
        db.session.add(r)
        db.session.commit()
        return r.id


@pytest.mark.parametrize("role", ROLES)
def test_saved_reply_matrix(app, client, as_role, thread, saved, role):
    as_role(role)
    pages = ["/staff/saved-replies", "/staff/saved-replies/new", f"/staff/saved-replies/{saved}/edit",
             f"/t/{thread['topic']}/saved-reply", f"/t/{thread['topic']}/saved-reply?reply={saved}"]
    writes = [("/staff/saved-replies/new", {"title": "T", "body": "B"}),
              (f"/staff/saved-replies/{saved}/edit", {"title": "Changed", "body": "Changed"}),
              (f"/staff/saved-replies/{saved}/archive", {})]
    if role in STAFF:
        for path in pages:
            assert client.get(path).status_code == 200, path
        return
    for path in pages:
        _refused(client.get(path), role)
    for path, data in writes:
        _refused(_post(client, path, data), role)
    with app.app_context():
        rows = db.session.scalars(select(SavedReply)).all()
        assert [(r.title, r.is_archived) for r in rows] == [("Reset network settings", False)]


def test_saved_reply_lifecycle_and_use(app, client, signed_in, thread, post_form):
    agent = signed_in("staff", username="agentx")
    with app.app_context():
        db.session.get(User, thread["author"]["id"]).display_name = "Mia Jones"
        db.session.get(User, agent["id"]).display_name = "Priya"
        db.session.commit()
    resp = post_form("/staff/saved-replies/new", {"title": "  Roaming   charges ", "body": "Hello {name},\nroaming is free in the EU. {unknown} stays.\n— {agent}"})
    assert resp.status_code == 302
    with app.app_context():
        reply = db.session.scalar(select(SavedReply))
        assert reply.title == "Roaming charges"
        rid = reply.id
    listing = page(client.get("/staff/saved-replies"))
    assert "Roaming charges" in listing.text
    assert post_form(f"/staff/saved-replies/{rid}/edit", {"title": "Roaming in the EU", "body": "Hello {name},\nroaming is free in the EU. {unknown} stays.\n— {agent}"}).status_code == 302
    # The picker lists it; choosing it fills the ordinary reply form.
    pick = page(client.get(f"/t/{thread['topic']}/saved-reply"))
    assert "Roaming in the EU" in pick.text
    form_page = client.get(f"/t/{thread['topic']}/saved-reply?reply={rid}")
    assert form_page.status_code == 200
    doc = page(form_page)
    form = doc.one("form", cls="stacked")
    assert form.get("action") == f"/t/{thread['topic']}/reply"
    text = form.one("textarea").text.removeprefix("\r\n").removeprefix("\n")  # as a browser reads it
    assert text == "Hello Mia Jones,\nroaming is free in the EU. {unknown} stays.\n— Priya"
    # Posting it goes through the normal reply path, as the agent under their badge.
    resp = post_form(f"/t/{thread['topic']}/reply", {"body": text})
    assert resp.status_code == 302
    with app.app_context():
        post = db.session.scalar(select(Post).order_by(Post.id.desc()))
        assert post.author_id == agent["id"]
        assert post.body.startswith("Hello Mia Jones")
    topic_html = _text(client.get(thread["path"]))
    assert "Hello Mia Jones" in topic_html
    # Archived: out of the picker, kept, and restorable.
    assert post_form(f"/staff/saved-replies/{rid}/archive", {}).status_code == 302
    assert "Roaming in the EU" not in page(client.get(f"/t/{thread['topic']}/saved-reply")).text
    assert client.get(f"/t/{thread['topic']}/saved-reply?reply={rid}").status_code == 404
    assert _count(app, SavedReply) == 1
    assert post_form(f"/staff/saved-replies/{rid}/restore", {}).status_code == 302
    assert client.get(f"/t/{thread['topic']}/saved-reply?reply={rid}").status_code == 200


@pytest.mark.parametrize(
    ("title", "body"),
    [("", "Body"), ("x" * 101, "Body"), ("Title", ""), ("Title", "  \n "), ("Title", "x" * 10_001),
     ("Ti\x00tle", "Body"), ("Title", "Bo\x00dy")],
)
def test_bad_saved_replies_are_refused(app, client, signed_in, saved, post_form, title, body):
    signed_in("staff")
    assert post_form("/staff/saved-replies/new", {"title": title, "body": body}).status_code == 422
    assert post_form(f"/staff/saved-replies/{saved}/edit", {"title": title, "body": body}).status_code == 422
    with app.app_context():
        rows = db.session.scalars(select(SavedReply)).all()
        assert [(r.title, r.body) for r in rows] == [("Reset network settings", "Hi {name}, please reset your network settings. {agent}")]


def test_saved_reply_unknown_ids_and_csrf(app, client, signed_in, thread, saved, post_form):
    signed_in("staff")
    assert client.get("/staff/saved-replies/999999/edit").status_code == 404
    assert post_form("/staff/saved-replies/999999/archive", {}).status_code == 404
    assert client.get(f"/t/{thread['topic']}/saved-reply?reply=999999").status_code == 404
    assert client.get(f"/t/{thread['topic']}/saved-reply?reply=99999999999").status_code == 400
    assert client.get(f"/t/{thread['topic']}/saved-reply?reply=abc").status_code == 400
    assert client.get(f"/t/{thread['topic']}/saved-reply?reply=%00").status_code == 400
    assert client.get("/t/999999/saved-reply").status_code == 404
    assert client.post(f"/staff/saved-replies/{saved}/archive").status_code == 400
    assert client.post("/staff/saved-replies/new", data={"title": "T", "body": "B"}).status_code == 400
    assert _count(app, SavedReply) == 1
    with app.app_context():
        assert db.session.get(SavedReply, saved).is_archived is False


# --- assignment ---------------------------------------------------------------------


def _claimed_by(app, topic_id):
    with app.app_context():
        return db.session.get(Topic, topic_id).claimed_by_id


def test_claim_release_and_answer(app, client, auth, signed_in, thread, post_form):
    tid = thread["topic"]
    agent = signed_in("staff", username="agent1")
    assert post_form(f"/t/{tid}/claim", {}).status_code == 302
    assert _claimed_by(app, tid) == agent["id"]
    assert "Assigned to you" in _text(client.get(thread["path"]))
    assert post_form(f"/t/{tid}/release", {}).status_code == 302
    assert _claimed_by(app, tid) is None
    # Claimed again, then answered: a public reply by the assignee ends the claim.
    post_form(f"/t/{tid}/claim", {})
    auth.logout()
    other = signed_in("staff", username="agent2")
    # Another agent neither releases it nor ends it by replying.
    assert post_form(f"/t/{tid}/release", {}).status_code == 403
    assert post_form(f"/t/{tid}/reply", {"body": "Adding context."}).status_code == 302
    assert _claimed_by(app, tid) == agent["id"]
    assert "Assigned to agent1" in _text(client.get(thread["path"]))
    auth.logout()
    auth.login("agent1")
    assert post_form(f"/t/{tid}/reply", {"body": "Fixed: the mast is back."}).status_code == 302
    assert _claimed_by(app, tid) is None
    assert other["username"] == "agent2"


@pytest.mark.parametrize("role", ["anonymous", "member", "author"])
def test_members_cannot_claim_or_release(app, client, as_role, thread, role):
    with app.app_context():
        db.session.get(Topic, thread["topic"]).claimed_by_id = thread["care"]["id"]
        db.session.commit()
    as_role(role)
    _refused(_post(client, f"/t/{thread['topic']}/release"), role)
    _refused(_post(client, f"/t/{thread['topic']}/claim"), role)
    assert _claimed_by(app, thread["topic"]) == thread["care"]["id"]


def test_release_unknown_topic_csrf_and_next(app, client, signed_in, thread, post_form):
    signed_in("staff")
    assert post_form("/t/999999/release", {}).status_code == 404
    tid = thread["topic"]
    assert client.post(f"/t/{tid}/claim").status_code == 400
    assert _claimed_by(app, tid) is None
    resp = post_form(f"/t/{tid}/claim", {"next": "https://evil.example/x"})
    assert resp.status_code == 302
    assert resp.location.startswith(f"/t/{tid}")


def test_queue_filters_mine_unassigned_all(app, client, auth, signed_in, build, make_user, category, post_form):
    asker = make_user("asker")
    with build() as b:
        ids = {t: b.topic(category, asker, title=t).id for t in ("First waiting one", "Second waiting one", "Third waiting one")}
    signed_in("staff", username="qa1")
    post_form(f"/t/{ids['First waiting one']}/claim", {})
    auth.logout()
    signed_in("staff", username="qa2")
    post_form(f"/t/{ids['Second waiting one']}/claim", {})

    def titles(show):
        return sorted(a.text for a in page(client.get(f"/staff/queue?show={show}")).find_all("a", cls="topic-title"))

    assert titles("all") == ["First waiting one", "Second waiting one", "Third waiting one"]
    assert titles("mine") == ["Second waiting one"]
    assert titles("unassigned") == ["Third waiting one"]
    assert client.get("/staff/queue?show=theirs").status_code == 400
    assert client.get("/staff/queue?show=%00").status_code == 400
    # Claiming from a filtered queue page comes back to it, and "Take over" moves it.
    queue = page(client.get("/staff/queue?show=all"))
    form = next(f for f in queue.find_all("form") if f.get("action") == f"/t/{ids['First waiting one']}/claim")
    next_value = next(i.get("value") for i in form.find_all("input") if i.get("name") == "next")
    resp = post_form(f"/t/{ids['First waiting one']}/claim", {"next": next_value})
    assert resp.location == "/staff/queue?show=all"
    assert titles("mine") == ["First waiting one", "Second waiting one"]


# --- escalation to a private case ---------------------------------------------------


def _escalate(post_form, thread, body="We need your account details to look at this."):
    return post_form(f"/t/{thread['topic']}/escalate", {"subject": "About your signal", "body": body})


@pytest.mark.parametrize("role", ROLES)
def test_escalation_matrix(app, client, as_role, thread, role):
    as_role(role)
    resp = _post(client, f"/t/{thread['topic']}/escalate", {"subject": "S", "body": "B"})
    if role in CARE_TEAM:
        assert resp.status_code == 302
        assert resp.location.startswith("/messages/")
        assert _count(app, Conversation) == 1
        return
    _refused(resp, role)
    _refused(client.get(f"/t/{thread['topic']}/escalate"), role)
    assert _count(app, Conversation) == 0
    assert _count(app, TopicContact) == 0
    assert _count(app, ModerationLogEntry) == 0


def test_escalate_and_close_with_a_public_note(app, client, client_for, auth, signed_in, thread, post_form):
    agent = signed_in("staff", username="caseagent")
    form = page(client.get(f"/t/{thread['topic']}/escalate"))
    assert form.one("input", id="subject").get("value") == "About your topic: No signal in Leeds"
    resp = _escalate(post_form, thread, body="Private: account 12345678 looks wrong")
    assert resp.status_code == 302
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        assert (conv.topic_id, conv.member_id, conv.assigned_to_id) == (thread["topic"], thread["author"]["id"], agent["id"])
        contact = db.session.scalar(select(TopicContact))
        assert (contact.topic_id, contact.conversation_id) == (thread["topic"], conv.id)
        log = db.session.scalar(select(ModerationLogEntry).where(ModerationLogEntry.action == "escalate_private_case"))
        assert log.topic_id == thread["topic"]
        assert "12345678" not in log.reason + log.summary
        conv_id = conv.id
    # The asker, and only the asker, reads that Customer Care contacted them.
    asker = client_for(thread["author"])
    asker_doc = page(asker.get(thread["path"]))
    notice = asker_doc.one("p", cls="private-contact")
    assert "Customer Care has contacted you privately" in notice.text
    assert notice.one("a").get("href") == f"/messages/{conv_id}"
    for viewer in (app.test_client(), client_for(thread["helper"])):
        html = _text(viewer.get(thread["path"]))
        assert "Customer Care is handling this privately" in html
        assert "contacted you" not in html
        assert "12345678" not in html
    # Public moderation log: the escalation, never the content.
    log_html = _text(app.test_client().get("/moderation-log"))
    assert "Took a topic to a private case with the asker" in log_html
    assert "12345678" not in log_html
    # Staff close the case from the conversation page, with a public resolution note.
    conv_page = page(client.get(f"/messages/{conv_id}"))
    link = conv_page.one("p", cls="case-close").one("a")
    assert link.get("href") == f"/messages/{conv_id}/close-case"
    assert client.get(link.get("href")).status_code == 200
    resp = post_form(f"/messages/{conv_id}/close-case", {"note": "Fixed for the customer: the mast is repaired."})
    assert resp.status_code == 302
    assert resp.location.startswith("/p/")
    with app.app_context():
        conv = db.session.get(Conversation, conv_id)
        assert conv.is_closed
        post = db.session.scalar(select(Post).order_by(Post.id.desc()))
        assert (post.topic_id, post.author_id, post.body) == (thread["topic"], agent["id"], "Fixed for the customer: the mast is repaired.")
        log = db.session.scalar(select(ModerationLogEntry).where(ModerationLogEntry.action == "close_private_case"))
        assert (log.target_type, log.target_id) == ("post", post.id)
    public = _text(app.test_client().get(thread["path"]))
    assert "Customer Care handled this privately" in public
    assert "Fixed for the customer" in public
    assert client.get(f"/messages/{conv_id}/close-case").status_code == 409


def test_close_case_refusals_and_bad_input(app, client, client_for, make_user, signed_in, thread, post_form):
    signed_in("staff")
    _escalate(post_form, thread)
    with app.app_context():
        conv_id = db.session.scalar(select(Conversation.id))
    posts_before = _count(app, Post)
    # Oversized or NUL notes: 422, still open, nothing posted.
    for note in ("x" * 20_001, "bad\x00note"):
        assert post_form(f"/messages/{conv_id}/close-case", {"note": note}).status_code == 422
    assert client.post(f"/messages/{conv_id}/close-case", data={"note": "no csrf"}).status_code == 400
    # Personal data in a public note is held until confirmed.
    held = post_form(f"/messages/{conv_id}/close-case", {"note": "Call us back on 07700 900123"})
    assert held.status_code == 422
    assert "personal data" in _text(held)
    assert post_form("/messages/999999/close-case", {"note": ""}).status_code == 404
    # The asker can read the conversation but not close the case: 403; another member: 404.
    asker = client_for(thread["author"])
    assert asker.post(f"/messages/{conv_id}/close-case", data={"csrf_token": csrf_token(asker, "/")}).status_code == 403
    other = client_for(thread["helper"])
    assert other.post(f"/messages/{conv_id}/close-case", data={"csrf_token": csrf_token(other, "/")}).status_code == 404
    moderator = client_for(make_user("modcase", role="moderator"))
    assert moderator.post(f"/messages/{conv_id}/close-case", data={"csrf_token": csrf_token(moderator, "/")}).status_code == 404
    with app.app_context():
        assert db.session.get(Conversation, conv_id).is_closed is False
        assert db.session.scalar(select(func.count(ModerationLogEntry.id)).where(ModerationLogEntry.action == "close_private_case")) == 0
    assert _count(app, Post) == posts_before
    # Closing without a note posts nothing.
    assert post_form(f"/messages/{conv_id}/close-case", {"note": ""}).status_code == 302
    assert _count(app, Post) == posts_before
    with app.app_context():
        assert db.session.get(Conversation, conv_id).is_closed is True


@pytest.mark.parametrize(("subject", "body"), [("", "Body"), ("Subject", ""), ("Subject", "x" * 10_001), ("Subject", "b\x00")])
def test_bad_escalations_store_nothing(app, client, signed_in, thread, post_form, subject, body):
    signed_in("staff")
    assert post_form(f"/t/{thread['topic']}/escalate", {"subject": subject, "body": body}).status_code == 422
    assert _count(app, Conversation) == 0
    assert _count(app, ModerationLogEntry) == 0
    with app.app_context():
        assert db.session.get(Topic, thread["topic"]).private_contact_at is None


def test_a_public_note_with_personal_data_posts_once_confirmed(app, client, signed_in, thread, post_form):
    signed_in("staff")
    _escalate(post_form, thread)
    with app.app_context():
        conv_id = db.session.scalar(select(Conversation.id))
    note = "Refund sent; call 07700 900123 if it has not arrived."
    assert post_form(f"/messages/{conv_id}/close-case", {"note": note}).status_code == 422
    resp = post_form(f"/messages/{conv_id}/close-case", {"note": note, "confirm_public": "y"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id)).where(Post.body == note)) == 1
        assert db.session.get(Conversation, conv_id).is_closed
