"""The reader for shared/security/*.txt in tests/corpus.py."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from tests.corpus import SECURITY_DIR, CorpusFormatError, form_body, load_corpus, parse_corpus

SAMPLE = """# comment line
#@ category: first
#@ source: somewhere (MIT)
<script>alert(1)</script>

b64:IyBub3QgYSBjb21tZW50CmxpbmUgdHdvAA==
#@ category: second
gen:repeat:ab:3
gen:repeat:a:b:2
gen:nested:[:]:2
bytes:%ff%00ok
  edge spaces are literal here\r
"""


def test_parse_sample():
    entries = parse_corpus(SAMPLE)
    assert [e.value for e in entries] == [
        "<script>alert(1)</script>",
        "# not a comment\nline two\x00",
        "ababab",
        "a:ba:b",
        "[[x]]",
        b"\xff\x00ok",
        "  edge spaces are literal here",
    ]
    assert [e.category for e in entries] == ["first", "first", "second", "second", "second", "second", "second"]
    assert entries[0].source == "somewhere (MIT)"
    assert entries[0].line == 4
    assert entries[5].text == "\ufffd\x00ok"


@pytest.mark.parametrize("line", ["b64:not base64!", "gen:repeat:x", "gen:nested:a:b:many"])
def test_malformed_entries_are_reported(line):
    with pytest.raises(CorpusFormatError, match="line 1"):
        parse_corpus(line)


def test_form_body_sends_bytes_untouched():
    body = form_body({"username": b"\xff<", "email": "zoë@example.com"})
    assert body == b"username=%FF%3C&email=zo%C3%AB%40example.com"
    assert parse_qs(body.decode(), encoding="utf-8")["email"] == ["zoë@example.com"]


def test_missing_corpus_skips(tmp_path):
    with pytest.raises(pytest.skip.Exception, match="not found"):
        load_corpus("xss-payloads.txt", tmp_path)


def test_shared_corpus_location():
    # The corpora live in <repo>/../shared/security, found from this file too.
    from pathlib import Path

    assert Path(__file__).resolve().parents[2].parent / "shared" / "security" == SECURITY_DIR
