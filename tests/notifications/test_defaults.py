"""Email defaults for a new account: at once for replies to their own topics, for
Customer Care answers and for moderation of their posts; a daily digest for topics they
follow. The choice per kind on /settings/notifications."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.helpdesk import services as helpdesk
from forum.models import EmailPreference, Post, User
from forum.moderation import services as moderation
from forum.notifications import preferences
from tests.conftest import csrf_token

DEFAULTS = {"replies": "immediate", "staff": "immediate", "moderation": "immediate", "watched": "daily", "other": "off"}


def test_a_new_account_has_the_defaults_and_the_settings_page_shows_them(app, client, signed_in):
    user = signed_in("member", username="newbie")
    with app.app_context():
        assert preferences.modes_for(user["id"]) == DEFAULTS
        # Defaults are not stored: they apply until the member chooses.
        assert db.session.scalar(select(db.func.count(EmailPreference.id))) == 0
    html = client.get("/settings/notifications").get_data(as_text=True)
    for category, mode in DEFAULTS.items():
        assert f'id="{category}-' in html
        checked = [line for line in html.split("<input") if f'name="{category}"' in line and "checked" in line]
        assert len(checked) == 1, category
        assert f'value="{mode}"' in checked[0], category
    assert "/settings/notifications" in client.get("/settings").get_data(as_text=True)  # linked from the settings


def test_the_asker_hears_at_once_when_customer_care_replies(app, build, make_user, category, mails):
    """The issue's journey: a member asks and leaves; Customer Care answers; with the
    default settings the member gets an email straight away."""
    asker, care = make_user("asker"), make_user("priya", role="staff")
    with build() as b:
        topic = b.topic(category, asker, title="No 4G since the update")
        tid = topic.id
    assert mails(asker) == []
    with build() as b:
        reply = b.reply(tid, care, body="Please restart your phone: the new settings arrive then.")
        rid = reply.id
    [mail] = mails(asker)
    assert "priya replied in your topic “No 4G since the update”" in mail["Subject"]
    body = mail.get_content()
    assert f"/p/{rid}" in body
    assert "Stop these emails" in body
    assert mail["List-Unsubscribe"].startswith(f"<{app.config['SITE_URL']}/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The official answer is a staff answer: at once too.
    with app.app_context():
        helpdesk.mark_official_answer(db.session.get(Post, rid), actor=db.session.get(User, care["id"]), reason="Works")
        db.session.commit()
    assert len(mails(asker)) == 2
    assert "marked an official answer on your topic" in mails(asker)[1]["Subject"]


def test_moderation_of_a_post_is_emailed_at_once(app, build, make_user, category, mails):
    member, mod = make_user("member1"), make_user("mod1", role="moderator")
    with build() as b:
        topic = b.topic(category, mod, title="House rules")
        pid = b.reply(topic, member, body="Buy cheap phones at example.com").id
    assert mails(member) == []  # replies by others only: the moderator wrote the topic
    with app.app_context():
        moderation.hide_post(db.session.get(Post, pid), actor=db.session.get(User, mod["id"]), reason="Advertising")
        db.session.commit()
    [mail] = mails(member)
    assert "A moderator" in mail["Subject"]
    assert "Advertising" in mail["Subject"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_followed_topic_goes_to_the_daily_digest(app, runner, build, thread, mails):
    before = len(mails(thread["helper"]))
    with build() as b:
        b.reply(thread["topic"], thread["author"], body="Still nothing here")
    assert len(mails(thread["helper"])) == before  # not at once: helper only follows the topic
    assert runner.invoke(args=["notifications", "send-digests"]).exit_code == 0
    digest = mails(thread["helper"])[-1]
    assert "Your daily digest" in digest["Subject"]
    assert "2 new replies in “No signal in Leeds”" in digest.get_content()  # care's and author's, grouped
    assert "/unsubscribe/" in digest["List-Unsubscribe"]


def test_the_email_settings_page_saves_a_choice_per_kind(app, client, signed_in):
    user = signed_in("member", username="chooser")
    data = {**DEFAULTS, "replies": "daily", "other": "immediate"}
    resp = client.post("/settings/notifications", data={**data, "csrf_token": csrf_token(client, "/settings/notifications")})
    assert resp.status_code == 302
    with app.app_context():
        assert preferences.modes_for(user["id"]) == data


@pytest.mark.parametrize("bad", [{"replies": "hourly"}, {"replies": ""}, {"staff": "immediate\x00"}])
def test_bad_email_choices_are_422_and_change_nothing(app, client, signed_in, bad):
    user = signed_in("member", username="chooser")
    data = {**DEFAULTS, "replies": "off", **bad}
    resp = client.post("/settings/notifications", data={**data, "csrf_token": csrf_token(client, "/settings/notifications")})
    assert resp.status_code == 422
    with app.app_context():
        assert preferences.modes_for(user["id"]) == DEFAULTS


def test_the_email_settings_need_a_sign_in_and_csrf(app, client, signed_in):
    assert client.get("/settings/notifications").status_code == 302
    signed_in("member", username="chooser")
    assert client.post("/settings/notifications", data=DEFAULTS).status_code in (400, 422)


def test_set_modes_refuses_unknown_kinds_and_modes(app, make_user):
    user = make_user("svc")
    with app.app_context():
        u = db.session.get(User, user["id"])
        with pytest.raises(preferences.PreferenceError):
            preferences.set_modes(u, {"spam": "off"})
        with pytest.raises(preferences.PreferenceError):
            preferences.set_modes(u, {"replies": "weekly"})
