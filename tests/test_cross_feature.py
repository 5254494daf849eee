"""Where the features meet: moderation x help desk, suspensions and unverified accounts
x every member action, posting limits x incidents, the edit path x Markdown and the
personal-data guard, and the moderation log x every action the code writes."""

from __future__ import annotations

import ast
import html as html_lib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from forum import create_app
from forum.accounts import services as account_services
from forum.audit import log_action
from forum.extensions import db, limiter
from forum.helpdesk import services as helpdesk
from forum.incidents import services as incidents
from forum.models import (
    Category,
    Incident,
    ModerationLogEntry,
    Notification,
    Post,
    PostRevision,
    QAEvent,
    Question,
    Topic,
    User,
)
from forum.models.base import utcnow
from forum.moderation import services as moderation
from forum.moderation.queries import ACTION_LABELS
from forum.qa_events import services as qa
from forum.topics import services as topics
from forum.topics.services import PermissionDenied
from tests.conftest import PASSWORD, csrf_token
from tests.topics.conftest import _fast_password_hashing, category  # noqa: F401 - shared fixtures

FORUM = Path(__file__).resolve().parent.parent / "forum"


def _u(ref) -> User:
    return db.session.get(User, ref["id"])


@pytest.fixture
def scene(app, make_user, category):  # noqa: F811 - fixture imported above
    """A member's topic with a helper's reply and a staff reply, an open incident, and a
    Q&A session taking questions with one question in it."""
    people = {
        "author": make_user("alice"),
        "helper": make_user("harry"),
        "care": make_user("carla", role="staff"),
        "mod": make_user("mona", role="moderator"),
        "exec": make_user("erin", role="executive"),
    }
    with app.app_context():
        topic = topics.create_topic(db.session.get(Category, category["id"]), author=_u(people["author"]),
                                    title="No 4G indoors in Leeds", body="Since Tuesday.")
        answer = topics.reply_to_topic(topic, author=_u(people["helper"]), body="Turn on **Wi-Fi Calling**.")
        incident = incidents.open_incident(actor=_u(people["care"]), title="No data in Leeds", tags="4G, Leeds",
                                           severity="major", body="We are investigating.")
        now = utcnow()
        event = qa.create_event(
            actor=_u(people["care"]), title="Ask Erin anything", slug="ask-erin", executive=_u(people["exec"]),
            questions_open_at=now - timedelta(hours=1), questions_close_at=now + timedelta(days=1, hours=1),
            live_starts_at=now + timedelta(days=1), live_ends_at=now + timedelta(days=1, hours=1),
            now=now - timedelta(hours=2),
        )
        question = qa.submit_question(event, author=_u(people["helper"]), body="Why is roaming dearer this year?")
        db.session.commit()
        ids = {"topic": topic.id, "answer": answer.id, "incident": incident.id, "event": event.slug,
               "question": question.id}
    return {"people": people, "category": category, **ids}


def _row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def _login(client, user) -> None:
    client.get("/login")
    resp = client.post("/login", data={"login": user["username"], "password": PASSWORD,
                                       "csrf_token": csrf_token(client)})
    assert resp.status_code == 302, "sign-in failed"


# --- moderation x help desk -------------------------------------------------------------


