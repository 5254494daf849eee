"""Exact ranking over decoded posting lists, with numpy (the Whoosh backend's fast path).

Whoosh scores a query one posting at a time in Python: on the generated forum every
word is in about a fifth of all documents, so a search cost tens of thousands of
Python steps per word and grew with the index (4.2x from 10k to 50k topics). Here a
term's postings in one segment (document numbers, weights, field lengths and, for
phrases, positions) are decoded once into arrays, kept beside the segment (segments
are immutable; the files share the segment's name, so Whoosh deletes them with it)
and in a small per-process cache; a query is then scored with whole-array
operations over those arrays.

The scores are Whoosh's own, computed the same way: BM25F per field with the
searcher's global statistics (idf, average field length), each term's boost, sums
for OR and AND, a phrase scoring the sum of its words in the documents where it
occurs, and :data:`~forum.search.index.COORD` for each query word a document
matches. The top of the ranking and the counts are the same as Whoosh's (ties broken
by document number, as Whoosh's collector does); queries with parts this module does
not know (prefixes, say) return ``None`` and take Whoosh's path.
"""

from __future__ import annotations

import collections
import hashlib
import os
import threading

import numpy as np
from whoosh import query

#: Decoded postings of a segment's term are written beside the segment from this many
#: postings on (smaller ones are quick to decode again).
PERSIST_MIN = 512
#: Decoded arrays each process keeps in memory (bytes), most recently used first.
CACHE_BYTES = 32 * 1024 * 1024

_POSTING = np.dtype([("d", "<u4"), ("w", "<f8"), ("l", "<f4")])


class _Cache:
    """A small LRU of decoded arrays, bounded by their size in bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self._items: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value: np.ndarray) -> None:
        with self._lock:
            if key in self._items or value.nbytes > self.limit // 4:
                return
            self._items[key] = value
            self.used += value.nbytes
            while self.used > self.limit and self._items:
                _, old = self._items.popitem(last=False)
                self.used -= old.nbytes


_cache = _Cache(CACHE_BYTES)


def _file_name(segid: str, kind: str, field: str, btext: bytes) -> str:
    digest = hashlib.sha1(field.encode() + b"\0" + btext).hexdigest()[:24]  # noqa: S324 - a file name, not security
    return f"{segid}.fp{kind}{digest}"


def _persisted(folder: str | None, name: str):
    if folder is None:
        return None
    try:
        return np.load(os.path.join(folder, name), allow_pickle=False)
    except (OSError, ValueError):
        return None


def _persist(folder: str | None, name: str, array: np.ndarray) -> None:
    if folder is None or len(array) < PERSIST_MIN:
        return
    final = os.path.join(folder, name)
    tmp = f"{final}_{os.getpid()}_{threading.get_ident()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            np.save(fh, array, allow_pickle=False)
        os.replace(tmp, final)
    except OSError:  # a read-only index folder: the process cache still helps
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _decode(reader, field: str, btext: bytes, positions: bool) -> np.ndarray:
    """One pass over a term's postings in one segment (deleted documents left out:
    a segment's deletions only ever grow, and are masked again at query time)."""
    if (field, btext) not in reader:
        return np.zeros(0, dtype=np.int64 if positions else _POSTING)
    m = reader.postings(field, btext)
    if positions:
        keys = []
        while m.is_active():
            d = m.id() << 32
            keys.extend(d | p for p in m.value_as("positions"))
            m.next()
        out = np.array(keys, dtype=np.int64)
        out.sort()
        return out
    dfl = reader.doc_field_length
    rows = []
    while m.is_active():
        d = m.id()
        rows.append((d, m.weight(), dfl(d, field, 1)))
        m.next()
    return np.array(rows, dtype=_POSTING)


