"""The shared person and time primitives every page uses (templates/_macros)."""

from datetime import UTC, datetime, timedelta

from flask import render_template_string

from forum.models.users import User


def test_avatar_shows_initials_in_a_stable_colour(app):
    with app.test_request_context():
        tpl = '{% from "_macros/people.html" import avatar %}{{ avatar(u) }}'
        ana = User(username="ana_lopez", display_name="Ana López", email="a@example.com")
        html = render_template_string(tpl, u=ana)
        assert 'class="avatar avatar-md avatar-hue-' in html
        assert "style=" not in html  # the CSP refuses style attributes: the colour is a class
        assert ">AL<" in html
        assert html == render_template_string(tpl, u=ana)  # same member, same colour
        other = User(username="zed", email="z@example.com")
        assert ">Z<" in render_template_string(tpl, u=other)


def test_when_is_relative_with_the_exact_local_time_on_hover(app):
    app.config["TIMEZONE"] = "Europe/London"
    with app.test_request_context():
        value = datetime.now(UTC) - timedelta(hours=3, minutes=5)
        html = render_template_string('{% from "_macros/time.html" import when %}{{ when(v) }}', v=value)
        assert ">3 hours ago</time>" in html
        assert f'datetime="{value.strftime("%Y-%m-%dT%H:%M:%SZ")}"' in html
        summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
        html = render_template_string('{% from "_macros/time.html" import when %}{{ when(v) }}', v=summer)
        assert 'title="01 Jul 2026, 13:00 BST"' in html
