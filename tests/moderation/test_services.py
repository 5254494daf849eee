"""The moderation services and the invariant: no text changes without a revision."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from forum import signals
from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import (
    Category,
    Flag,
    ModerationLogEntry,
    Notification,
    Post,
    PostRevision,
    SilentEditError,
    Topic,
    TopicRevision,
)
from forum.models.moderation import ModerationLogImmutable
from forum.moderation import queries
from forum.moderation import services as mod
from forum.permissions import can_create_topic, can_flag_post, can_reply_to_topic
from forum.topics import services as topics

ROOT = Path(__file__).resolve().parents[2]


def _log(action=None):
    stmt = select(ModerationLogEntry).order_by(ModerationLogEntry.id)
    if action:
        stmt = stmt.where(ModerationLogEntry.action == action)
    return list(db.session.scalars(stmt))


def _notes(user_id):
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)))


# --- edit_post: the one write path --------------------------------------------------------


def test_author_edit_writes_revision_but_no_log(app_ctx, world, get):
    post, alice = get.post(world["reply"]), get.user(world, "author")
    rev = topics.edit_post(post, editor=alice, body="My number is private.", base_revision=0)
    db.session.commit()
    assert (rev.number, rev.old_body, rev.new_body, rev.editor_id) == (
        1, "My number is 07700 900123, call me.", "My number is private.", alice.id)
    assert post.revision_count == 1
    assert post.edited_at is not None
    assert post.moderator_edit_reason is None
    assert "private" in post.body_html
    assert _log() == []
    # A second edit: a second revision; the same text again is a no-op.
    topics.edit_post(post, editor=alice, body="Fixed now, thanks.")
    assert topics.edit_post(post, editor=alice, body="Fixed now, thanks.") is None
    db.session.commit()
    assert [r.number for r in db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id))] == [1, 2]


def test_moderator_edit_needs_reason_logs_and_notifies(app_ctx, world, get):
    post, mona = get.post(world["reply"]), get.user(world, "moderator")
    with pytest.raises(topics.TopicError, match="Give a reason"):
        topics.edit_post(post, editor=mona, body="My number is [removed], call me.", reason="  ")
    db.session.rollback()
    assert get.post(world["reply"]).body == "My number is 07700 900123, call me."
    assert db.session.scalar(select(func.count(PostRevision.id))) == 0

    received = []
    receiver = lambda p, **kw: received.append((p.id, kw["editor"].id))  # noqa: E731
    signals.post_edited.connect(receiver, weak=False)
    try:
        post = get.post(world["reply"])
        topics.edit_post(post, editor=mona, body="My number is [removed], call me.", reason="Personal data removed",
                         old_text_staff_only=True)
        db.session.commit()
    finally:
        signals.post_edited.disconnect(receiver)  # only ours: other features listen too
    assert received == [(post.id, mona.id)]
    assert post.moderator_edit_reason == "Personal data removed"
    (entry,) = _log("edit_post")
    assert (entry.actor_id, entry.target_id, entry.subject_user_id, entry.reason) == (
        mona.id, post.id, post.author_id, "Personal data removed")
    (note,) = _notes(post.author_id)
    assert "Personal data removed" in note.text
    assert note.kind == "moderation"
    # The old text (the phone number) is only for staff in the history.
    (public,) = queries.post_history(post, viewer_is_staff=False)
    assert public.redacted
    assert public.diff == []
    (staff,) = queries.post_history(post, viewer_is_staff=True)
    assert ("del", "My number is 07700 900123, call me.") in staff.diff


def test_stale_edit_is_refused(app_ctx, world, get):
    post, alice, mona = get.post(world["reply"]), get.user(world, "author"), get.user(world, "moderator")
    topics.edit_post(post, editor=mona, body="Edited by mod.", reason="Tidy", base_revision=0)
    db.session.commit()
    with pytest.raises(topics.StaleEdit, match="changed this since you opened it"):
        topics.edit_post(post, editor=alice, body="My version", base_revision=0)
    db.session.rollback()
    assert get.post(world["reply"]).body == "Edited by mod."


def test_title_edit_by_moderator(app_ctx, world, get):
    topic, mona = get.topic(world["topic"]), get.user(world, "moderator")
    with pytest.raises(topics.TopicError, match="Give a reason"):
        topics.edit_topic_title(topic, editor=mona, title="No 4G indoors in Leeds LS1")
    db.session.rollback()
    topic = get.topic(world["topic"])
    rev = topics.edit_topic_title(topic, editor=mona, title="No 4G indoors in Leeds LS1", reason="Add area",
                                  base_revision=0)
    db.session.commit()
    assert (rev.old_title, rev.new_title, topic.title_revision_count) == ("No 4G indoors in Leeds",
                                                                         "No 4G indoors in Leeds LS1", 1)
    assert _log("edit_title")[0].reason == "Add area"


# --- the guard ---------------------------------------------------------------------------


@pytest.mark.parametrize("attr", ["body", "body_html"])
def test_guard_refuses_stray_post_text_write(app_ctx, world, get, attr):
    post = get.post(world["reply"])
    setattr(post, attr, "x")
    with pytest.raises(SilentEditError, match="without a PostRevision"):
        db.session.flush()
    db.session.rollback()
    assert get.post(world["reply"]).body == "My number is 07700 900123, call me."


def test_guard_refuses_stray_title_write_and_mismatched_revision(app_ctx, world, get):
    topic = get.topic(world["topic"])
    topic.title = "Silently changed"
    with pytest.raises(SilentEditError):
        db.session.commit()
    db.session.rollback()
    # A revision that records some other text does not cover the change.
    post = get.post(world["reply"])
    db.session.add(PostRevision(post=post, number=1, old_body=post.body, new_body="what the log says"))
    post.body = "what was really stored"
    with pytest.raises(SilentEditError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count(TopicRevision.id))) == 0


def test_guard_refuses_bulk_updates(app_ctx, world):
    with pytest.raises(SilentEditError, match="bypasses revisions"):
        db.session.execute(update(Post).where(Post.id == world["reply"]).values(body="x"))
    db.session.rollback()
    with pytest.raises(SilentEditError):
        db.session.execute(update(Topic).values(title="x"))
    db.session.rollback()


def test_no_code_assigns_member_text_outside_the_edit_service():
    """Static check over forum/: the only assignments to ``.body``, ``.body_html`` and
    ``.title`` are in edit_post and edit_topic_title."""
    allowed = {
        ("forum/topics/services.py", "edit_post"),
        ("forum/topics/services.py", "edit_topic_title"),
        # User.title: a staff member's own badge title, set by an admin; not member text.
        ("forum/helpdesk/services.py", "set_title"),
        # IncidentUpdate.body: staff's own status updates, corrected with a revision.
        ("forum/incidents/services.py", "correct_update"),
        # Answer.body: an executive's Q&A answer, every change kept as an AnswerRevision.
        ("forum/qa_events/services.py", "update_answer"),
        # SavedReply.title/body: the team's own canned answers (staff tools), never member text.
        ("forum/helpdesk/saved_replies.py", "update_saved_reply"),
    }
    guarded = {"body", "body_html", "title"}
    found = set()

    class Finder(ast.NodeVisitor):
        def __init__(self, rel):
            self.rel, self.stack = rel, ["<module>"]

        def visit_FunctionDef(self, node):
            self.stack.append(node.name)
            self.generic_visit(node)
            self.stack.pop()

        visit_AsyncFunctionDef = visit_FunctionDef

        def _check(self, targets):
            for t in targets:
                elts = t.elts if isinstance(t, ast.Tuple | ast.List) else [t]
                if any(isinstance(e, ast.Attribute) and e.attr in guarded for e in elts):
                    found.add((self.rel, self.stack[-1]))

        def visit_Assign(self, node):
            self._check(node.targets)
            self.generic_visit(node)

        def visit_AugAssign(self, node):
            self._check([node.target])
            self.generic_visit(node)

        visit_AnnAssign = visit_AugAssign

        def visit_Call(self, node):  # setattr(obj, "body", ...)
            if getattr(node.func, "id", None) == "setattr" and len(node.args) >= 2 and \
                    isinstance(node.args[1], ast.Constant) and node.args[1].value in guarded:
                found.add((self.rel, self.stack[-1]))
            self.generic_visit(node)

    for path in (ROOT / "forum").rglob("*.py"):
        Finder(str(path.relative_to(ROOT))).visit(ast.parse(path.read_text()))
    assert found <= allowed, f"member text assigned outside the edit service: {found - allowed}"
    assert found == allowed  # and the service itself is what we think it is


def test_every_write_path_leaves_text_or_a_revision_and_a_log(app_ctx, world, get, category):
    """Run every moderation and member write path; afterwards each post's text is either
    untouched or explained by its revisions, and every edit by a non-author is logged."""
    before = {p.id: p.body for p in db.session.scalars(select(Post))}
    u = {k: get.user(world, k) for k in world["users"]}
    post, first = get.post(world["reply"]), get.post(world["first"])
    topic, other = get.topic(world["topic"]), get.topic(world["other_topic"])
    mod.flag_post(post, user=u["member"], reason="personal_data")
    mod.hide_post(post, actor=u["moderator"], reason="Phone number")
    mod.appeal_post(post, user=u["author"], text="I meant to share it")
    mod.restore_post(post, actor=u["moderator"], reason="Author asked")
    topics.edit_post(post, editor=u["moderator"], body="Number removed.", reason="Personal data")
    topics.edit_post(first, editor=u["author"], body="Since Tuesday, no signal at all.")
    mod.delete_spam(get.post(world["reply"]), actor=u["admin"], reason="Spam")
    mod.set_locked(topic, True, actor=u["moderator"], reason="Resolved")
    topics.set_pinned(topic, True, actor=u["staff"], reason="Common question")
    second = topics.create_topic(get.category(world["category"]["id"]), author=u["member2"],
                                 title="Leeds signal again", body="Still nothing")
    roaming = Category(name="Roaming", slug="roaming")
    db.session.add(roaming)
    mod.move_topic(other, roaming, actor=u["moderator"], reason="About roaming")
    mod.merge_topic(second, topic, actor=u["moderator"], reason="Duplicate")
    mod.suspend_user(u["member3"], actor=u["moderator"], reason="Abuse", days=3)
    account_services.set_role(u["member2"], "moderator", changed_by=u["admin"], reason="Volunteer")
    db.session.commit()

    for p in db.session.scalars(select(Post)):
        revs = list(db.session.scalars(select(PostRevision).where(PostRevision.post_id == p.id)
                                       .order_by(PostRevision.number)))
        original = before.get(p.id, revs[0].old_body if revs else p.body)
        assert p.body == (revs[-1].new_body if revs else original)
        assert p.revision_count == len(revs)
        for r in revs:
            if r.editor_id != p.author_id:
                assert r.reason
                assert any(e.target_id == p.id and e.reason == r.reason for e in _log("edit_post"))
    logged = {e.action for e in _log()}
    assert logged >= {"hide_post", "restore_post", "edit_post", "delete_spam", "lock_topic", "pin_topic",
                      "move_topic", "merge_topic", "suspend_user", "change_role", "appeal_granted"} - {"appeal_granted"}


# --- hide, restore, spam ------------------------------------------------------------------


def test_hide_keeps_the_post_logs_notifies_and_signals(app_ctx, world, get):
    post, mona = get.post(world["reply"]), get.user(world, "moderator")
    seen = []
    receiver = lambda p, **kw: seen.append((p.id, kw["reason"]))  # noqa: E731
    signals.post_hidden.connect(receiver, weak=False)
    try:
        with pytest.raises(mod.ModerationError, match="Give a reason"):
            mod.hide_post(post, actor=mona, reason="")
        assert mod.hide_post(post, actor=mona, reason="Phone number in post") is True
        assert mod.hide_post(post, actor=mona, reason="again") is False
        db.session.commit()
    finally:
        signals.post_hidden.disconnect(receiver)  # only ours: other features listen too
    post = get.post(world["reply"])
    assert post.is_hidden
    assert post.body.startswith("My number")
    assert post.hidden_by_id == mona.id
    assert seen == [(post.id, "Phone number in post")]
    assert [e.action for e in _log()] == ["hide_post"]
    assert "Phone number in post" in _notes(post.author_id)[0].text
    assert mod.restore_post(post, actor=mona, reason="Appeal") is True
    db.session.commit()
    assert not get.post(world["reply"]).is_hidden
    assert [e.action for e in _log()] == ["hide_post", "restore_post"]


def test_staff_who_are_not_moderators_cannot_hide(app_ctx, world, get):
    with pytest.raises(mod.PermissionDenied):
        mod.hide_post(get.post(world["reply"]), actor=get.user(world, "staff"), reason="x")


def test_spam_log_does_not_repeat_the_spam(app_ctx, world, get):
    topic = topics.create_topic(get.category(world["category"]["id"]), author=get.user(world, "member"),
                                title="CHEAP PILLS buy now", body="CHEAP PILLS http://spam.example")
    first = db.session.scalar(select(Post).where(Post.topic_id == topic.id))
    mod.delete_spam(first, actor=get.user(world, "moderator"), reason="Advertising")
    db.session.commit()
    (row,) = queries.moderation_log(1).items
    assert row.entry.action == "delete_spam"
    assert row.topic is None
    assert "PILLS" not in (row.entry.summary + row.entry.reason)
    assert first.is_hidden
    assert first.hidden_staff_only


def test_log_entries_cannot_be_changed_or_deleted(app_ctx, world, get):
    mod.hide_post(get.post(world["reply"]), actor=get.user(world, "moderator"), reason="x")
    db.session.commit()
    (entry,) = _log()
    entry.reason = "rewritten"
    with pytest.raises(ModerationLogImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(_log()[0])
    with pytest.raises(ModerationLogImmutable):
        db.session.flush()


# --- topics ------------------------------------------------------------------------------


def test_lock_refuses_member_replies(app_ctx, world, get):
    topic = get.topic(world["topic"])
    mod.set_locked(topic, True, actor=get.user(world, "moderator"), reason="Resolved")
    db.session.commit()
    assert not can_reply_to_topic(get.user(world, "author"), topic)
    assert can_reply_to_topic(get.user(world, "moderator"), topic)
    with pytest.raises(topics.PermissionDenied):
        topics.reply_to_topic(topic, author=get.user(world, "member"), body="hi")


def test_merge_moves_posts_and_redirect_target(app_ctx, world, get):
    src, dst = get.topic(world["other_topic"]), get.topic(world["topic"])
    before = dst.reply_count
    merged = []
    receiver = lambda t, **kw: merged.append((t.id, kw["into"].id))  # noqa: E731
    signals.topic_merged.connect(receiver, weak=False)
    try:
        mod.merge_topic(src, dst, actor=get.user(world, "moderator"), reason="Duplicate")
        db.session.commit()
    finally:
        signals.topic_merged.disconnect(receiver)  # only ours: other features listen too
    assert merged == [(src.id, dst.id)]
    assert get.topic(src.id).merged_into_id == dst.id
    assert get.topic(dst.id).reply_count == before + 1
    assert db.session.scalar(select(func.count(Post.id)).where(Post.topic_id == src.id)) == 0
    assert get.category(world["category"]["id"]).topic_count == 1
    with pytest.raises(mod.ModerationError, match="itself"):
        mod.merge_topic(dst, dst, actor=get.user(world, "moderator"), reason="x")


def test_pin_requires_a_reason_and_is_logged(app_ctx, world, get):
    topic, carl = get.topic(world["topic"]), get.user(world, "staff")
    with pytest.raises(topics.TopicError, match="Give a reason"):
        topics.set_pinned(topic, True, actor=carl, reason="")
    assert topics.set_pinned(topic, True, actor=carl, reason="Many ask") is True
    topics.set_pinned(topic, False, actor=carl, reason="Fixed")
    db.session.commit()
    assert [(e.action, e.reason) for e in _log()] == [("pin_topic", "Many ask"), ("unpin_topic", "Fixed")]


def test_role_change_is_logged(app_ctx, world, get):
    account_services.set_role(get.user(world, "member"), "moderator", changed_by=get.user(world, "admin"),
                              reason="Volunteer")
    db.session.commit()
    (entry,) = _log("change_role")
    assert (entry.summary, entry.reason, entry.subject_user_id) == ("member → moderator", "Volunteer",
                                                                    world["users"]["member"]["id"])


# --- flags -------------------------------------------------------------------------------


def test_flag_rules(app_ctx, world, get):
    post = get.post(world["reply"])
    with pytest.raises(mod.ModerationError, match="your own post"):
        mod.flag_post(post, user=get.user(world, "author"), reason="spam")
    mod.flag_post(post, user=get.user(world, "member"), reason="abusive")
    with pytest.raises(mod.ModerationError, match="already flagged"):
        mod.flag_post(post, user=get.user(world, "member"), reason="spam")
    with pytest.raises(mod.ModerationError, match="Choose why"):
        mod.flag_post(post, user=get.user(world, "member2"), reason="boring")
    with pytest.raises(mod.ModerationError, match="Say what"):
        mod.flag_post(post, user=get.user(world, "member2"), reason="other")
    db.session.commit()
    assert db.session.scalar(select(func.count(Flag.id))) == 1


def test_three_spam_flags_hide_automatically(app_ctx, world, get):
    post = get.post(world["first"])
    for who in ("member", "member2"):
        mod.flag_post(post, user=get.user(world, who), reason="spam")
    assert not post.is_hidden
    mod.flag_post(post, user=get.user(world, "member3"), reason="spam")
    db.session.commit()
    assert post.is_hidden
    (entry,) = _log()
    assert entry.is_automatic
    assert entry.actor_id is None
    assert "3 members flagged it as spam" in entry.reason
    # Still pending review: the flags stay open in the queue.
    (item,) = queries.review_queue()
    assert item.flag_count == 3
    assert item.post.id == post.id


def test_queue_order_urgent_then_most_flagged(app_ctx, world, get):
    first, reply = get.post(world["first"]), get.post(world["reply"])
    other_first = db.session.scalar(select(Post).where(Post.topic_id == world["other_topic"]))
    mod.flag_post(first, user=get.user(world, "member"), reason="off_topic")
    mod.flag_post(first, user=get.user(world, "member2"), reason="abusive")
    mod.flag_post(other_first, user=get.user(world, "author"), reason="abusive")
    mod.flag_post(reply, user=get.user(world, "member3"), reason="personal_data")
    db.session.commit()
    assert [(i.post.id, i.urgent) for i in queries.review_queue()] == [
        (reply.id, True), (first.id, False), (other_first.id, False)]
    mod.hide_post(reply, actor=get.user(world, "moderator"), reason="Phone number")
    db.session.commit()
    assert reply.hidden_staff_only, "personal data: only staff may open the original"
    assert [i.post.id for i in queries.review_queue()] == [first.id, other_first.id]


# --- appeals -----------------------------------------------------------------------------


def test_appeal_once_and_outcome_logged(app_ctx, world, get):
    post = get.post(world["reply"])
    alice, mona = get.user(world, "author"), get.user(world, "moderator")
    with pytest.raises(mod.ModerationError, match="nothing to appeal"):
        mod.appeal_post(post, user=alice, text="why")
    mod.hide_post(post, actor=mona, reason="Phone number")
    with pytest.raises(mod.PermissionDenied):
        mod.appeal_post(post, user=get.user(world, "member"), text="not mine")
    with pytest.raises(mod.ModerationError, match="at most 500"):
        mod.appeal_post(post, user=alice, text="x" * 501)
    appeal = mod.appeal_post(post, user=alice, text="It is a company number")
    with pytest.raises(mod.ModerationError, match="once"):
        mod.appeal_post(post, user=alice, text="again")
    mod.decide_appeal(appeal, actor=mona, granted=True, reason="It is the shop's number")
    db.session.commit()
    assert not post.is_hidden
    assert appeal.outcome == "granted"
    assert [e.action for e in _log()] == ["hide_post", "restore_post", "appeal_granted"]
    with pytest.raises(mod.ModerationError, match="already decided"):
        mod.decide_appeal(appeal, actor=mona, granted=False, reason="x")


# --- suspensions -------------------------------------------------------------------------


def test_suspension_refuses_every_member_action(app_ctx, world, get):
    bob, mona = get.user(world, "member"), get.user(world, "moderator")
    with pytest.raises(mod.ModerationError, match="1 to 3650"):
        mod.suspend_user(bob, actor=mona, reason="Abuse", days=0)
    with pytest.raises(mod.PermissionDenied):
        mod.suspend_user(get.user(world, "staff"), actor=mona, reason="x", days=1)
    with pytest.raises(mod.PermissionDenied):
        mod.suspend_user(mona, actor=mona, reason="x", days=1)
    mod.suspend_user(bob, actor=mona, reason="Abuse", days=7)
    db.session.commit()
    assert bob.is_suspended
    assert not bob.suspended_indefinitely
    post = get.post(world["reply"])
    assert not can_create_topic(bob)
    assert not can_reply_to_topic(bob)
    assert not can_flag_post(bob, post)
    with pytest.raises(topics.PermissionDenied):
        topics.reply_to_topic(get.topic(world["topic"]), author=bob, body="hi")
    with pytest.raises(mod.PermissionDenied):
        mod.flag_post(post, user=bob, reason="spam")
    db.session.rollback()
    mod.unsuspend_user(get.user(world, "member"), actor=mona, reason="Served")
    mod.suspend_user(get.user(world, "member2"), actor=mona, reason="Spam account", days=None)
    db.session.commit()
    assert not get.user(world, "member").is_suspended
    assert get.user(world, "member2").suspended_indefinitely
    assert [(e.action, e.summary) for e in _log()] == [
        ("suspend_user", "for 7 days"), ("unsuspend_user", ""), ("suspend_user", "indefinitely")]
