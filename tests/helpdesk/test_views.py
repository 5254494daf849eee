"""Help-desk pages as people see them: the answers under the question, the status
filter, the profile stats, the settings page, staff badges, and the staff queue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forum.extensions import db
from forum.helpdesk import services
from forum.models import ModerationLogEntry, Post, Topic, User
from forum.models.base import utcnow
from tests.conftest import csrf_token
from tests.topics.dom import page


def _mark_official(app, thread, post_key="helper_reply"):
    with app.app_context():
        services.mark_official_answer(db.session.get(Post, thread[post_key]),
                                      actor=db.session.get(User, thread["care"]["id"]), reason="Confirmed")
        db.session.commit()


def test_staff_mark_official_answer_through_the_form(app, client, auth, thread):
    auth.login(thread["care"]["username"])
    path = f"/p/{thread['helper_reply']}/official-answer"
    resp = client.post(path, data={"reason": "", "csrf_token": csrf_token(client, path)})
    assert resp.status_code == 422
    assert "the reason is shown in the public log" in resp.get_data(as_text=True)
    resp = client.post(path, data={"reason": "Confirmed by the network team", "csrf_token": csrf_token(client, path)})
    assert resp.status_code == 302
    doc = page(client.get(thread["path"]))
    box = doc.one("section", cls="official-answer")
    assert "Try turning on" in box.text
    assert "marked by care" in box.text
    assert box.find("a").get("href") == f"/p/{thread['helper_reply']}"
    # Answered, not resolved: the asker decides.
    assert doc.find("span", cls="tag-answered").text == "Answered"
    assert doc.find("span", cls="tag-resolved") is None
    reply = doc.one("article", id=f"p{thread['helper_reply']}")
    assert reply.find("span", cls="tag-official").text == "Official answer"
    # Shown once: the thread's post is marked and links up to the box, without the text.
    assert "Try turning on" not in reply.text
    assert reply.one("p", cls="answer-moved").find("a").get("href") == "#official-answer"
    assert doc.text.count("Try turning on") == 1
    with app.app_context():
        assert db.session.query(ModerationLogEntry).one().reason == "Confirmed by the network team"


def test_overlong_reason_is_refused(client, auth, thread):
    auth.login(thread["care"]["username"])
    path = f"/p/{thread['helper_reply']}/official-answer"
    resp = client.post(path, data={"reason": "x" * 501, "csrf_token": csrf_token(client, path)})
    assert resp.status_code == 422


def test_author_accepts_then_answers_satisfaction(app, client, auth, thread):
    auth.login(thread["author"]["username"])
    token = csrf_token(client, thread["path"])
    resp = client.post(f"/p/{thread['care_reply']}/solution", data={"csrf_token": token})
    assert resp.status_code == 302
    assert resp.location.endswith("#satisfaction")
    doc = page(client.get(thread["path"]))
    assert "We are upgrading a mast" in doc.one("section", cls="accepted-solution").text
    assert doc.one("h2", id="satisfaction-h").text == "Did this solve your problem?"
    resp = client.post(f"/t/{thread['topic']}/satisfaction",
                       data={"answer": "no", "comment": "Still drops at night", "csrf_token": token})
    assert resp.status_code == 302
    with app.app_context():
        topic = db.session.get(Topic, thread["topic"])
        assert (topic.satisfaction, topic.satisfaction_comment) == ("no", "Still drops at night")
    # Others see the answer, not the form.
    auth.logout()
    doc = page(client.get(thread["path"]))
    assert "The author says: No" in doc.one("section", id="satisfaction").text


@pytest.mark.parametrize("data", [{"answer": "maybe"}, {}, {"answer": "yes", "comment": "x" * 1001}])
def test_bad_satisfaction_answers_are_400(app, client, auth, thread, data):
    with app.app_context():
        services.accept_solution(db.session.get(Post, thread["helper_reply"]),
                                 actor=db.session.get(User, thread["author"]["id"]))
        db.session.commit()
    auth.login(thread["author"]["username"])
    resp = client.post(f"/t/{thread['topic']}/satisfaction", data={**data, "csrf_token": csrf_token(client, "/")})
    assert resp.status_code == 400
    with app.app_context():
        assert db.session.get(Topic, thread["topic"]).satisfaction is None


def test_double_kudos_is_a_409_with_a_message(client, signed_in, thread):
    signed_in("member", username="fan")
    token = csrf_token(client, "/")
    assert client.post(f"/p/{thread['helper_reply']}/kudos", data={"csrf_token": token}).status_code == 302
    resp = client.post(f"/p/{thread['helper_reply']}/kudos", data={"csrf_token": token})
    assert resp.status_code == 409
    assert "already gave kudos" in resp.get_data(as_text=True)
    doc = page(client.get(thread["path"]))
    reply = doc.one("article", id=f"p{thread['helper_reply']}")
    assert reply.find("span", cls="kudos-count").text == "1 kudos"
    assert "You gave kudos" in reply.text


@pytest.mark.parametrize("path", ["/p/999999/kudos", "/p/999999/solution", "/t/999999/claim", "/t/999999/satisfaction",
                                  "/t/999999/subscription", "/p/99999999999/kudos"])
def test_missing_targets_are_404(client, signed_in, path):
    signed_in("staff")
    assert client.post(path, data={"csrf_token": csrf_token(client, "/")}).status_code == 404


def test_posts_without_csrf_are_refused(client, signed_in, thread):
    signed_in("member", username="fan")
    assert client.post(f"/p/{thread['helper_reply']}/kudos").status_code == 400


def test_subscription_bad_state_is_400(client, signed_in, thread):
    signed_in("member", username="fan")
    resp = client.post(f"/t/{thread['topic']}/subscription", data={"state": "loud", "csrf_token": csrf_token(client, "/")})
    assert resp.status_code == 400


def test_follow_and_mute_buttons(client, auth, thread):
    auth.login(thread["author"]["username"])
    doc = page(client.get(thread["path"]))
    assert "You follow this topic." in doc.one("form", cls="subscription-form").text
    client.post(f"/t/{thread['topic']}/subscription", data={"state": "muted", "csrf_token": csrf_token(client, "/")})
    doc = page(client.get(thread["path"]))
    assert "You muted this topic." in doc.one("form", cls="subscription-form").text


# --- category filter -------------------------------------------------------------------


def test_category_status_filter_and_markers(app, client, build, make_user, category, thread):
    _mark_official(app, thread)
    with app.app_context():  # the asker accepts it: resolved
        services.accept_solution(db.session.get(Post, thread["helper_reply"]),
                                 actor=db.session.get(User, thread["author"]["id"]))
        db.session.commit()
    member = make_user("asker2")
    with build() as b:
        b.topic(category, member, title="Nobody answered me")
        open_t = b.topic(category, member, title="Answered but open")
        b.reply(open_t, thread["helper"], body="Have you tried restarting?")

    def titles(status):
        resp = client.get(f"/c/{category['slug']}" + (f"?status={status}" if status else ""))
        assert resp.status_code == 200
        return sorted(a.text for a in page(resp).find_all("a", cls="topic-title"))

    assert titles(None) == titles("all") == ["Answered but open", "No signal in Leeds", "Nobody answered me"]
    assert titles("resolved") == ["No signal in Leeds"]
    assert titles("unresolved") == ["Answered but open", "Nobody answered me"]
    assert titles("unanswered") == ["Nobody answered me"]
    doc = page(client.get(f"/c/{category['slug']}"))
    rows = {r.find("a", cls="topic-title").text: r for r in doc.one("table").find_all("tr")[1:]}
    assert rows["No signal in Leeds"].find("span", cls="tag-resolved").text == "Resolved"
    assert rows["Nobody answered me"].find("span", cls="tag-waiting").text == "Waiting for Customer Care"
    assert doc.one("nav", cls="status-filter").find("strong").text == "All"


@pytest.mark.parametrize("status", ["solved", "", "ALL", "resolved\x00"])
def test_unknown_status_is_400(client, category, status):
    assert client.get(f"/c/{category['slug']}", query_string={"status": status}).status_code == 400


# --- profiles, badges, settings ---------------------------------------------------------


def test_profile_shows_kudos_and_answers(app, client, thread, make_user):
    _mark_official(app, thread)
    fan = make_user("fan")
    with app.app_context():
        services.give_kudos(db.session.get(Post, thread["helper_reply"]), user=db.session.get(User, fan["id"]))
        services.accept_solution(db.session.get(Post, thread["helper_reply"]),
                                 actor=db.session.get(User, thread["author"]["id"]))
        db.session.commit()
    doc = page(client.get("/u/helper"))
    facts = {d.find("dt").text: d.find("dd").text for d in doc.one("dl", cls="facts").find_all("div")}
    assert facts["Posts"] == "1"
    assert facts["Kudos received"] == "1"
    assert facts["Accepted solutions"] == "1"
    assert facts["Official answers"] == "1"


def test_staff_badge_shows_title_and_members_get_none(app, client, thread):
    with app.app_context():
        services.set_title(db.session.get(User, thread["care"]["id"]), "Head of Customer Care")
        db.session.commit()
    doc = page(client.get(thread["path"]))
    care_post = doc.one("article", id=f"p{thread['care_reply']}")
    assert "post-staff" in care_post.classes
    assert care_post.find("span", cls="badge").text == "Head of Customer Care"
    assert doc.one("article", id=f"p{thread['helper_reply']}").find("span", cls="badge") is None


def test_set_title_cli(app, runner, thread):
    result = runner.invoke(args=["helpdesk", "set-title", "care", "Network Lead"])
    assert result.exit_code == 0, result.output
    assert "Network Lead" in result.output
    result = runner.invoke(args=["helpdesk", "set-title", "helper", "Boss"])
    assert result.exit_code != 0
    assert "Only staff" in result.output
    assert runner.invoke(args=["helpdesk", "set-title", "nobody-here", "x"]).exit_code != 0


def test_settings_page_saves_and_refuses_staff_names(app, client, signed_in):
    user = signed_in("member", username="settler")
    resp = client.post("/settings", data={"display_name": "Ｏ２ Ｓｕｐｐｏｒｔ",
                                          "csrf_token": csrf_token(client, "/settings")})
    assert resp.status_code == 422
    assert "could be mistaken for our staff" in resp.get_data(as_text=True)
    resp = client.post("/settings", data={"display_name": "  Sam  Smith ",
                                          "csrf_token": csrf_token(client, "/settings")})
    assert resp.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user["id"])
        assert saved.display_name == "Sam Smith"
    doc = page(client.get("/settings"))
    assert doc.one("input", id="display_name").get("value") == "Sam Smith"


@pytest.mark.parametrize("data", [{"display_name": "x" * 51}, {"display_name": "bad\x00"}])
def test_settings_bad_input_is_422(client, signed_in, data):
    signed_in("member", username="settler")
    resp = client.post("/settings", data={**data, "csrf_token": csrf_token(client, "/settings")})
    assert resp.status_code == 422


@pytest.mark.parametrize("username", ["O2_Support", "staff", "ADMIN", "moderator.jo", "customer-care", "ConnectCommunity"])
def test_registration_refuses_staff_usernames(app, client, username):
    resp = client.post("/register", data={"username": username, "email": "x@example.test", "password": "a-long-passphrase-1",
                                          "confirm": "a-long-passphrase-1", "csrf_token": csrf_token(client, "/register")})
    assert resp.status_code == 422
    assert "could be mistaken for our staff" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(User).count() == 0


# --- staff queue -------------------------------------------------------------------------


@pytest.fixture
def queue_topics(app, build, make_user, make_category, category):
    asker, care, helper = make_user("asker"), make_user("carer", role="staff"), make_user("helper2")
    other = make_category(name="Billing", slug="billing", description="")
    now = utcnow()
    with build() as b:
        made = {}
        for title, age_h, cat in [("Newest question", 1, category), ("Oldest question", 50, category),
                                  ("Billing question", 20, other), ("Answered by staff", 80, category),
                                  ("Solved by member", 90, category)]:
            t = b.topic(cat, asker, title=title)
            t.created_at = t.waiting_since = now - timedelta(hours=age_h)
            made[title] = t
        b.reply(made["Answered by staff"], care, body="On it")
        helper_reply = b.reply(made["Solved by member"], helper, body="Restart")
        db.session.flush()
        services.accept_solution(helper_reply, actor=db.session.get(User, asker["id"]))
        return {k: v.id for k, v in made.items()}


def test_queue_lists_waiting_topics_oldest_first(client, signed_in, queue_topics):
    signed_in("staff")
    doc = page(client.get("/staff/queue"))
    assert [a.text for a in doc.find_all("a", cls="topic-title")] == ["Oldest question", "Billing question", "Newest question"]
    rows = doc.one("table", cls="staff-queue").find_all("tr")[1:]
    assert rows[0].find("time").text.startswith("2 days")
    assert "3 waiting" in doc.one("h1").parent.text
    doc = page(client.get("/staff/queue?category=billing"))
    assert [a.text for a in doc.find_all("a", cls="topic-title")] == ["Billing question"]
    assert client.get("/staff/queue?category=nope").status_code == 404
    assert client.get("/staff/queue?page=2").status_code == 404
    assert client.get("/staff/queue?page=x").status_code == 404


def test_claims_last_until_released_and_stay_on_the_queue(app, client, auth, signed_in, queue_topics):
    first = signed_in("staff", username="firststaff")
    token = csrf_token(client, "/staff/queue")
    tid = queue_topics["Oldest question"]
    resp = client.post(f"/t/{tid}/claim", data={"csrf_token": token, "next": "/staff/queue?show=unassigned"})
    assert resp.status_code == 302
    assert resp.location == "/staff/queue?show=unassigned"  # claiming stays on the queue page
    auth.logout()
    signed_in("staff", username="secondstaff")
    # No expiry any more: an hour later the claim still holds.
    with app.app_context():
        db.session.get(Topic, tid).claimed_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    doc = page(client.get("/staff/queue"))
    claimed = [r for r in doc.one("table").find_all("tr")[1:] if "claimed" in r.classes]
    assert len(claimed) == 1
    assert "Claimed by firststaff" in claimed[0].text
    assert first["username"] == "firststaff"


def test_staff_reply_takes_topic_off_the_queue(client, signed_in, post_form, queue_topics):
    signed_in("moderator")
    tid = queue_topics["Newest question"]
    resp = post_form(f"/t/{tid}/reply", {"body": "Looking into this."})
    assert resp.status_code == 302
    titles = [a.text for a in page(client.get("/staff/queue")).find_all("a", cls="topic-title")]
    assert "Newest question" not in titles


def test_queue_page_queries_do_not_grow(app, client, signed_in, build, make_user, category, count_queries):
    signed_in("staff")
    asker = make_user("bulk")

    def measured():
        client.get("/staff/queue")
        counter = count_queries()
        with counter:
            assert client.get("/staff/queue").status_code == 200
        return counter.count

    with build() as b:
        for i in range(3):
            b.topic(category, asker, title=f"Question number {i}")
    small = measured()
    with build() as b:
        for i in range(60):
            b.topic(category, asker, title=f"More question {i}")
    assert measured() == small <= 6
