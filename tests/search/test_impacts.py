"""The numpy fast path (forum/search/impacts.py) ranks and counts like Whoosh's own
term and phrase matchers: same documents in the same order, same scores and totals, on several segments with
deletions and filters; its decoded postings are kept beside the segment."""

from __future__ import annotations

import os
import random

import pytest
from whoosh import query

from forum.search import impacts
from forum.search.index import COORD, Filters, SearchBackend, _Word, default_synonyms

pytestmark = pytest.mark.whoosh_only

WORDS = ("signal coverage network outage mast roaming bill charge refund data bundle voicemail "
         "handset wifi calling text message broadband contract tariff leeds london glasgow evening").split()

QUERIES = [
    ("signal", {}), ("roaming data", {}), ("bill refund charge", {}), ('"wifi calling"', {}),
    ('"evening signal" london', {}), ("voicemail -data", {}), ("mast outage", {"resolved": True}),
    ("tariff", {"kind": "reply"}), ("contract leeds glasgow text", {}), ("absentword signal", {}),
    ('"text message"', {"category": "help"}), ("coverag", {}),
]


def _docs(rng: random.Random, start: int, n: int) -> list[dict]:
    out = []
    for i in range(start, start + n):
        words = lambda k: " ".join(rng.choice(WORDS) for _ in range(k))  # noqa: E731
        out.append({"id": f"t:{i}", "kind": "topic" if i % 3 else "reply", "topic_id": i, "title": words(4),
                    "body": words(rng.randrange(5, 30)), "answer": words(6) if i % 4 == 0 else None,
                    "category": "help" if i % 2 else "news", "resolved": i % 5 == 0, "official": i % 4 == 0,
                    "replies": 1, "kudos": 0})
    return out


def _reference(searcher, q) -> dict[int, float]:
    """Every match of ``q`` and its score, from Whoosh's own matchers for each term and
    phrase, combined as the query says (OR and AND add, each word adds COORD). Whoosh's
    union matchers are not the reference: over phrases they miss matches (a title
    phrase next to other fields' phrases, say) and their pruning drops documents."""
    if isinstance(q, _Word):
        return {d: v + COORD for d, v in _reference(searcher, q.child).items()}
    if isinstance(q, (query.Term, query.Phrase)):
        out, m = {}, q.matcher(searcher)
        while m.is_active():
            out[m.id()] = m.score()
            m.next()
        return out
    if isinstance(q, query.AndNot):
        neg = _reference(searcher, q.b)
        return {d: v for d, v in _reference(searcher, q.a).items() if d not in neg}
    parts = [_reference(searcher, sub) for sub in q.subqueries]
    keys = set().union(*parts) if isinstance(q, query.Or) else set.intersection(*(set(p) for p in parts))
    return {d: sum(p.get(d, 0.0) for p in parts) for d in keys}


@pytest.mark.parametrize("where", ["memory", "folder"])
def test_the_fast_path_ranks_and_counts_like_whoosh(where, tmp_path, monkeypatch):
    monkeypatch.setattr(impacts, "PERSIST_MIN", 8)
    monkeypatch.setattr(impacts, "_cache", impacts._Cache(impacts.CACHE_BYTES))
    backend = SearchBackend(None if where == "memory" else str(tmp_path / "index"))
    rng = random.Random(3)
    for batch in range(3):  # three commits: several segments
        backend.apply(_docs(rng, batch * 150, 150), [])
    backend.apply([], [f"t:{i}" for i in range(0, 450, 7)])  # deletions
    searcher = backend.searcher()
    assert len(list(searcher.reader().leaf_readers())) > 1
    for text, filters in QUERIES:
        q = backend.parse(text, default_synonyms(), searcher.reader())
        filt = Filters(**filters).as_query()
        allowed, _ = backend._allowed(searcher, filt)
        mask = backend._allowed_mask(searcher, filt, allowed) if allowed is not None else None
        expected = {d: v for d, v in _reference(searcher, q).items() if allowed is None or d in allowed}
        top, total, _sizes = impacts.rank(searcher, q, 20, mask, getattr(searcher, "forum_folder", None))
        want = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
        assert [d for _, d in top] == [d for d, _ in want], (text, filters)
        assert [round(v, 9) for v, _ in top] == [round(v, 9) for _, v in want]
        assert total == len(expected)
        page = backend.search(text, filters=Filters(**filters))
        assert page.hits or not expected
    if where == "folder":
        real_dir = os.path.realpath(backend.path)
        kept = [f for f in os.listdir(real_dir) if ".fp" in f]
        segments = {r.segment().segment_id() for r, _ in searcher.reader().leaf_readers()}
        assert kept
        assert all(f.split(".")[0] in segments for f in kept)
        # A new process reads them back (no decoding) and ranks the same.
        monkeypatch.setattr(impacts, "_cache", impacts._Cache(impacts.CACHE_BYTES))
        again = SearchBackend(backend.path).search("roaming data")
        assert [h.doc_id for h in again.hits] == [h.doc_id for h in backend.search("roaming data").hits]


def test_queries_it_cannot_score_take_whooshs_path(monkeypatch):
    backend = SearchBackend(None)
    backend.apply(_docs(random.Random(1), 0, 40), [])
    searcher = backend.searcher()
    q = backend.parse("roam*", default_synonyms(), searcher.reader())
    assert impacts.rank(searcher, q, 10, None, None) is None
    assert backend.search("roam*").total > 0