def test_hiding_the_official_answer_unresolves_the_topic_logs_both_and_tells_the_author(app, client, scene):
    people = scene["people"]
    with app.app_context():
        answer = db.session.get(Post, scene["answer"])
        assert helpdesk.mark_official_answer(answer, actor=_u(people["care"]), reason="These steps fix it")
        topic = db.session.get(Topic, scene["topic"])
        helpdesk.rate_satisfaction(topic, user=topic.author, answer="yes")  # the asker says Yes
        db.session.commit()
        assert topic.is_resolved
        assert topic.official_answer_post_id == answer.id

        assert moderation.hide_post(answer, actor=_u(people["mod"]), reason="Links to a scam site")
        db.session.commit()

    with app.app_context():
        topic = db.session.get(Topic, scene["topic"])
        assert not topic.is_resolved
        assert topic.official_answer_post_id is None
        assert topic.resolved_at is None
        assert topic.resolution_note == helpdesk.HIDDEN_ANSWER_NOTE
        log = db.session.execute(
            select(ModerationLogEntry.action, ModerationLogEntry.reason, ModerationLogEntry.target_id)
            .order_by(ModerationLogEntry.id)
        ).all()
        assert [tuple(r) for r in log] == [
            ("mark_official_answer", "These steps fix it", scene["answer"]),
            ("hide_post", "Links to a scam site", scene["answer"]),
        ]
        told = db.session.scalars(
            select(Notification.text).where(Notification.user_id == people["helper"]["id"])
        ).all()
        assert any("marked as the official answer" in t for t in told)
        assert any("hid your post" in t and "Links to a scam site" in t for t in told)

    page = client.get(f"/t/{scene['topic']}").get_data(as_text=True)
    assert helpdesk.HIDDEN_ANSWER_NOTE in page
    modlog = client.get("/moderation-log").get_data(as_text=True)
    for label, reason in ((ACTION_LABELS["mark_official_answer"], "These steps fix it"),
                          (ACTION_LABELS["hide_post"], "Links to a scam site")):
        assert label in modlog
        assert reason in modlog


# --- accounts that cannot take part ------------------------------------------------------


def _member_actions(scene) -> list[tuple[str, str, dict]]:
    slug, tid = scene["category"]["slug"], scene["topic"]
    return [
        ("start a topic", f"/c/{slug}/new", {"title": "My phone will not charge", "body": "It stopped yesterday."}),
        ("reply", f"/t/{tid}/reply", {"body": "Same problem here."}),
        ("give kudos", f"/p/{scene['answer']}/kudos", {}),
        ("flag", f"/p/{scene['answer']}/flag", {"reason": "spam"}),
        ("ask a question", f"/ask/{scene['event']}/question", {"body": "When will 5G reach Leeds?", "confirm": "1"}),
        ("vote", f"/ask/{scene['event']}/q/{scene['question']}/vote", {"vote": "1"}),
        ("press I'm affected", f"/status/{scene['incident']}/affected", {"area": ""}),
        ("write to Customer Care", "/messages/new", {"subject": "My bill", "body": "Please check my bill."}),
    ]


