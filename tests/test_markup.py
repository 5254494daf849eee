"""Markdown rendering: CommonMark in, allowlisted HTML out."""

from __future__ import annotations

import pytest

from forum import markup
from forum.markup import BodyTooLong, render_markdown, sanitize_html
from tests.topics.dom import parse

REL = "nofollow ugc noopener"


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides the suite-wide table wipe: these are pure functions, so they need no
    database and run once rather than once per backend."""
    return


def _links(html):
    return [(a.get("href"), a.get("rel"), a.text) for a in parse(html).find_all("a")]


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("Hello *world*", "<p>Hello <em>world</em></p>\n"),
        ("**bold** and __bold__", "<p><strong>bold</strong> and <strong>bold</strong></p>\n"),
        ("a\nb", "<p>a\nb</p>\n"),
        ("a  \nb", "<p>a<br>\nb</p>\n"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"),
        ("3. three\n4. four", '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>\n'),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>\n"),
        ("`x < y && z`", "<p><code>x &lt; y &amp;&amp; z</code></p>\n"),
        ("```\nif a < b:\n    print('&amp;')\n```", "<pre><code>if a &lt; b:\n    print('&amp;amp;')\n</code></pre>\n"),
        ("    indented <code>", "<pre><code>indented &lt;code&gt;\n</code></pre>\n"),
        ("~~gone~~", "<p><s>gone</s></p>\n"),
        ("---", "<hr>\n"),
        ("| a | b |\n|:--|--:|\n| 1 | 2 |", None),
        ("5 > 3 & 2 < 4", "<p>5 &gt; 3 &amp; 2 &lt; 4</p>\n"),
        ("&copy; &#169; &amp;", "<p>© © &amp;</p>\n"),
        ("\\*not emphasis\\*", "<p>*not emphasis*</p>\n"),
    ],
    ids=[
        "em",
        "strong",
        "softbreak",
        "hardbreak",
        "ul",
        "ol-start",
        "quote",
        "code-span",
        "fenced",
        "indented",
        "strike",
        "hr",
        "table",
        "escaping",
        "entities",
        "backslash",
    ],
)
def test_commonmark(source, html):
    out = render_markdown(source)
    if html is not None:
        assert out == html
    else:
        doc = parse(out)
        assert [th.text for th in doc.find_all("th")] == ["a", "b"]
        assert [th.get("align") for th in doc.find_all("th")] == ["left", "right"]
        assert [td.text for td in doc.find_all("td")] == ["1", "2"]


def test_code_is_escaped_once():
    """A code block shows exactly what was typed (it used to show "&amp;lt;")."""
    doc = parse(render_markdown("```\n<script>alert('x')</script> & more\n```"))
    assert doc.one("code").text == "<script>alert('x')</script> & more\n"
    assert parse(render_markdown("Use `<br>` tags")).one("code").text == "<br>"


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<b onmouseover=alert(1)>hi</b>",
        '<a href="javascript:alert(1)">x</a>',
        "<img src=x onerror=alert(1)>",
        "<iframe src=//xss.invalid></iframe>",
        "<div>\n<script>alert(1)</script>\n</div>",
        "<!-- comment --><style>body{}</style>",
        "<svg onload=alert(1)>",
    ],
)
def test_raw_html_is_shown_as_text(source):
    out = render_markdown(source)
    doc = parse(out)
    tags = {n.tag for n in doc.iter()}
    assert tags <= {"p"}, out
    assert doc.text.strip() == source.strip(), "the member sees exactly what they typed"


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("[site](https://example.com/a?b=1&c=2)", "https://example.com/a?b=1&c=2"),
        ("[site](http://example.com)", "http://example.com"),
        ("[SITE](HTTPS://EXAMPLE.COM)", "HTTPS://EXAMPLE.COM"),
        ("[mail](mailto:care@example.com)", "mailto:care@example.com"),
        ("<https://example.com/auto>", "https://example.com/auto"),
        ("see www.example.com today", "http://www.example.com"),
        ("see https://example.com/bare today", "https://example.com/bare"),
        ("[rel](/c/network)", "/c/network"),
        ("[anchor](#p12)", "#p12"),
        ("[proto-relative](//example.com/x)", "//example.com/x"),
    ],
)
def test_links_get_rel(source, href):
    [(got_href, rel, _text)] = _links(render_markdown(source))
    assert got_href == href
    assert rel == REL


def test_link_title_is_kept_and_escaped():
    doc = parse(render_markdown('[x](https://example.com "Say \\"hi\\" <b>")'))
    assert doc.one("a").get("title") == 'Say "hi" <b>'


def test_urls_in_code_are_not_linked():
    assert _links(render_markdown("`https://example.com`")) == []
    assert _links(render_markdown("```\nwww.example.com\n```")) == []


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](  javascript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](DATA:text/html,<script>alert(1)</script>)",
        "[x](file:///etc/passwd)",
        "[x](ftp://example.com/)",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
        "<javascript:alert(1)>",
        "[x](java\tscript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](javascript&colon;alert(1))",
    ],
)
def test_unsafe_links_are_dropped(source):
    out = render_markdown(source)
    for href, _rel, _text in _links(out):
        squashed = "".join(ch for ch in (href or "").lower() if ch.isalnum() or ch == ":")
        assert not squashed.startswith(("javascript:", "vbscript:", "data:", "file:", "ftp:")), out
    assert parse(out).text.strip(), "the text is still shown"


def test_dropped_link_keeps_its_text_without_an_empty_anchor():
    assert render_markdown("[click me](ftp://example.com)") == "<p>click me</p>\n"


def test_images_are_not_rendered():
    out = render_markdown("![logo](https://xss.invalid/logo.png)")
    assert "<img" not in out
    assert [(h, r) for h, r, _ in _links(out)] == [("https://xss.invalid/logo.png", REL)]


@pytest.mark.parametrize(
    ("source", "tag"),
    [
        ("# One", "h3"),
        ("## Two", "h4"),
        ("### Three", "h5"),
        ("#### Four", "h6"),
        ("##### Five", "h6"),
        ("###### Six", "h6"),
        ("Setext\n===", "h3"),
        ("Setext\n---", "h4"),
    ],
)
def test_headings_are_shifted_below_the_page_headings(source, tag):
    doc = parse(render_markdown(source))
    [heading] = list(doc.iter())
    assert heading.tag == tag


def test_body_length_limit_is_checked_before_rendering(monkeypatch):
    assert render_markdown("x" * markup.MAX_BODY_LENGTH) == "<p>" + "x" * markup.MAX_BODY_LENGTH + "</p>\n"
    calls = []
    monkeypatch.setattr(markup._md, "render", lambda src: calls.append(src) or "")
    with pytest.raises(BodyTooLong):
        render_markdown("x" * (markup.MAX_BODY_LENGTH + 1))
    with pytest.raises(BodyTooLong):
        render_markdown("ok", max_length=1)
    assert calls == [], "the parser never saw the over-long text"
    assert markup.MAX_BODY_LENGTH == 20_000


def test_nul_is_replaced_in_output():
    assert render_markdown("a\x00b") == "<p>a\ufffdb</p>\n"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<p onclick="x()">hi</p>', "<p>hi</p>"),
        ("<script>alert(1)</script>", "alert(1)"),
        ('<a href="javascript:alert(1)">x</a>', "x"),
        (
            '<a href="https://example.com" target="_blank" rel="opener">x</a>',
            f'<a href="https://example.com" rel="{REL}">x</a>',
        ),
        ("<h1>Big</h1><h3>ok</h3>", "Big<h3>ok</h3>"),
        ("<table><tr><td style='x'>1</td></tr></table>", "<table><tbody><tr><td>1</td></tr></tbody></table>"),
        ("<!-- hidden --><em>x</em>", "<em>x</em>"),
    ],
)
def test_sanitize_html_allowlist(html, expected):
    assert sanitize_html(html) == expected


# -- the entity stand-ins of sanitize_html: a pure speed-up, the same output ----------

_BOMB_UNITS = ["&", "<", ">", '"', "&#", "&#x", "</", "<a", "[](", "&amp;", "x.com/&lt;", "www.a.com&b"]


def _hostile_sources() -> list[str]:
    from tests.corpus import load_corpus

    sources = [e.value for name in ("xss-payloads.txt", "naughty-strings.txt") for e in load_corpus(name)]
    sources = [s for s in sources if isinstance(s, str)]
    sources += [unit * (2_000 // len(unit)) for unit in _BOMB_UNITS]
    sources += ["see http://x.com/?a=1&b=2 and x.com/<b> or \"www.y.org\">", 'a "quote" & <tag> `c&d`']
    return sources


def test_entity_standins_change_nothing_on_the_hostile_corpora():
    """The fast path (entities of text folded to private-use characters for bleach) gives
    byte for byte what bleach gives on the raw HTML, for rendered Markdown and for the
    payloads handed to the sanitiser as HTML directly."""
    different = []
    for source in _hostile_sources():
        for html in (markup._md.render(source), source):
            if sanitize_html(html) != markup._cleaner.clean(html):
                different.append(source[:60])
    assert different == []


def test_input_holding_a_standin_character_takes_the_plain_path():
    text = "a \ue000 b & c \ue001 <d>"
    assert sanitize_html(markup._md.render(text)) == "<p>a \ue000 b &amp; c \ue001 &lt;d&gt;</p>\n"


def test_a_run_of_entities_comes_back_whole():
    """20,000 "&" were 20,000 html5lib tokens (about half a second: bench/sanitise.py);
    folded they are one, and every entity is restored."""
    html = markup._md.render("&" * markup.MAX_BODY_LENGTH)
    assert sanitize_html(html) == "<p>" + "&amp;" * markup.MAX_BODY_LENGTH + "</p>\n"


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass
else:
    _ALPHABET = st.sampled_from(list("&<>\"'()[]:/.#\n`*| ax") + ["http://", "www.", ".com", "&amp;", "&lt;", "<a href=\"", "<p>"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(_ALPHABET, max_size=40).map("".join))
    def test_entity_standins_agree_with_plain_bleach(text):
        for html in (markup._md.render(text), text):
            assert sanitize_html(html) == markup._cleaner.clean(html)