def _arrays(reader, folder: str | None, field: str, btext: bytes, positions: bool) -> np.ndarray:
    segid = reader.segment().segment_id()
    kind = "p" if positions else "w"
    key = (folder, segid, kind, field, btext)
    out = _cache.get(key)
    if out is None:
        name = _file_name(segid, kind, field, btext)
        out = _persisted(folder, name)
        if out is None:
            out = _decode(reader, field, btext, positions)
            _persist(folder, name, out)
        _cache.put(key, out)
    return out


def filter_mask(searcher, filt, folder: str | None):
    """The documents a filter of terms (or an AND of terms) allows, as a boolean array
    built from the terms' decoded postings, deleted documents left out; None for any
    other filter (dates: Whoosh builds those)."""
    terms = [filt] if isinstance(filt, query.Term) else list(filt.subqueries) \
        if type(filt) is query.And and all(isinstance(t, query.Term) for t in filt.subqueries) else None
    if not terms:
        return None
    n = searcher.doc_count_all()
    out = None
    for t in terms:
        if t.fieldname not in searcher.schema:
            return None
        btext = t.text if isinstance(t.text, bytes) else searcher.schema[t.fieldname].to_bytes(t.text)
        mask = np.zeros(n, dtype=bool)
        for reader, offset in searcher.reader().leaf_readers():
            rows = _arrays(reader, folder, t.fieldname, btext, False)
            mask[rows["d"].astype(np.int64) + offset] = True
        out = mask if out is None else out & mask
    for reader, offset in searcher.reader().leaf_readers():
        if reader.has_deletions():
            out[np.fromiter(reader.deleted_docs_set, dtype=np.int64) + offset] = False
    return out


class Unsupported(Exception):
    """A part of the query this module does not score: Whoosh's path is used."""


class _Ranker:
    """Scores one query over every segment of one searcher, as dense arrays."""

    def __init__(self, searcher, folder: str | None):
        self.searcher = searcher
        self.folder = folder
        self.n = searcher.doc_count_all()
        self.leaves = list(searcher.reader().leaf_readers())
        weighting = searcher.weighting
        self.B, self.K1 = getattr(weighting, "B", 0.75), getattr(weighting, "K1", 1.2)
        self.field_B = getattr(weighting, "_field_B", {})
        self.schema = searcher.schema

    def _bytes(self, field: str, text) -> bytes:
        return text if isinstance(text, bytes) else self.schema[field].to_bytes(text)

    def term(self, field: str, text, boost: float):
        """Dense (mask, score) of one term, Whoosh's BM25F score times its boost."""
        mask = np.zeros(self.n, dtype=bool)
        score = np.zeros(self.n)
        if field not in self.schema or not self.schema[field].scorable:
            raise Unsupported(field)
        btext = self._bytes(field, text)
        idf = self.searcher.idf(field, btext)
        avgfl = self.searcher.avg_field_length(field) or 1
        B, K1 = self.field_B.get(field, self.B), self.K1
        for reader, offset in self.leaves:
            rows = _arrays(reader, self.folder, field, btext, False)
            if not len(rows):
                continue
            docs = rows["d"].astype(np.int64) + offset
            tf, fl = rows["w"], rows["l"].astype(np.float64)
            s = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
            mask[docs] = True
            score[docs] += s * boost if boost != 1.0 else s
        return mask, score

    def phrase(self, q):
        """Documents where the words follow each other in the field (Whoosh's phrase
        with ``slop=1``), scored as the sum of the words' scores there."""
        if q.slop != 1 or not q.words:
            raise Unsupported("slop")
        field = q.fieldname
        if field not in self.schema or not self.schema[field].format.supports("positions"):
            raise Unsupported(field)
        mask = np.zeros(self.n, dtype=bool)
        btexts = [self._bytes(field, w) for w in q.words]
        for reader, offset in self.leaves:
            if any((field, b) not in reader for b in btexts):
                continue
            cur = _arrays(reader, self.folder, field, btexts[0], True)
            for b in btexts[1:]:
                if not len(cur):
                    break
                keys = _arrays(reader, self.folder, field, b, True)
                cand = cur + 1
                at = np.searchsorted(keys, cand)
                ok = at < len(keys)
                ok[ok] = keys[at[ok]] == cand[ok]
                cur = cand[ok]
            if len(cur):
                mask[np.unique(cur >> 32) + offset] = True
        score = np.zeros(self.n)
        if mask.any():
            for w in q.words:
                _, s = self.term(field, w, 1.0)
                score += s
            score[~mask] = 0.0
            if q.boost != 1.0:
                score *= q.boost
        return mask, score

    def node(self, q):
        from forum.search.index import COORD, _Word

        if isinstance(q, _Word):
            mask, score = self.node(q.child)
            score[mask] += COORD
            return mask, score
        if isinstance(q, query.Term):
            return self.term(q.fieldname, q.text, q.boost)
        if isinstance(q, query.Phrase):
            return self.phrase(q)
        if isinstance(q, query.AndNot):
            mask, score = self.node(q.a)
            neg, _ = self.node(q.b)
            mask &= ~neg
            score[~mask] = 0.0
            return mask, score
        if isinstance(q, (query.Or, query.And)) and type(q) in (query.Or, query.And) and q.boost == 1.0:
            if isinstance(q, query.Or) and (getattr(q, "minmatch", 0) or getattr(q, "scale", None)):
                raise Unsupported("or options")
            subs = list(q.subqueries)
            if not subs:
                return np.zeros(self.n, dtype=bool), np.zeros(self.n)
            mask, score = self.node(subs[0])
            for sub in subs[1:]:
                m, s = self.node(sub)
                if isinstance(q, query.Or):
                    mask |= m
                    score += s
                else:
                    mask &= m
                    score += s
            if isinstance(q, query.And):
                score[~mask] = 0.0
            return mask, score
        raise Unsupported(type(q).__name__)

    def live(self):
        """Documents not deleted (None: no deletions)."""
        out = None
        for reader, offset in self.leaves:
            if reader.has_deletions():
                if out is None:
                    out = np.ones(self.n, dtype=bool)
                dead = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
                out[dead + offset] = False
        return out


