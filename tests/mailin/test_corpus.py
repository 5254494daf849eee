"""The shared hostile-input corpora (shared/security/) as reply mails: in a text part
and as HTML-only mail, every entry ends up sanitised on the topic page (or is refused
with a bounce), and nothing crashes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.mailin import parsing, services, tokens
from forum.models import InboundMail, Topic
from tests.corpus import load_corpus
from tests.mailin.conftest import build_mail, reply_address
from tests.test_security_corpus import CORPUS_DIR, CORPUS_FILES, assert_page_safe


@pytest.fixture(scope="module")
def entries():
    found = []
    for name in CORPUS_FILES:
        if not (CORPUS_DIR / name).is_file():
            pytest.skip(f"security corpus not found: {CORPUS_DIR / name}")
        found += load_corpus(name, CORPUS_DIR)
    assert len(found) > 500, "the corpus looks truncated"
    return found


def _mail(address: str, text: str, *, as_html: bool) -> bytes:
    text = text.replace("\x00", "")  # a NUL cannot travel in a mail's text part
    if as_html:
        return build_mail(address, None, html=text or " ")
    return build_mail(address, text or " ")


def test_every_corpus_entry_goes_through_the_reply_parsing(entries):
    """All of it through the stripping and the HTML conversion (quick); a sample through
    the whole path below."""
    for entry in entries:
        assert isinstance(parsing.strip_reply(entry.text), str), entry
        assert isinstance(parsing.strip_reply(parsing.html_to_text(entry.text.replace("\x00", "") or " ")), str), entry


def _sample(entries, step: int):
    raw = [e for e in entries if isinstance(e.value, bytes)]
    return entries[::step] + raw


@pytest.mark.parametrize(("as_html", "step"), [(False, 12), (True, 25)], ids=["text", "html"])
def test_corpus_entries_as_reply_mails_are_sanitised_on_the_topic_page(app, client, forum_setup, entries,
                                                                       monkeypatch, as_html, step):
    sample = _sample(entries, step)
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", len(sample) + 10)
    monkeypatch.setitem(app.config, "PERSONAL_DATA_CHECKS", [])  # here only the markup matters
    address = reply_address(app, forum_setup["member"]["id"], tokens.TOPIC, forum_setup["topic_id"])
    statuses = {}
    with app.app_context():
        for entry in sample:
            outcome = services.receive(_mail(address, entry.text, as_html=as_html))
            assert outcome.status in (services.POSTED, services.REFUSED), f"{outcome}: {entry}"
            if outcome.status == services.REFUSED:
                assert outcome.reason in ("empty", "too_long", "refused"), f"{outcome}: {entry}"
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        topic = db.session.get(Topic, forum_setup["topic_id"])
        path = f"/t/{topic.id}-{topic.slug}"
        assert len(db.session.scalars(select(InboundMail.id)).all()) == len(sample)
    assert statuses.get(services.POSTED, 0) > len(sample) // 2, statuses
    resp = client.get(path)
    assert resp.status_code == 200
    assert_page_safe(resp, f"topic page with corpus entries as reply mails ({'html' if as_html else 'text'})")