@pytest.mark.parametrize("kind", ["suspended", "unverified"])
def test_accounts_that_cannot_take_part_are_refused_every_member_action(app, client, make_user, scene, kind):
    who = make_user("sid", verified=kind != "unverified")
    if kind == "suspended":
        with app.app_context():
            assert moderation.suspend_user(_u(who), actor=_u(scene["people"]["mod"]), reason="Abusive replies", days=7)
            db.session.commit()
    _login(client, who)
    with app.app_context():
        before = _row_counts()
    expected = ("Your account is suspended", "Abusive replies") if kind == "suspended" else ("Confirm your email",)
    for action, path, data in _member_actions(scene):
        resp = client.post(path, data={**data, "csrf_token": csrf_token(client, "/")})
        assert resp.status_code == 403, f"{kind}: {action} answered {resp.status_code}"
        text = resp.get_data(as_text=True)
        for words in expected:
            assert words in text, f"{kind}: refusing to {action} does not say why ({words!r})"
        # JSON clients (the vote button) are told why as well.
    resp = client.post(f"/ask/{scene['event']}/q/{scene['question']}/vote",
                       data={"vote": "1", "csrf_token": csrf_token(client, "/")},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 403
    assert expected[0].split()[-1].lower() in resp.get_json()["error"].lower()
    with app.app_context():
        assert _row_counts() == before, f"a {kind} account's refused actions stored something"


@pytest.mark.parametrize("kind", ["suspended", "unverified"])
def test_services_refuse_accounts_that_cannot_take_part(app, make_user, scene, kind):
    """The CLI and background paths go through the services: they refuse too."""
    from forum.helpdesk.services import give_kudos
    from forum.messages import services as messages

    who = make_user("sid", verified=kind != "unverified")
    with app.app_context():
        if kind == "suspended":
            moderation.suspend_user(_u(who), actor=_u(scene["people"]["mod"]), reason="Abusive replies", days=None)
            db.session.commit()
        user = _u(who)
        topic = db.session.get(Topic, scene["topic"])
        answer = db.session.get(Post, scene["answer"])
        event = db.session.scalar(select(QAEvent).where(QAEvent.slug == scene["event"]))
        question = db.session.get(Question, scene["question"])
        incident = db.session.get(Incident, scene["incident"])
        before = _row_counts()
        attempts = {
            "start a topic": lambda: topics.create_topic(topic.category, author=user, title="Charging fault",
                                                         body="It stopped."),
            "reply": lambda: topics.reply_to_topic(topic, author=user, body="Same here."),
            "give kudos": lambda: give_kudos(answer, user=user),
            "flag": lambda: moderation.flag_post(answer, user=user, reason="spam"),
            "ask a question": lambda: qa.submit_question(event, author=user, body="When will 5G reach Leeds?"),
            "vote": lambda: qa.vote(question, voter=user),
            "press I'm affected": lambda: incidents.report_affected(incident, user=user),
            "write to Customer Care": lambda: messages.start_conversation(user, None, subject="Bill", body="Check it."),
        }
        for action, attempt in attempts.items():
            with pytest.raises((PermissionDenied, moderation.PermissionDenied, helpdesk.PermissionDenied,
                                qa.PermissionDenied, incidents.PermissionDenied, messages.NotAllowed)) as refused:
                attempt()
            if kind == "suspended" and action not in ("start a topic", "reply", "flag"):
                assert "suspended" in str(refused.value), f"{action}: {refused.value}"
        db.session.rollback()
        assert _row_counts() == before


# --- posting limits x incidents ------------------------------------------------------------


@pytest.fixture
def limited_app(tmp_path):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.sqlite'}",
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_POSTS_MEMBER": "2 per hour", "RATELIMIT_POSTS_NEW_MEMBER": "2 per hour",
        "STAFF_2FA_REQUIRED": False,  # staff sign in with a password here (2FA: tests/accounts)
    })
    with app.app_context():
        upgrade()
        db.session.add(Category(name="Network", slug="network", description="", position=1))
        db.session.commit()
    limiter.reset()
    yield app
    limiter.reset()
    with app.app_context():
        db.engine.dispose()


def test_posting_limits_never_hold_back_staff_in_an_incident_topic(limited_app):
    app = limited_app
    with app.app_context():
        users = {}
        for name, role in (("mel", "member"), ("care", "staff")):
            users[name] = account_services.create_user(username=name, email=f"{name}@example.test",
                                                       password=PASSWORD, role=role, verified=True)
        db.session.flush()
        topic = topics.create_topic(db.session.query(Category).one(), author=users["mel"], title="No data in Leeds",
                                    body="Nothing loads since noon.")
        incident = incidents.open_incident(actor=users["care"], title="Data outage in Leeds", tags="Leeds",
                                           severity="major", body="Investigating.")
        incidents.link_topic(incident, topic, actor=users["care"], reason="Same outage")
        db.session.commit()
        tid, care_id = topic.id, users["care"].id

    staff = app.test_client()
    assert staff.post("/login", data={"login": "care", "password": PASSWORD}).status_code == 302
    for i in range(6):  # three times the members' budget
        resp = staff.post(f"/t/{tid}/reply", data={"body": f"Update {i}: engineers are on site."})
        assert resp.status_code == 302, f"staff reply {i} was refused ({resp.status_code})"

    member = app.test_client()
    assert member.post("/login", data={"login": "mel", "password": PASSWORD}).status_code == 302
    codes = [member.post(f"/t/{tid}/reply", data={"body": f"Still down {i}"}).status_code for i in range(3)]
    assert codes == [302, 302, 429], "the limiter must be on for members in the same topic"
    with app.app_context():
        by_staff = db.session.scalar(select(func.count(Post.id)).where(Post.topic_id == tid,
                                                                       Post.author_id == care_id))
        assert by_staff == 6


