"""Markdown to safe HTML. The only module that imports bleach or markdown-it.

Post bodies are CommonMark with raw HTML switched off; the result goes through a
bleach allowlist anyway, so a parser bug cannot open an XSS hole. Links get
``rel="nofollow ugc noopener"``. Callers cap the input length first
(:data:`MAX_BODY_LENGTH`); :func:`render_markdown` refuses longer input itself.
"""

import html as _html
import re
from functools import partial

import bleach
from bleach import linkifier
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_BODY_LENGTH = 20_000

# fmt: off
ALLOWED_TAGS = frozenset(
    {
        "a", "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr",
        "th", "td", "img",
    }
)
# fmt: on
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "ol": ["start"], "th": ["align"], "td": ["align"],
                      "img": ["src", "alt"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

# Headings h1/h2 would compete with the page's own; shift them down to h3/h4.
_HEADING_SHIFT = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
# Images: only the forum's own re-encoded uploads (forum.composer), never a third
# party's (which would load into every reader's browser); any other image is a link.
#: The one image address a post may show: ``/uploads/<random key>.webp``.
UPLOAD_SRC_RE = re.compile(r"/uploads/[A-Za-z0-9_-]{22}\.webp")


def _image(renderer, tokens, idx, options, env):
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    if UPLOAD_SRC_RE.fullmatch(src):
        return f'<img src="{_html.escape(src)}" alt="{_html.escape(alt)}">'
    return f'<a href="{_html.escape(src)}">{_html.escape(alt or src)}</a>'


_md.add_render_rule("image", _image)


def _img_attribute(tag: str, name: str, value: str) -> bool:
    """The sanitiser's rule for ``<img>``: an upload's address and alt text, nothing else."""
    return name == "alt" or (name == "src" and UPLOAD_SRC_RE.fullmatch(value) is not None)

#: Longest run of "[" that can all open links; beyond it the first ones are plain text.
BRACKET_RUN_MAX = 32


def _plain_brackets(state, silent):
    """A "[" that cannot open a link is text, without markdown-it's link-label scan (a
    scan per "[" to the end of the paragraph: 20,000 "[" took about half a second, now
    under a tenth):

    * a "[" with no "]" after it in the paragraph can never close a label;
    * in a run of more than :data:`BRACKET_RUN_MAX` "[", only the last ones may open
      links (a label nested deeper than that is shown as text).

    The output is the same as markdown-it's for any other input."""
    src, pos = state.src, state.pos
    if src[pos] != "[":
        return False
    cache = state.env.setdefault("_forum_last_close", {})
    last_close = cache.get(id(src))
    if last_close is None or last_close[0] is not src:
        last_close = (src, src.rfind("]"))
        cache[id(src)] = last_close
    if last_close[1] < pos:
        if not silent:
            state.pending += "["
        state.pos += 1
        return True
    end = pos
    limit = min(state.posMax, pos + BRACKET_RUN_MAX + 1)
    while end < limit and src[end] == "[":
        end += 1
    if end - pos <= BRACKET_RUN_MAX:
        return False
    run_end = end
    while run_end < state.posMax and src[run_end] == "[":
        run_end += 1
    skip = run_end - pos - BRACKET_RUN_MAX
    if not silent:
        state.pending += "[" * skip
    state.pos += skip
    return True


_md.inline.ruler.before("link", "forum_plain_brackets", _plain_brackets)


def _shift_headings(renderer, tokens, idx, options, env):
    token = tokens[idx]
    token.tag = _HEADING_SHIFT.get(token.tag, token.tag)
    return renderer.renderToken(tokens, idx, options, env)


_md.add_render_rule("heading_open", _shift_headings)
_md.add_render_rule("heading_close", _shift_headings)

_ALIGNMENTS = {"text-align:left": "left", "text-align:right": "right", "text-align:center": "center"}


def _align_cell(renderer, tokens, idx, options, env):
    """Table alignment as the allowlisted ``align`` attribute: markdown-it writes a
    ``style``, which the sanitiser (rightly) removes."""
    token = tokens[idx]
    style = token.attrs.pop("style", None)
    if style in _ALIGNMENTS:
        token.attrs["align"] = _ALIGNMENTS[style]
    return renderer.renderToken(tokens, idx, options, env)


_md.add_render_rule("th_open", _align_cell)
_md.add_render_rule("td_open", _align_cell)


def _set_rel(attrs, new=False):
    """Every link a member wrote gets ``rel``; an anchor whose ``href`` the sanitiser
    dropped (an unsafe scheme) is unwrapped to its text."""
    if not attrs.get((None, "href")):
        return None
    attrs[(None, "rel")] = LINK_REL
    return attrs


#: The only entities markdown-it writes (it escapes these four characters and decodes
#: every other reference). bleach's tokenizer makes each entity of a text a token of its own, so
#: a body of 20,000 "&" or "<" was 20,000 tokens through html5lib (half a second). The
#: sanitiser sees each entity of text as one private-use character instead (one text token for
#: the run) and the entity is put back afterwards: the output is the same, byte for byte
#: (tests/test_markup.py compares both paths on the hostile corpora). Input that already
#: holds one of these characters takes the plain path.
_ENTITY_STANDINS = {"&amp;": "\ue000", "&lt;": "\ue001", "&gt;": "\ue002", "&quot;": "\ue003"}
_STOPS_URL = ("&lt;", "&gt;", "&quot;")
_ENTITY_RE = re.compile("|".join(_ENTITY_STANDINS))
_STANDIN_RE = re.compile("[" + "".join(_ENTITY_STANDINS.values()) + "]")
_TEXT_RE = re.compile(r"(?:^|(?<=>))[^<]+")
_STANDIN_ENTITY = {v: k for k, v in _ENTITY_STANDINS.items()}


def _linear_url_re() -> re.Pattern:
    """bleach's URL pattern, made linear on runs of "(". It starts with ``\\(*``, so
    ``finditer`` retried it at every "(" of a run, each try scanning the rest of the
    run: 20,000 "(" took seconds. Starting only where a run of "(" starts finds the
    same links (the longer start is tried first anyway, and bleach strips the
    wrapping parentheses) in linear time."""
    base = linkifier.URL_RE
    assert base.pattern.startswith(r"\(*")  # noqa: S101 - fails loudly if bleach changes the pattern
    unsafe = r'`<>"]*)?'
    assert unsafe in base.pattern  # noqa: S101 - the path's excluded characters, see _ENTITY_STANDINS
    # A URL's path stops at "<", ">" and '"'; it stops at their stand-ins as well.
    pattern = base.pattern.replace(unsafe, r'`<>"' + "".join(_ENTITY_STANDINS[e] for e in _STOPS_URL) + "]*)?")
    return re.compile(r"(?<!\()" + pattern, base.flags)


URL_RE = _linear_url_re()

# Linkify as a filter of the cleaner, in the same html5lib pass: a second pass with
# bleach's Linker re-escaped the text inside its skip_tags, so code blocks showed
# "&amp;lt;" instead of "<".
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes={**ALLOWED_ATTRIBUTES, "img": _img_attribute},
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False,
                     url_re=URL_RE)],
)


