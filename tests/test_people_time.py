"""The shared person and time primitives every page uses (forum/templating.py)."""

from datetime import UTC, datetime, timedelta

from flask import render_template_string

from forum.models.users import User


def test_avatar_shows_initials_in_a_stable_colour(app):
    with app.test_request_context():
        tpl = "{{ avatar(u) }}"
        ana = User(username="ana_lopez", display_name="Ana López", email="a@example.com")
        html = render_template_string(tpl, u=ana)
        assert 'class="avatar avatar-md avatar-hue-' in html
        assert "style=" not in html  # the Content-Security-Policy refuses style attributes
        assert ">AL<" in html
        assert html == render_template_string(tpl, u=ana)  # same member, same colour
        other = User(username="zed", email="z@example.com")
        assert ">Z<" in render_template_string(tpl, u=other)


def test_when_is_relative_with_the_exact_local_time_on_hover(app):
    app.config["TIMEZONE"] = "Europe/London"
    with app.test_request_context():
        value = datetime.now(UTC) - timedelta(hours=3, minutes=5)
        html = render_template_string("{{ when(v) }}", v=value)
        assert ">3 hours ago</time>" in html
        assert f'datetime="{value.strftime("%Y-%m-%dT%H:%M:%SZ")}"' in html
        summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
        html = render_template_string("{{ when(v) }}", v=summer)
        assert 'title="01 Jul 2026, 13:00 BST"' in html


def test_every_avatar_colour_has_its_rule():
    from pathlib import Path

    from forum.templating import AVATAR_HUES

    css = (Path(__file__).resolve().parents[1] / "forum" / "static" / "css" / "forum.css").read_text()
    for n in range(AVATAR_HUES):
        assert f".avatar-hue-{n} {{" in css