# --- the edit path x Markdown x the personal-data guard -------------------------------------


def _edit(client, post_id: int, body: str, **extra):
    form = client.get(f"/p/{post_id}/edit").get_data(as_text=True)
    base = re.search(r'name="base_revision" type="hidden" value="(\d+)"', form) or re.search(
        r'id="base_revision" name="base_revision" type="hidden" value="(\d+)"', form)
    base_title = re.search(r'name="base_title_revision" type="hidden" value="(\d+)"', form)
    assert base, "no revision field on the edit form"
    assert base_title, "no title revision field on the edit form"
    data = {"body": body, "base_revision": base.group(1), "base_title_revision": base_title.group(1),
            "csrf_token": csrf_token(client, f"/p/{post_id}/edit"), **extra}
    return client.post(f"/p/{post_id}/edit", data=data)


def test_an_edit_rerenders_markdown_sanitised_and_keeps_a_revision(app, client, scene):
    people = scene["people"]
    _login(client, people["helper"])
    body = "Now **bold**. <script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>"
    resp = _edit(client, scene["answer"], body)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    with app.app_context():
        post = db.session.get(Post, scene["answer"])
        assert post.body == body
        assert "<strong>bold</strong>" in post.body_html
        for bad in ("<script", 'href="javascript:', "<img"):
            assert bad not in post.body_html
        assert "&lt;script&gt;" in post.body_html  # shown as text, never run
        revisions = db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)).all()
        assert revisions, "the edit left no revision"
        assert post.revision_count >= 1
    history = client.get(f"/p/{scene['answer']}/history").get_data(as_text=True)
    assert "Wi-Fi Calling" in history  # the old text is kept


def test_a_member_adding_a_phone_number_in_an_edit_gets_the_guard(app, client, scene):
    _login(client, scene["people"]["helper"])
    resp = _edit(client, scene["answer"], "Call me on 07700 900456 and I will walk you through it.")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "This may be personal data" in text
    assert "a UK phone number" in text
    assert "Send it privately to Customer Care instead" in text
    assert "07700 900456" in text, "the member's text is kept in the form"
    with app.app_context():
        post = db.session.get(Post, scene["answer"])
        assert "07700" not in post.body
        assert "07700" not in post.body_html
        assert post.revision_count == 0

    resp = _edit(client, scene["answer"], "Call me on 07700 900456 and I will walk you through it.",
                 confirm_public="y")
    assert resp.status_code == 302
    with app.app_context():
        assert "07700 900456" in db.session.get(Post, scene["answer"]).body

    # What was confirmed once is not raised again on the next edit of the same post.
    resp = _edit(client, scene["answer"], "Call me on 07700 900456, evenings only.")
    assert resp.status_code == 302


def test_the_guard_on_the_edit_form_covers_the_title_and_sends_privately(app, client, scene):
    _login(client, scene["people"]["author"])
    with app.app_context():
        first = db.session.scalar(select(Post.id).where(Post.topic_id == scene["topic"], Post.is_first))
    resp = _edit(client, first, "Since Tuesday.", title="Card 4111 1111 1111 1111 refused")
    assert resp.status_code == 200
    assert "a payment card number" in resp.get_data(as_text=True)
    with app.app_context():
        assert "4111" not in db.session.get(Topic, scene["topic"]).title


def test_a_moderator_editing_out_personal_data_is_not_held(app, client, scene):
    """The guard is for the author's own public text; a moderator redacting someone
    else's post has the staff-only history box instead."""
    with app.app_context():
        post = db.session.get(Post, scene["answer"])
        topics.edit_post(post, editor=_u(scene["people"]["helper"]), body="Ring 07700 900456.")
        db.session.commit()
    _login(client, scene["people"]["mod"])
    resp = _edit(client, scene["answer"], "Ring 07700 900457 (corrected).", reason="Fixing a typo the author asked for")
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ModerationLogEntry.action).order_by(ModerationLogEntry.id.desc())) == "edit_post"


