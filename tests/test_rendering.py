"""forum/rendering.py: the templates' url_for gives exactly Flask's URLs, and the pages
that use it still link where they did."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forum.rendering import RenderedOnce, UrlPatterns

ODD_TEXT = ["plain", "a b", "ü/ä?&=#%", "x+y", "@user", "%41", "semi;colon", "", "😀", "a\u00a0b"]


def _values_for(rule, text: str, number: int) -> dict:
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if hasattr(converter, "items"):  # <any(...)>: one of its words
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = number if hasattr(converter, "num_convert") else text
    return values


def _both(app, endpoint: str, values: dict) -> tuple[str, str, str]:
    fast = UrlPatterns(app)
    with app.test_request_context("/"):
        first = fast(endpoint, **values)  # builds the pattern
        second = fast(endpoint, **values)  # fills it in
        slow = app.url_for(endpoint, **values)
    return first, second, slow


def test_every_route_builds_the_same_url(app):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for text in ODD_TEXT:
            for query in ({}, {"next": f"/t/1?q={text}&x=1"}, {"page": 3, "to": 17}, {"status": None, "label": text}):
                values = {**_values_for(rule, text, 42), **query}
                first, second, slow = _both(app, rule.endpoint, values)
                assert first == second == slow, (rule.rule, values)
                checked += 1
    assert checked > 500


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slug=st.text(max_size=20), nxt=st.text(max_size=30), number=st.integers(min_value=1, max_value=2**31 - 1))
def test_any_text_and_number_encode_as_werkzeug_does(app, slug, nxt, number):
    for endpoint, values in (
        ("topics.view_category", {"slug": slug or "x", "status": nxt or None}),
        ("topics.view_topic", {"topic_id": number, "slug": slug or "x", "page": number}),
        ("accounts.login", {"next": nxt}),
        ("topics.reply", {"topic_id": number, "to": number}),
    ):
        first, second, slow = _both(app, endpoint, values)
        assert first == second == slow


def test_unusual_calls_go_through_flask(app):
    fast = UrlPatterns(app)
    with app.test_request_context("/"):
        assert fast("topics.view_topic", topic_id=5, _anchor="post-9") == "/t/5#post-9"
        assert fast("topics.view_topic", topic_id=5, _external=True) == "http://localhost/t/5"
        assert fast("topics.view_category", slug="a", flag=True) == app.url_for("topics.view_category", slug="a", flag=True)
        # A number given as text to an <id:...> part is checked by Werkzeug, as before.
        assert fast("topics.view_topic", topic_id="5") == "/t/5"


def test_url_under_a_script_root_keeps_its_prefix(app):
    fast = UrlPatterns(app)
    for root in ("/forum", ""):
        with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": root}):
            assert fast("topics.view_topic", topic_id=7, slug="s") == app.url_for("topics.view_topic", topic_id=7, slug="s")
            assert fast("topics.view_topic", topic_id=7, slug="s").startswith(f"{root}/t/7")


def test_rendered_once_gives_the_field_html_each_time(app):
    from forum.forms import EmptyForm

    with app.test_request_context("/"):
        form = EmptyForm()
        once = RenderedOnce(form)
        html = once.csrf_token
        assert html == form.csrf_token()
        assert 'name="csrf_token"' in html
        assert once.csrf_token is html


@pytest.mark.parametrize("setting", ["off", "folder"])
def test_bytecode_cache_setting(tmp_path, setting):
    from forum import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "JINJA_BYTECODE_CACHE": "off" if setting == "off" else str(tmp_path / "bc")})
    if setting == "off":
        assert app.jinja_env.bytecode_cache is None
    else:
        with app.test_request_context("/"):
            app.jinja_env.get_template("errors/error.html")
        assert list((tmp_path / "bc").iterdir()), "compiled template stored"