class BodyTooLong(ValueError):
    pass


def sanitize_html(html: str) -> str:
    """Clean HTML against the allowlist and mark up links. The single sanitiser."""
    if _STANDIN_RE.search(html):
        return _cleaner.clean(html)
    return _unfold_entities(_cleaner.clean(_fold_entities(html)))


def _fold_entities(html: str) -> str:
    """Stand-ins for the entities of text between tags (attribute values keep theirs)."""
    return _TEXT_RE.sub(lambda t: _ENTITY_RE.sub(lambda m: _ENTITY_STANDINS[m.group()], t.group()), html)


def _unfold_entities(html: str) -> str:
    return _STANDIN_RE.sub(lambda m: _STANDIN_ENTITY[m.group()], html)


def render_markdown(source: str, *, max_length: int = MAX_BODY_LENGTH) -> str:
    """Render Markdown source to sanitised HTML (a plain ``str`` to store)."""
    if len(source) > max_length:
        raise BodyTooLong(f"text is longer than {max_length} characters")
    return sanitize_html(_md.render(source))


def plain_text(html: str) -> str:
    """The words of sanitised HTML, as a reader sees them (no tags, no Markdown marks,
    entities decoded): for search snippets, which escape and highlight it again."""
    text = bleach.clean(html.replace("<", " <"), tags=set(), strip=True)
    return " ".join(_html.unescape(text).split())


def stored_html(html: str) -> Markup:
    """Mark HTML that :func:`render_markdown` produced and the database kept as safe."""
    return Markup(html)  # noqa: S704 - only ever given render_markdown() output