# --- the moderation log x every action the code writes ------------------------------------------

_WRITERS = {"log_action", "record_staff_action"}


def _const_strings(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _const_strings(node.body) + _const_strings(node.orelse)
    return []


def logged_actions() -> dict[str, str]:
    """{action: target type} for every action name the code passes to the log writers,
    found by reading the source: literal names, ``a if x else b``, and names passed in
    through a parameter (its default and every ``action=`` given by callers)."""
    found: dict[str, str] = {}
    via_param: dict[str, tuple[str, str]] = {}  # function -> (parameter, target type)
    trees = {p: ast.parse(p.read_text(), str(p)) for p in FORUM.rglob("*.py")}
    for tree in trees.values():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or fn.name in _WRITERS:
                continue
            for call in ast.walk(fn):
                if not (isinstance(call, ast.Call) and getattr(call.func, "id", getattr(call.func, "attr", None))
                        in _WRITERS):
                    continue
                action = call.args[1] if len(call.args) > 1 else next(
                    (k.value for k in call.keywords if k.arg == "action"), None)
                target = next((k.value.value for k in call.keywords
                               if k.arg == "target_type" and isinstance(k.value, ast.Constant)), "post")
                names = _const_strings(action)
                if names:
                    found.update(dict.fromkeys(names, target))
                elif isinstance(action, ast.Name):
                    via_param[fn.name] = (action.id, target)
                    args = fn.args.args + fn.args.kwonlyargs
                    defaults = [None] * (len(fn.args.args) - len(fn.args.defaults)) + fn.args.defaults
                    defaults += fn.args.kw_defaults
                    for arg, default in zip(args, defaults, strict=True):
                        if arg.arg == action.id and default is not None:
                            found.update(dict.fromkeys(_const_strings(default), target))
    for tree in trees.values():
        for call in ast.walk(tree):
            name = getattr(getattr(call, "func", None), "id", None) or getattr(getattr(call, "func", None), "attr", None)
            if isinstance(call, ast.Call) and name in via_param:
                param, target = via_param[name]
                for kw in call.keywords:
                    if kw.arg == param:
                        found.update(dict.fromkeys(_const_strings(kw.value), target))
    return found


def test_every_logged_action_has_a_label():
    actions = logged_actions()
    # The scan must see the actions of every feature, or it proves nothing.
    for known in ("hide_post", "delete_spam", "edit_post", "lock_topic", "unlock_topic", "mark_official_answer",
                  "link_topic_to_incident", "merge_question", "reject_question", "change_role", "suspend_user"):
        assert known in actions, f"the source scan missed {known}"
    missing = sorted(set(actions) - set(ACTION_LABELS))
    assert not missing, f"moderation log actions without a label: {missing}"


def test_the_moderation_log_renders_an_entry_of_every_action(app, client, scene):
    actions = logged_actions()
    with app.app_context():
        actor = _u(scene["people"]["mod"])
        member = _u(scene["people"]["helper"])
        targets = {"post": scene["answer"], "topic": scene["topic"], "user": member.id, "question": scene["question"]}
        for action, target_type in sorted(actions.items()):
            log_action(actor, action, target_type=target_type, target_id=targets.get(target_type),
                       reason=f"reason for {action}", subject_user=member,
                       topic_id=scene["topic"] if target_type in ("post", "topic") else None)
        db.session.commit()
    resp = client.get("/moderation-log")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for action in actions:
        row = re.search(rf'<tr id="entry-\d+" class="action-{action}">(.*?)</tr>', html, re.S)
        assert row, f"no row for {action}"
        assert ACTION_LABELS[action] in html_lib.unescape(row.group(1))
        assert f"reason for {action}" in row.group(1)
    for action in actions:
        assert client.get(f"/moderation-log?action={action}").status_code == 200
    assert client.get("/moderation-log.atom").status_code == 200
