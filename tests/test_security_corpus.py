"""Every line of the shared hostile-input corpora (``shared/security``, next to the
repository) as a topic title and as a post body: nothing executable reaches the page,
no response is a 5xx, and stored text round-trips or is refused with a 4xx.

The whole corpus goes in through the service layer (fast, one page shows it all); a
sample, plus every raw-bytes entry, goes through the HTTP forms as a member would send it.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from forum import markup
from forum.accounts import services as account_services
from forum.extensions import db
from forum.models import Category, Post, Topic, User
from forum.topics import services
from tests.conftest import AuthActions, csrf_token, submission_token_for
from tests.corpus import Entry, form_body, load_corpus
from tests.topics.dom import Node, parse

#: ``<checkout>/../shared/security``
CORPUS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "security"
CORPUS_FILES = ("xss-payloads.txt", "naughty-strings.txt")

#: Elements that may run script, load content or restyle the page: never inside
#: user content, and (except where the layout puts them) nowhere on the page.
NEVER = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "base",
        "noscript",
        "template",
        "xml",
        "xss",
        "isindex",
        "video",
        "audio",
        "source",
        "marquee",
        "bgsound",
        "portal",
    }
)
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:", "jar:")
URL_ATTRS = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "data",
        "background",
        "poster",
        "srcset",
        "xlink:href",
        "lowsrc",
        "dynsrc",
        "codebase",
        "cite",
        "longdesc",
        "usemap",
        "ping",
    }
)
RAW_TAG_RE = re.compile(r"<\s*/?\s*(script|iframe|object|embed|svg|math|frame|applet|base)\b", re.I)
OWN_SCRIPT_RE = re.compile(r'<script src="/static/js/[a-z_]+\.js" defer></script>')
SLOW = 5.0  # seconds: the corpus asks for every response within 5 s


@pytest.fixture(scope="module")
def corpus_files() -> dict[str, list[Entry]]:
    files = {}
    for name in CORPUS_FILES:
        if not (CORPUS_DIR / name).is_file():
            pytest.skip(f"security corpus not found: {CORPUS_DIR / name} (shared/security beside the repository)")
        files[name] = load_corpus(name, CORPUS_DIR)
    return files


@pytest.fixture(scope="module")
def corpus(corpus_files) -> list[Entry]:
    entries = [e for entries in corpus_files.values() for e in entries]
    assert len(entries) > 500, "the corpus looks truncated"
    return entries


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    monkeypatch.setattr(
        account_services, "hash_password", lambda password: generate_password_hash(password, method="pbkdf2:sha256:1")
    )


# --- what "nothing executable" means --------------------------------------------------


def _squash(url: str) -> str:
    """A URL as a browser reads its scheme: entities decoded (the parser did that),
    control characters and whitespace dropped, lower case."""
    return "".join(ch for ch in html.unescape(url) if ch > " " and ch != "\x7f").lower()


def _inside(node: Node, tag: str, cls: str | None = None) -> bool:
    n = node.parent
    while n is not None:
        if n.tag == tag and (cls is None or cls in n.classes):
            return True
        n = n.parent
    return False


def assert_page_safe(resp, what: str) -> Node:
    """Check a rendered page; returns its tree."""
    assert resp.status_code < 500, f"{what}: HTTP {resp.status_code}"
    raw = resp.get_data(as_text=True)
    assert "Traceback" not in raw, what
    # Our own scripts (static, same origin, e.g. the new-topic form's similar-topics helper)
    # are not injected content; any other raw tag is.
    match = RAW_TAG_RE.search(OWN_SCRIPT_RE.sub("", raw))
    assert match is None, f"{what}: raw {match.group(0)!r} in the page"
    doc = parse(raw)
    for node in doc.iter():
        where = f"{what}: <{node.tag} {dict(node.attrs)!r:.200}>"
        if node.tag == "script" and OWN_SCRIPT_RE.fullmatch(f'<script src="{dict(node.attrs).get("src", "")}" defer></script>'):
            continue  # one of our own static scripts (see OWN_SCRIPT_RE)
        assert node.tag not in NEVER, where
        for name, value in node.attrs:
            assert not re.match(r"on\w+", name), where
            assert name not in ("style", "srcdoc", "formaction") or node.tag in ("link",) or (
                # the templates' own buttons (the composer's Preview, the personal-data guard's
                # "send privately"): a same-site path, never inside a post (checked below)
                name == "formaction" and node.tag == "button" and value.startswith("/")
                and not value.startswith("//") and not _inside(node, "div", "post-body")), where
            if name in URL_ATTRS and value:
                assert not _squash(value).startswith(BAD_SCHEMES), where
        # Layout elements that user text could try to smuggle in: only where the
        # templates put them, with the templates' own attributes.
        if node.tag == "style":  # none since the CSP (issue 18): brand colours are /brand.css
            raise AssertionError(where)
        if node.tag == "img":
            src = node.get("src") or ""
            if markup.UPLOAD_SRC_RE.fullmatch(src):  # a member's re-encoded screenshot (issue 17)
                assert _inside(node, "div", "post-body"), where
            elif re.fullmatch(r"/avatars/\d+/[A-Za-z0-9_-]{22}\.webp", src):  # an uploaded avatar
                assert "avatar" in node.classes, where
            else:
                assert src.startswith("/static/"), where
                assert _inside(node, "header"), where
        if node.tag in ("form", "input", "button", "textarea", "select", "label"):
            assert not _inside(node, "div", "post-body"), where
        if node.tag == "form":
            action = node.get("action") or "/"
            assert action.startswith("/"), where
            assert not action.startswith("//"), where
        if node.tag == "meta":
            assert {k for k, _ in node.attrs} <= {"charset", "name", "content"}, where
        if node.tag == "link":
            assert node.get("rel") in ("stylesheet", "icon"), where  # our CSS and favicon
            href = node.get("href", "")
            assert href.startswith("/static/") or href.startswith("/brand.css?v="), where
    for body in doc.find_all("div", cls="post-body"):
        for node in body.iter():
            where = f"{what}: post body <{node.tag} {dict(node.attrs)!r:.200}>"
            assert node.tag in markup.ALLOWED_TAGS, where
            allowed = set(markup.ALLOWED_ATTRIBUTES.get(node.tag, ()))
            assert {name for name, _ in node.attrs} <= allowed, where
            if node.tag == "a" and node.get("href") is not None:
                href = _squash(node.get("href"))
                assert ":" not in href.split("/", 1)[0] or href.startswith(("http:", "https:", "mailto:")), where
                assert node.get("rel") == markup.LINK_REL, where
    for heading in doc.find_all("h1"):
        assert {n.tag for n in heading.iter()} <= {"span"}, f"{what}: markup in <h1>"
    for title in doc.find_all("title") + doc.find_all("a", cls="topic-title"):
        assert not list(title.iter()), f"{what}: markup in a title"
    return doc


def _expect_body_refused(text: str) -> bool:
    body = text.replace("\r\n", "\n")
    return not body.strip() or len(body) > markup.MAX_BODY_LENGTH or "\x00" in body


def _expect_title_refused(text: str) -> bool:
    title = " ".join(text.split())
    return not 5 <= len(title) <= 150 or "\x00" in title


# --- the whole corpus, through the services -------------------------------------------


@pytest.fixture
def setup_ids(app, make_user, make_category):
    author = make_user("corpus")
    cat = make_category()
    return {"author": author["id"], "category": cat["id"], "slug": cat["slug"]}


def test_every_entry_as_a_post_body(app, client, corpus, setup_ids, monkeypatch):
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", len(corpus) + 10)
    posted: dict[int, Entry] = {}
    with app.app_context():
        author = db.session.get(User, setup_ids["author"])
        topic = services.create_topic(
            db.session.get(Category, setup_ids["category"]),
            author=author,
            title="Security corpus",
            body="Bodies below.",
        )
        for entry in corpus:
            try:  # (a refusal happens before anything is added to the session)
                post = services.reply_to_topic(topic, author=author, body=entry.text)
            except services.TopicError:
                assert _expect_body_refused(entry.text), f"refused: {entry}"
                continue
            assert not _expect_body_refused(entry.text), f"accepted: {entry}"
            posted[post.id] = entry
        db.session.commit()
        stored = dict(db.session.execute(select(Post.id, Post.body).where(Post.id.in_(posted))).all())
        path = f"/t/{topic.id}-{topic.slug}"
    for post_id, entry in posted.items():
        assert stored[post_id] == entry.text.replace("\r\n", "\n"), f"round trip: {entry}"
    resp = client.get(path)
    assert resp.status_code == 200
    doc = assert_page_safe(resp, "topic page with every corpus entry as a reply")
    shown = {int(a.id[1:]) for a in doc.find_all("article", cls="post")}
    assert set(posted) <= shown
    assert len(posted) > len(corpus) * 0.9


def test_every_entry_as_a_topic_title(app, client, corpus, setup_ids, monkeypatch):
    monkeypatch.setitem(app.config, "TOPICS_PER_PAGE", len(corpus) + 10)
    accepted: dict[int, Entry] = {}
    with app.app_context():
        author = db.session.get(User, setup_ids["author"])
        category = db.session.get(Category, setup_ids["category"])
        for entry in corpus:
            try:
                topic = services.create_topic(category, author=author, title=entry.text, body="Body")
            except services.TopicError as exc:
                refused_field = exc.field
            else:
                refused_field = None
            assert (refused_field == "title") == _expect_title_refused(entry.text), f"{refused_field}: {entry}"
            if refused_field:
                continue
            accepted[topic.id] = entry
        db.session.commit()
        titles = dict(db.session.execute(select(Topic.id, Topic.title)).all())
        paths = {t.id: f"/t/{t.id}-{t.slug}" for t in db.session.scalars(select(Topic))}
    for tid, entry in accepted.items():
        assert titles[tid] == " ".join(entry.text.split()), f"round trip: {entry}"

    # All the titles on one category page, exactly as typed (whitespace collapsed).
    doc = assert_page_safe(client.get(f"/c/{setup_ids['slug']}"), "category page with every corpus title")
    listed = {int(a.get("href").split("/t/")[1].split("-")[0]): a.text for a in doc.find_all("a", cls="topic-title")}
    assert listed == {tid: titles[tid] for tid in accepted}
    assert_page_safe(client.get("/"), "home page")

    # A sample of topic pages: the title in <title> and <h1>.
    for tid in sorted(accepted)[:: max(1, len(accepted) // 60)]:
        resp = client.get(paths[tid])
        doc = assert_page_safe(resp, f"topic page titled {accepted[tid]}")
        assert doc.one("h1").text == titles[tid]
        assert doc.one("title").text.startswith(titles[tid])


# --- a sample, and every raw-bytes entry, through the forms ---------------------------


def _sample(corpus_files: dict[str, list[Entry]]) -> list[Entry]:
    """Every 8th XSS payload, every 12th naughty string, and every raw-bytes entry."""
    xss, naughty = corpus_files["xss-payloads.txt"], corpus_files["naughty-strings.txt"]
    raw = [e for e in xss + naughty if isinstance(e.value, bytes)]
    return xss[::8] + naughty[::12] + raw


def _post(client, path: str, fields: dict, token: str):
    started = time.perf_counter()
    resp = client.post(
        path, data=form_body({**fields, "csrf_token": token, "submission_token": submission_token_for(client)}),
        content_type="application/x-www-form-urlencoded"
    )
    elapsed = time.perf_counter() - started
    assert elapsed < SLOW, f"{path} took {elapsed:.1f}s"
    return resp


def test_sample_through_the_forms(app, client, corpus_files, setup_ids, monkeypatch):
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", 1000)
    AuthActions(client).login("corpus")
    token = csrf_token(client, "/")
    with app.app_context():
        author = db.session.get(User, setup_ids["author"])
        host = services.create_topic(
            db.session.get(Category, setup_ids["category"]),
            author=author,
            title="Replies from the corpus",
            body="Reply below.",
        )
        db.session.commit()
        host_id = host.id
    new_path = f"/c/{setup_ids['slug']}/new"
    replies: dict[int, Entry] = {}
    for entry in _sample(corpus_files):
        value = entry.value
        text = entry.text

        # As a title and opening post.
        resp = _post(client, new_path, {"title": value, "body": value}, token)
        refused = _expect_title_refused(text) or _expect_body_refused(text)
        if refused:
            assert resp.status_code == 422, f"new topic {entry}: {resp.status_code}"
            assert_page_safe(resp, f"new-topic form redisplaying {entry}")
        else:
            assert resp.status_code == 302, f"new topic {entry}: {resp.status_code}"
            landing = client.get(resp.location)
            doc = assert_page_safe(landing, f"topic from {entry}")
            assert doc.one("h1").text == " ".join(text.split())

        # As a reply; then as the post being answered on the reply form.
        resp = _post(client, f"/t/{host_id}/reply", {"body": value}, token)
        if _expect_body_refused(text):
            assert resp.status_code == 422, f"reply {entry}: {resp.status_code}"
            assert_page_safe(resp, f"reply form redisplaying {entry}")
            continue
        assert resp.status_code == 302, f"reply {entry}: {resp.status_code}"
        post_id = int(resp.location.split("/p/")[1].split("?")[0])
        replies[post_id] = entry
        if len(replies) % 4 == 1:
            assert_page_safe(client.get(f"/t/{host_id}/reply?to={post_id}"), f"reply form quoting {entry}")

    with app.app_context():
        stored = dict(db.session.execute(select(Post.id, Post.body).where(Post.id.in_(replies))).all())
    for post_id, entry in replies.items():
        assert stored[post_id] == entry.text.replace("\r\n", "\n"), f"round trip: {entry}"
    resp = client.get(f"/t/{host_id}")
    doc = assert_page_safe(resp, "topic page with the sampled replies")
    assert len(doc.find_all("article", cls="post")) > 80


def test_the_checker_catches_unsafe_markup():
    """The assertions above are only worth something if they fail on bad pages."""

    class Fake:
        status_code = 200

        def __init__(self, text):
            self.text = text

        def get_data(self, as_text=True):
            return self.text

    wrap = '<html><head><link rel="stylesheet" href="/brand.css?v=1"></head><body><main><h1>T</h1><article class="post"><div class="post-body">{}</div></article></main></body></html>'
    assert_page_safe(Fake(wrap.format('<p><a href="https://x.invalid" rel="nofollow ugc noopener">ok</a></p>')), "good")
    for bad in [
        "<script>alert(1)</script>",
        '<p onclick="x">p</p>',
        '<a href="jav&#x09;ascript:alert(1)" rel="nofollow ugc noopener">x</a>',
        '<a href=" JAVASCRIPT:alert(1)" rel="nofollow ugc noopener">x</a>',
        '<a href="data:text/html,x" rel="nofollow ugc noopener">x</a>',
        "<img src=x>",
        "<style>body{}</style>",
        "<form action=//evil></form>",
        '<iframe src="https://x.invalid"></iframe>',
        '<svg><a xlink:href="javascript:x">x</a></svg>',
        '<a href="https://x.invalid">no rel</a>',
        '<p style="x">p</p>',
        '<span title="x">span is not allowed</span>',
        '<img src="/uploads/../../secret.webp">',
        '<img src="/avatars/1/aaaaaaaaaaaaaaaaaaaaaa.webp">',
        '<button formaction="/composer/preview">in a post</button>',
    ]:
        with pytest.raises(AssertionError):
            assert_page_safe(Fake(wrap.format(bad)), bad)


# --- staff tools: internal notes and saved replies (issue 12) --------------------------


def _expect_note_refused(text: str) -> bool:
    from forum.helpdesk.notes import NOTE_MAX

    body = text.replace("\r\n", "\n")
    return not body.strip() or len(body) > NOTE_MAX or "\x00" in body


def _expect_saved_refused(text: str) -> bool:
    from forum.helpdesk.saved_replies import BODY_MAX, TITLE_MAX

    title, body = " ".join(text.split()), text.replace("\r\n", "\n")
    return not 1 <= len(title) <= TITLE_MAX or not body.strip() or len(body) > BODY_MAX or "\x00" in text


def test_every_entry_as_an_internal_note_and_a_saved_reply(app, corpus, setup_ids, make_user):
    """Staff see notes on the topic page and saved replies on their page and in the
    filled-in reply form: nothing executable, whatever the text."""
    from forum.helpdesk import notes, saved_replies
    from forum.helpdesk.services import HelpdeskError

    staff = make_user("corpus_staff", role="staff")
    noted, saved = {}, {}
    with app.app_context():
        agent = db.session.get(User, staff["id"])
        topic = services.create_topic(db.session.get(Category, setup_ids["category"]),
                                      author=db.session.get(User, setup_ids["author"]), title="Notes corpus", body="Notes below.")
        for entry in corpus:
            try:
                noted[notes.add_note(topic, author=agent, body=entry.text).id] = entry
            except HelpdeskError:
                assert _expect_note_refused(entry.text), f"note refused: {entry}"
            else:
                assert not _expect_note_refused(entry.text), f"note accepted: {entry}"
            try:
                saved[saved_replies.create_saved_reply(actor=agent, title=entry.text, body=entry.text).id] = entry
            except HelpdeskError:
                assert _expect_saved_refused(entry.text), f"saved reply refused: {entry}"
            else:
                assert not _expect_saved_refused(entry.text), f"saved reply accepted: {entry}"
        db.session.commit()
        path, topic_id = f"/t/{topic.id}-{topic.slug}", topic.id
    assert len(noted) > len(corpus) * 0.9
    assert len(saved) > len(corpus) * 0.9
    client = app.test_client()
    assert AuthActions(client).login("corpus_staff").status_code == 302
    with pytest.MonkeyPatch.context() as mp:
        from forum.helpdesk import notes as notes_module

        mp.setattr(notes_module, "NOTES_SHOWN", len(corpus) + 10)
        doc = assert_page_safe(client.get(path), "topic page with every corpus entry as an internal note")
    shown = {int(a.id.split("-")[1]) for a in doc.find_all("article", cls="internal-note")}
    assert set(noted) <= shown
    assert_page_safe(client.get("/staff/saved-replies"), "saved replies page with every corpus entry")
    assert_page_safe(client.get(f"/t/{topic_id}/saved-reply"), "saved-reply picker with every corpus title")
    for reply_id in sorted(saved)[:: max(1, len(saved) // 60)]:
        resp = client.get(f"/t/{topic_id}/saved-reply?reply={reply_id}")
        assert resp.status_code == 200
        assert_page_safe(resp, f"reply form filled from {saved[reply_id]}")
        assert_page_safe(client.get(f"/staff/saved-replies/{reply_id}/edit"), f"saved reply edit form {saved[reply_id]}")


def test_sample_notes_and_saved_replies_through_the_forms(app, client, corpus_files, setup_ids, make_user):
    make_user("corpus_agent", role="staff")
    AuthActions(client).login("corpus_agent")
    token = csrf_token(client, "/")
    with app.app_context():
        topic = services.create_topic(db.session.get(Category, setup_ids["category"]),
                                      author=db.session.get(User, setup_ids["author"]), title="Notes by form", body="Body")
        db.session.commit()
        topic_id = topic.id
    for entry in _sample(corpus_files):
        resp = _post(client, f"/t/{topic_id}/notes", {"body": entry.value}, token)
        if _expect_note_refused(entry.text):
            assert resp.status_code == 422, f"note {entry}: {resp.status_code}"
            assert_page_safe(resp, f"note form redisplaying {entry}")
        else:
            assert resp.status_code == 302, f"note {entry}: {resp.status_code}"
        resp = _post(client, "/staff/saved-replies/new", {"title": entry.value, "body": entry.value}, token)
        if _expect_saved_refused(entry.text):
            assert resp.status_code == 422, f"saved reply {entry}: {resp.status_code}"
            assert_page_safe(resp, f"saved reply form redisplaying {entry}")
        else:
            assert resp.status_code == 302, f"saved reply {entry}: {resp.status_code}"
    assert_page_safe(client.get(f"/t/{topic_id}"), "topic page with the sampled notes")
    assert_page_safe(client.get("/staff/saved-replies"), "saved replies page with the sampled entries")