@np.errstate(divide="ignore", invalid="ignore")
def rank(searcher, q, limit: int, allowed: np.ndarray | None, folder: str | None):
    """The top ``limit`` of query ``q`` as Whoosh would rank them, as ``(top_n, total,
    slot_sizes)``: ``(score, docnum)`` best first (ties: lower document number first),
    the number of matches within ``allowed`` (a boolean array, or None for every
    document), and for each top-level slot of ``q`` (the subqueries of an OR, else
    ``q``) its number of matches over the whole index. None when ``q`` has a part
    only Whoosh can score."""
    ranker = _Ranker(searcher, folder)
    slots = list(q.subqueries) if isinstance(q, query.Or) and type(q) is query.Or else [q]
    try:
        if len(slots) > 1:
            parts = [ranker.node(s) for s in slots]
            if q.boost != 1.0 or getattr(q, "minmatch", 0) or getattr(q, "scale", None):
                return None
            mask = np.logical_or.reduce([m for m, _ in parts])
            score = np.add.reduce([s for _, s in parts])
        else:
            parts = None
            mask, score = ranker.node(q)
    except Unsupported:
        return None
    live = ranker.live()
    if live is not None:
        mask &= live
    sizes = [int(np.count_nonzero(m & live if live is not None else m)) for m, _ in parts] if parts \
        else [int(np.count_nonzero(mask))]
    if allowed is not None:
        mask &= allowed
    docs = np.flatnonzero(mask)
    total = len(docs)
    if not total:
        return [], 0, sizes
    values = score[docs]
    if total > limit:
        cut = np.partition(values, total - limit)[total - limit]
        keep = values >= cut
        docs, values = docs[keep], values[keep]
    order = np.lexsort((docs, -values))[:limit]
    top = [(float(values[i]), int(docs[i])) for i in order]
    return top, total, sizes
