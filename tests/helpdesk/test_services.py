"""Help-desk state changes through the services: answers, resolved state, the hidden
answer signal, satisfaction, kudos, subscriptions and reply notifications."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum import signals
from forum.accounts import services as account_services
from forum.audit import ReasonRequired
from forum.extensions import db
from forum.helpdesk import services
from forum.models import Kudos, ModerationLogEntry, Post, Topic, TopicSubscription, User
from forum.notifications import queries as notification_queries
from forum.notifications import services as notification_services


def _get_state(app, thread):
    with app.app_context():
        return _get(Topic, thread["topic"]).state


def _get(model, ident):
    return db.session.get(model, ident if isinstance(ident, int) else ident["id"])


def test_official_answer_is_logged_answers_but_does_not_resolve_and_notifies(app, thread, notes):
    with app.app_context():
        post = _get(Post, thread["helper_reply"])
        assert services.mark_official_answer(post, actor=_get(User, thread["care"]), reason="Confirmed by network team")
        db.session.commit()
        topic = _get(Topic, thread["topic"])
        assert topic.official_answer_post_id == post.id
        assert topic.official_marked_by_id == thread["care"]["id"]
        # Answered, not resolved: the asker decides (issue 12).
        assert topic.state == "answered"
        assert not topic.is_resolved
        assert topic.resolved_at is None
        [entry] = db.session.scalars(select(ModerationLogEntry)).all()
        assert (entry.action, entry.target_id, entry.reason, entry.topic_id) == (
            "mark_official_answer", post.id, "Confirmed by network team", topic.id)
    # One action, one notification per member: the official answer (which also
    # resolved the topic) reaches the asker once, as the more important of the two.
    author_notes = notes(thread["author"])
    assert [n for n in author_notes if n[0] != "reply"] == [
        ("official_answer", "care marked an official answer on your topic “No signal in Leeds”. Did it solve your problem?",
         1)]
    assert notes(thread["helper"], "official_answer") == [
        ("official_answer", "Your reply in “No signal in Leeds” was marked as the official answer.", 1)]


def test_marking_another_official_answer_replaces_it_and_is_recorded(app, thread, notes):
    with app.app_context():
        care = _get(User, thread["care"])
        services.mark_official_answer(_get(Post, thread["helper_reply"]), actor=care, reason="First")
        db.session.commit()
        services.mark_official_answer(_get(Post, thread["care_reply"]), actor=care, reason="Better answer")
        db.session.commit()
        assert _get(Topic, thread["topic"]).official_answer_post_id == thread["care_reply"]
        entries = db.session.scalars(select(ModerationLogEntry).order_by(ModerationLogEntry.id)).all()
        assert [e.reason for e in entries] == ["First", "Better answer"]
        assert f"replacing post {thread['helper_reply']}" in entries[1].summary
        # Marking the same post again changes nothing and logs nothing.
        assert not services.mark_official_answer(_get(Post, thread["care_reply"]), actor=care, reason="Again")
        db.session.commit()
        assert db.session.scalar(select(db.func.count(ModerationLogEntry.id))) == 2
    # Each marking told the asker once (the official answer; the satisfaction question
    # of the first one merged into it, as one action sends one notification).
    assert len(notes(thread["author"], "official_answer")) == 2
    assert notes(thread["author"], "satisfaction") == []
    assert _get_state(app, thread) == "answered"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_official_answer_needs_a_reason(app, thread, reason):
    with app.app_context():
        with pytest.raises(services.HelpdeskError, match="reason"):
            services.mark_official_answer(_get(Post, thread["helper_reply"]), actor=_get(User, thread["care"]),
                                          reason=reason)
        db.session.rollback()
        assert not _get(Topic, thread["topic"]).is_resolved


def test_reason_required_by_the_log_itself():
    from forum.audit import log_action

    with pytest.raises(ReasonRequired):
        log_action(None, "mark_official_answer", target_type="post", target_id=1, reason=" ")


def test_official_answer_refused_on_opening_post_and_for_members(app, thread):
    with app.app_context():
        care, helper = _get(User, thread["care"]), _get(User, thread["helper"])
        with pytest.raises(services.PermissionDenied):
            services.mark_official_answer(_get(Post, thread["first"]), actor=care, reason="x")
        with pytest.raises(services.PermissionDenied):
            services.mark_official_answer(_get(Post, thread["helper_reply"]), actor=helper, reason="x")


def test_author_accepts_a_solution(app, thread, notes):
    with app.app_context():
        author = _get(User, thread["author"])
        assert services.accept_solution(_get(Post, thread["helper_reply"]), actor=author)
        db.session.commit()
        topic = _get(Topic, thread["topic"])
        assert topic.solution_post_id == thread["helper_reply"]
        assert topic.is_resolved
        # Accepting another reply replaces the solution.
        assert services.accept_solution(_get(Post, thread["care_reply"]), actor=author)
        db.session.commit()
        assert _get(Topic, thread["topic"]).solution_post_id == thread["care_reply"]
    assert notes(thread["helper"], "solution") == [
        ("solution", "author accepted your reply as the solution to “No signal in Leeds”.", 1)]
    # The author resolved it themselves: nothing about it to themselves.
    # (helper's and care's replies, grouped: one notification about the topic.)
    assert notes(thread["author"]) == [("reply", "2 new replies in “No signal in Leeds”.", 2)]


def test_only_the_author_accepts_and_not_their_own_reply(app, build, thread):
    with build() as b:
        own = b.reply(thread["topic"], thread["author"], body="Fixed it myself").id
    with app.app_context():
        with pytest.raises(services.PermissionDenied):
            services.accept_solution(_get(Post, thread["helper_reply"]), actor=_get(User, thread["helper"]))
        with pytest.raises(services.PermissionDenied):
            services.accept_solution(_get(Post, own), actor=_get(User, thread["author"]))
        with pytest.raises(services.PermissionDenied):
            services.accept_solution(_get(Post, thread["first"]), actor=_get(User, thread["author"]))


def test_hidden_official_answer_makes_the_topic_unresolved_with_a_note(app, thread):
    with app.app_context():
        post = _get(Post, thread["helper_reply"])
        care = _get(User, thread["care"])
        services.mark_official_answer(post, actor=care, reason="Works")
        services.accept_solution(post, actor=_get(User, thread["author"]))
        db.session.commit()
        assert _get(Topic, thread["topic"]).state == "resolved"
        # Another feature hides posts and sends this signal; we send it ourselves.
        signals.post_hidden.send(post, actor=care, reason="Spam link")
        db.session.commit()
        topic = _get(Topic, thread["topic"])
        assert topic.official_answer_post_id is None
        assert topic.solution_post_id is None
        assert not topic.is_resolved
        assert topic.state == "reopened"
        assert topic.resolution_note == services.HIDDEN_ANSWER_NOTE


def test_hidden_solution_keeps_topic_resolved_by_official_answer(app, thread):
    with app.app_context():
        services.accept_solution(_get(Post, thread["helper_reply"]), actor=_get(User, thread["author"]))
        services.mark_official_answer(_get(Post, thread["care_reply"]), actor=_get(User, thread["care"]), reason="ok")
        db.session.commit()
        signals.post_hidden.send(_get(Post, thread["helper_reply"]), actor=None, reason="auto")
        db.session.commit()
        topic = _get(Topic, thread["topic"])
        assert topic.solution_post_id is None
        assert topic.is_resolved
        assert topic.resolution_note is None


def test_hiding_an_unrelated_post_changes_nothing(app, thread):
    with app.app_context():
        services.accept_solution(_get(Post, thread["helper_reply"]), actor=_get(User, thread["author"]))
        db.session.commit()
        signals.post_hidden.send(_get(Post, thread["care_reply"]), actor=None, reason="auto")
        db.session.commit()
        assert _get(Topic, thread["topic"]).is_resolved


def test_satisfaction_is_stored_on_the_topic(app, build, thread):
    with build() as b:  # the asker wrote after the staff reply: waiting, nothing to rate
        b.reply(thread["topic"], thread["author"], body="Still nothing here.")
    with app.app_context():
        author = _get(User, thread["author"])
        topic = _get(Topic, thread["topic"])
        assert topic.state == "waiting"
        with pytest.raises(services.PermissionDenied):  # not answered yet
            services.rate_satisfaction(topic, user=author, answer="yes")
        services.accept_solution(_get(Post, thread["helper_reply"]), actor=author)
        services.rate_satisfaction(topic, user=author, answer="yes", comment="  Works now  ")
        db.session.commit()
        assert (topic.satisfaction, topic.satisfaction_comment) == ("yes", "Works now")
        with pytest.raises(services.HelpdeskError):
            services.rate_satisfaction(topic, user=author, answer="maybe")
        with pytest.raises(services.HelpdeskError):
            services.rate_satisfaction(topic, user=author, answer="no", comment="x" * 1001)
        with pytest.raises(services.PermissionDenied):
            services.rate_satisfaction(topic, user=_get(User, thread["helper"]), answer="no")


def test_kudos_once_per_member_never_own_post_and_batched(app, thread, make_user, notes):
    fans = [make_user(f"fan{i}") for i in range(3)]
    with app.app_context():
        post = _get(Post, thread["helper_reply"])
        for fan in fans:
            services.give_kudos(post, user=_get(User, fan))
            db.session.commit()
        assert _get(Post, thread["helper_reply"]).kudos_count == 3
        with pytest.raises(services.HelpdeskError, match="already"):
            services.give_kudos(_get(Post, thread["helper_reply"]), user=_get(User, fans[0]))
        db.session.rollback()
        with pytest.raises(services.PermissionDenied, match="own post"):
            services.give_kudos(_get(Post, thread["helper_reply"]), user=_get(User, thread["helper"]))
        db.session.rollback()
        assert db.session.scalar(select(db.func.count(Kudos.id))) == 3
    assert notes(thread["helper"], "kudos") == [("kudos", "3 people gave kudos to your post in “No signal in Leeds”.", 3)]


def test_kudos_unique_constraint_in_the_database(app, thread):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        db.session.add_all([Kudos(post_id=thread["first"], user_id=thread["helper"]["id"]),
                            Kudos(post_id=thread["first"], user_id=thread["helper"]["id"])])
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_unverified_members_cannot_give_kudos(app, thread, make_user):
    newbie = make_user("newbie", verified=False)
    with app.app_context(), pytest.raises(services.PermissionDenied, match="Confirm"):
        services.give_kudos(_get(Post, thread["first"]), user=_get(User, newbie))


# --- subscriptions and reply notifications ---------------------------------------------


def test_author_and_posters_are_subscribed(app, thread):
    with app.app_context():
        subs = dict(db.session.execute(
            select(TopicSubscription.user_id, TopicSubscription.state).where(TopicSubscription.topic_id == thread["topic"])
        ).all())
    assert subs == {thread["author"]["id"]: "watching", thread["helper"]["id"]: "watching",
                    thread["care"]["id"]: "watching"}


def test_a_reply_notifies_each_subscriber_once_never_its_author(app, build, thread, make_user, notes):
    with build() as b:
        b.reply(thread["topic"], thread["helper"], body="Any news?", parent=thread["care_reply"])
    # care gets "replied to your post", not also "replied in" (once each).
    assert notes(thread["care"]) == [("reply", "helper replied to your post in “No signal in Leeds”.", 1)]
    # The asker's replies are grouped by topic: one unread notification counting them.
    assert notes(thread["author"]) == [("reply", "3 new replies in “No signal in Leeds”.", 3)]
    # helper never hears about their own reply (but did about care's earlier reply).
    assert all("helper replied" not in text for _, text, _ in notes(thread["helper"]))


def test_muted_members_are_not_notified(app, build, thread, notes):
    with app.app_context():
        notification_services.set_subscription(_get(Topic, thread["topic"]), user=_get(User, thread["author"]), state="muted")
        db.session.commit()
    before = notes(thread["author"], "reply")
    assert before == [("reply", "2 new replies in “No signal in Leeds”.", 2)]  # before the mute
    with build() as b:
        b.reply(thread["topic"], thread["helper"], body="Still broken?")
        b.reply(thread["topic"], thread["author"], body="Still here")
    assert notes(thread["author"], "reply") == before
    with app.app_context():
        # Posting again does not undo a mute.
        assert notification_queries.subscription_state(_get(User, thread["author"]), _get(Topic, thread["topic"])) == "muted"


def test_reply_notifications_are_created_only_after_commit(app, thread, notes):
    from forum.topics import services as topic_services

    with app.app_context():
        topic_services.reply_to_topic(_get(Topic, thread["topic"]), author=_get(User, thread["helper"]), body="draft")
        db.session.rollback()
    assert all("draft" not in t for _, t, _ in notes(thread["author"]))
    assert notes(thread["author"]) == [("reply", "2 new replies in “No signal in Leeds”.", 2)]
    with app.app_context():
        topic_services.reply_to_topic(_get(Topic, thread["topic"]), author=_get(User, thread["helper"]), body="real")
        db.session.commit()
    assert notes(thread["author"]) == [("reply", "3 new replies in “No signal in Leeds”.", 3)]


def test_bad_subscription_state(app, thread):
    with app.app_context(), pytest.raises(notification_services.NotificationError):
        notification_services.set_subscription(_get(Topic, thread["topic"]), user=_get(User, thread["author"]), state="loud")


# --- staff reply flag -------------------------------------------------------------------


def test_staff_reply_is_recorded_for_the_queue(app, build, make_user, category):
    member, mod = make_user("memb1"), make_user("mod1", role="moderator")
    with build() as b:
        t = b.topic(category, member, title="Roaming charges")
        b.reply(t, member, body="bump")
        tid = t.id
    with app.app_context():
        assert not _get(Topic, tid).has_staff_reply
    with build() as b:
        b.reply(tid, mod, body="Looking into it")
    with app.app_context():
        assert _get(Topic, tid).has_staff_reply


# --- settings and titles -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["O2 Support", "ＳＴＡＦＦ", "Admin", "The Moderator", "Customer-Care", "connect community",
                                  "CONNECT team"])
def test_members_cannot_take_staff_display_names(app, make_user, name):
    member = make_user("plainmember")
    with app.app_context(), pytest.raises(account_services.AccountError, match="mistaken for our staff"):
        account_services.update_settings(_get(User, member), display_name=name)


def test_staff_may_use_their_team_name_and_titles(app, make_user):
    care, member = make_user("priya", role="staff"), make_user("morgan")
    with app.app_context():
        account_services.update_settings(_get(User, care), display_name="Priya from Customer Care")
        services.set_title(_get(User, care), "Head of Customer Care")
        db.session.commit()
        user = _get(User, care)
        assert (user.display_name, user.badge_label) == ("Priya from Customer Care", "Head of Customer Care")
        with pytest.raises(services.HelpdeskError):
            services.set_title(_get(User, member), "VIP")
        with pytest.raises(account_services.AccountError):
            account_services.update_settings(_get(User, member), display_name="Mo\x07")
