"""The Whoosh backend (with :mod:`forum.search.impacts`, which scores its ranked
queries with numpy, the only modules that import ``whoosh``).

A small interface the rest of the forum uses: :meth:`SearchBackend.apply` (index and
delete in one writer), :meth:`~SearchBackend.search`, :meth:`~SearchBackend.suggest`,
:meth:`~SearchBackend.rebuild` and :meth:`~SearchBackend.signatures` (for ``check``).

Readers keep one searcher per process and reopen it only when the index's latest
generation (or the folder it lives in, after a rebuild) differs from the one in hand.
``Searcher.refresh()`` is never used: in every Whoosh fork it keeps segments that a
merge removed (duplicate hits, deleted documents still visible).
"""

from __future__ import annotations

import collections
import functools
import math
import os
import re
import shutil
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from whoosh import collectors, fields, highlight, index, query, scoring
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.idsets import BitSet
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.util.filelock import try_for
from whoosh.writing import SegmentWriter

from forum.search import impacts, vocabulary

#: Title matches outrank body matches; answers count a little more than the body.
TITLE_BOOST = 3.0
ANSWER_BOOST = 1.5
#: Fields a plain query searches, in the parser's default order.
SEARCH_FIELDS = ("title", "body", "answer")
#: Each word of the query a document matches adds this much before the BM25F score,
#: so documents matching all words come first, then those matching most.
COORD = 10_000.0
#: A synonym scores this fraction of the word typed; a typo correction less.
SYNONYM_WEIGHT = 0.7
FUZZY_WEIGHT = 0.3
#: Relevance is compared in steps of 5%: within one step (a tie), resolved topics and
#: official answers come first, then the exact score, then recent activity.
TIE_STEP = math.log(1.05)
RESOLVED_TIE, OFFICIAL_TIE = 0.6, 0.3
#: A word is "rare" (typo tolerance applies) below this many documents.
FUZZY_RARE_DOCS = 3
#: Up to about this many matches, counts are exact; beyond, the page says "about N".
EXACT_COUNT_MAX = 3000
#: Filters (resolved, board, type, dates) whose documents each searcher keeps.
FILTER_CACHE = 64
#: "Did you mean" only proposes words found in at least this many documents.
SUGGEST_MIN_DOCS = 3


class SearchUnavailable(Exception):
    """The index is missing, locked too long or unreadable: search is degraded.

    ``str(exc)`` is safe to show anyone (no server paths); ``detail`` is for the log."""

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.detail = detail or message


class BadQuery(Exception):
    """The query could not be understood; the message says what to change."""


class NormaliseFilter(Filter):
    """Case, accents, apostrophes, UK/US spellings and compounds (see
    :func:`forum.search.vocabulary.normalise_word`). When indexing, a hyphenated word
    also yields its parts, and the joined form sits at the last part's position, so
    "Wi-Fi Calling" matches "wifi calling", "wi fi calling" and the phrase of either."""

    def __init__(self, parts: bool = True):
        self.parts = parts

    def __call__(self, tokens):
        pos = 0
        for t in tokens:
            forms = vocabulary.normalise_word(t.text)
            if not forms:
                continue
            if len(forms) == 1 or not self.parts or t.mode == "query":
                t.text = forms[0]
                if t.positions:
                    t.pos = pos
                pos += 1
                yield t
                continue
            joined, parts = forms[0], forms[1:]
            for i, part in enumerate(parts):
                t.text = part
                if t.positions:
                    t.pos = pos + i
                yield t
            t.text = joined
            if t.positions:
                t.pos = pos + len(parts) - 1
            pos += len(parts)
            yield t


def text_analyzer():
    """Porter stemming after normalisation: "roaming" -> "roam", "Wi-Fi" -> "wifi"."""
    return RegexTokenizer(vocabulary.WORD_PATTERN) | LowercaseFilter() | StopFilter() | NormaliseFilter() | StemFilter()


def _schema() -> fields.Schema:
    stem = text_analyzer()
    #: Whole words, normalised but not stemmed: what "Did you mean" may propose.
    plain = RegexTokenizer(vocabulary.WORD_PATTERN) | NormaliseFilter(parts=False)
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        kind=fields.ID(stored=True),
        topic_id=fields.NUMERIC(stored=True),
        post_id=fields.NUMERIC(stored=True),
        title=fields.TEXT(analyzer=stem, field_boost=TITLE_BOOST),
        body=fields.TEXT(analyzer=stem),
        answer=fields.TEXT(analyzer=stem, field_boost=ANSWER_BOOST),
        #: Unstemmed words of titles and bodies, for "Did you mean".
        spell=fields.TEXT(analyzer=plain, phrase=False),
        category=fields.ID(stored=True),
        resolved=fields.BOOLEAN(stored=True),
        official=fields.BOOLEAN(stored=True),
        created=fields.DATETIME(stored=True),
        activity=fields.DATETIME(stored=True, sortable=True),
        #: Tie-breakers read by :class:`ForumWeighting`: 2 = resolved, 1 = official answer.
        rank=fields.NUMERIC(sortable=True),
        replies=fields.NUMERIC(stored=True),
        kudos=fields.NUMERIC(stored=True),
        #: A hash of the indexed content, compared by ``forum search check``.
        sig=fields.STORED(),
    )


class ForumWeighting(scoring.BM25F):
    """BM25F (title ×3, answer ×1.5). Scores stay on the matchers' own scale (no
    ``final()``), so Whoosh may skip documents that cannot reach the requested page;
    the tie rules are applied to that page's window by :func:`tie_order`."""

    use_final = False


def tie_order(score: float, flags: int, activity: int) -> tuple:
    """The order of results: how many of the query's words a document matches (the
    :data:`COORD` part of the score), then relevance in 5% steps; within a step (a tie)
    resolved topics and official answers first, then the exact score, then recent
    activity. Resolved or official never outranks a clearly better match."""
    matched, relevance = divmod(score, COORD)
    step = math.floor(math.log(relevance) / TIE_STEP) if relevance > 0 else -10_000
    tie = (RESOLVED_TIE if flags & 2 else 0.0) + (OFFICIAL_TIE if flags & 1 else 0.0)
    return (matched, step, tie, relevance, activity)


class _CountedMatcher(WrappingMatcher):
    """Adds :data:`COORD` to the score of each document its word matches.

    Whoosh's pruning (``replace``, ``skip_to_quality``) gets the child's share of the
    minimum: a document needs more than ``minquality - COORD`` from this word's own
    fields to reach the page. So a field of the word (the body, say) that cannot get
    there is dropped, and in a query of several words, documents with too few of
    them are never scored; the top of the ranking is the same as without pruning."""

    def supports_block_quality(self):
        return self.child.supports_block_quality()

    def replace(self, minquality=0):
        r = self.child.replace(max(0.0, minquality - COORD) if minquality else 0)
        return self if r is self.child else self.__class__(r)

    def max_quality(self):
        return self.child.max_quality() + COORD

    def block_quality(self):
        return self.child.block_quality() + COORD

    def skip_to_quality(self, minquality):
        return self.child.skip_to_quality(minquality - COORD)

    def score(self):
        return self.child.score() + COORD


class _Word(query.WrappingQuery):
    """One word of the query (with its synonyms and typo corrections): matching it
    counts once towards the coordination part of the score."""

    def matcher(self, searcher, context=None):
        m = self.child.matcher(searcher, context)
        if not m.is_active():
            return m
        return _CountedMatcher(m)


_QUERY_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass
class _Part:
    kind: str  # word, phrase, prefix
    words: list[str]
    negated: bool = False


@dataclass
class Hit:
    doc_id: str
    kind: str
    topic_id: int
    post_id: int | None
    score: float
    #: Filled in by :meth:`SearchBackend.search` for the hits of the page only.
    snippet: str = ""


@dataclass
class ResultPage:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    #: False when ``total`` is an estimate (the page then says "about N").
    exact: bool = True

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class Filters:
    resolved: bool = False
    official: bool = False
    category: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def as_query(self):
        parts = []
        if self.resolved:
            parts.append(query.Term("resolved", True))
        if self.official:
            parts.append(query.Term("official", True))
        if self.category:
            parts.append(query.Term("category", self.category))
        if self.kind:
            parts.append(query.Term("kind", self.kind))
        if self.since or self.until:
            parts.append(query.DateRange("activity", self.since, self.until))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else query.And(parts)


def split_query(text: str) -> list[_Part]:
    """A query as customers type it: words, "quoted phrases", prefix* and -excluded
    words. AND/OR/NOT are read as words to ignore (every query ranks, none filters)."""
    parts: list[_Part] = []
    negate_next = False
    for m in _QUERY_PART.finditer(text):
        if m.group(3) is None:  # a quoted phrase
            words = vocabulary.words(m.group(2))
            if words:
                parts.append(_Part("phrase" if len(words) > 1 else "word", words, bool(m.group(1)) or negate_next))
            negate_next = False
            continue
        chunk = m.group(3)
        if chunk in ("AND", "OR", "&&", "||"):
            continue
        if chunk == "NOT":
            negate_next = True
            continue
        negated = negate_next or (chunk.startswith("-") and len(chunk) > 1)
        negate_next = False
        words = vocabulary.words(chunk)
        if not words:
            continue
        if chunk.endswith("*") and len(words) == 1:
            if len(words[0]) < 2:
                raise BadQuery("A word ending in * needs at least two letters before the *.")
            parts.append(_Part("prefix", words, negated))
            continue
        parts.extend(_Part("word", [w], negated) for w in words)
    return parts


class _FormatterEscaped(highlight.HtmlFormatter):
    """Whoosh's HTML formatter escapes the text, then marks matches with ``<mark>``."""

    def __init__(self):
        super().__init__(tagname="mark", between=" … ")


class _MemoryStorage(RamStorage):
    """Whoosh's in-memory storage, with writers' scratch space in memory too.

    ``RamStorage.temp_storage()`` puts every writer's scratch files in one fixed folder
    (``<tmp>/MAIN.tmp``) shared by every process on the machine. A writer that finishes
    deletes it; when another process's writer then finishes, the delete fails before
    the write lock is released, and every later writer of that index waits out its
    lock timeout (the test suite ran for hours when several suites shared a machine).
    """

    def temp_storage(self, name=None):
        return RamStorage()


#: Index files up to this size are read into memory once per segment (field lengths,
#: sort columns); larger ones (terms, postings, stored fields) are read on demand.
SMALL_FILE = 8 * 1024 * 1024


class _Window:
    """A read-only window of an open file, read with ``os.pread``: no copy of the file
    in the process and no memory mapping (the pages stay in the kernel's page cache,
    shared by every worker, and out of the worker's resident size), and reads by
    position share no file offset. The sequential ``read``/``seek`` API is only used
    while opening (tables of contents, pickled directories)."""

    def __init__(self, fd: int, offset: int, length: int, root: _Window | None = None):
        self._fd, self._offset, self._length = fd, offset, length
        self._pos = 0
        #: The window that owns the descriptor: closed by ``close()`` or when the last
        #: window onto it is garbage (Whoosh does not close every reader it opens).
        self._root = root or self
        if root is None:
            self._release = weakref.finalize(self, os.close, fd)
        self.closed = False

    @classmethod
    def open(cls, path: str) -> _Window:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        return cls(fd, 0, os.fstat(fd).st_size)

    def pread(self, position: int, length: int) -> bytes:
        length = max(0, min(length, self._length - position))
        return os.pread(self._fd, length, self._offset + position) if length else b""

    def window(self, offset: int, length: int) -> _Window:
        return _Window(self._fd, self._offset + offset, length, root=self._root)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._length - self._pos
        data = self.pread(self._pos, size)
        self._pos += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        out = []
        while True:
            chunk = self.pread(self._pos, 256)
            if not chunk:
                break
            cut = chunk.find(b"\n")
            if cut >= 0:
                chunk = chunk[:cut + 1]
            out.append(chunk)
            self._pos += len(chunk)
            if cut >= 0:
                break
        return b"".join(out)

    def seek(self, where: int, whence: int = 0) -> int:
        self._pos = where if whence == 0 else self._pos + where if whence == 1 else self._length + where
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self.closed = True
        if self._root is self:
            self._release()


class _PositionalFile(StructFile):
    """Whoosh's ``StructFile`` over a :class:`_Window`: ``get`` reads by position."""

    def get(self, position, length):
        return self.file.pread(position, length)

    def get_array(self, position, typecode, length):
        self.seek(position)
        return self.read_array(typecode, length)

    def subset(self, offset, length, name=None):
        window = self.file.window(offset, length)
        if length <= SMALL_FILE:
            return BufferFile(window.read(), name=name)
        return _PositionalFile(window, name=name)


class _ReadStorage(FileStorage):
    """A folder index whose files are never copied whole into the process.

    Whoosh's stock ``FileStorage`` maps a segment and then wraps each file in it in a
    ``BytesIO``, which copies the whole file (postings, terms, stored fields) into
    every process that opens a searcher: the worker's memory grew by the index's size
    (1.4-1.7 GB at 50k topics), and opening took as long as reading it."""

    def __init__(self, path):
        super().__init__(path, supports_mmap=False)

    def open_file(self, name, **kwargs):
        return _PositionalFile(_Window.open(self._fpath(name)), name=name, **kwargs)


class SearchBackend:
    """One index, in a folder (``path``) or in memory (``path=None``)."""

    def __init__(self, path: str | None, *, lock_timeout: float = 5.0):
        self.path = path
        self.lock_timeout = lock_timeout
        self.schema = _schema()
        self._ram = _MemoryStorage() if path is None else None
        self._lock = threading.RLock()
        self._reader_state: tuple | None = None  # (realpath, ix, searcher)

    # --- storage ------------------------------------------------------------------

    def exists(self) -> bool:
        if self._ram is not None:
            return self._ram.index_exists()
        return os.path.isdir(self.path) and index.exists_in(self.path)

    def _open(self, *, create: bool = False):
        try:
            if self._ram is not None:
                if not self._ram.index_exists():
                    if not create:
                        raise SearchUnavailable("The search index has not been built yet.")
                    return self._ram.create_index(self.schema)
                return self._ram.open_index()
            if not index.exists_in(self.path):
                if not create or os.path.lexists(self.path) or os.path.exists(self._marker):
                    # It existed once (a dangling link, or the marker): never recreate it
                    # empty behind the operator's back.
                    raise SearchUnavailable("The search index is missing: an operator must run "
                                            "`forum search reindex`.", f"no index at {self.path}")
                return self._create_on_disk()
            return _ReadStorage(self.path).open_index()
        except SearchUnavailable:
            raise
        except (OSError, index.IndexError) as exc:
            raise SearchUnavailable("The search index cannot be opened.", f"{self.path}: {exc}") from exc

    def _create_on_disk(self):
        """Create an empty index as ``<path>`` -> ``<path>.g<stamp>`` (a symlink, so that
        :meth:`rebuild` can swap in a new folder atomically)."""
        target = self._new_folder()
        _ReadStorage(target).create_index(self.schema)
        self._swap_link(target)
        self._mark_created()
        return _ReadStorage(self.path).open_index()

    @property
    def _marker(self) -> str:
        return f"{self.path}.created"

    def _mark_created(self) -> None:
        """Remember that the index exists, so that its disappearance is noticed."""
        with open(self._marker, "w") as fh:
            fh.write("The search index lives beside this file. If it goes missing, run `forum search reindex`.\n")

    def _new_folder(self) -> str:
        target = f"{self.path}.g{time.time_ns()}"
        os.makedirs(target)
        return target

    def _swap_link(self, target: str) -> str | None:
        """Point ``self.path`` at ``target`` atomically; returns the folder it replaced."""
        previous = os.path.realpath(self.path) if os.path.islink(self.path) else None
        if os.path.isdir(self.path) and not os.path.islink(self.path):
            # An index from before the symlink layout: move it aside first.
            previous = f"{self.path}.g0-{time.time_ns()}"
            os.rename(self.path, previous)
        tmp = f"{self.path}.link-{os.getpid()}-{time.time_ns()}"
        os.symlink(os.path.basename(target), tmp)
        os.replace(tmp, self.path)
        return previous

    # --- reading ------------------------------------------------------------------

    def searcher(self):
        """The process's searcher, reopened when the index has a new generation."""
        with self._lock:
            state = self._reader_state
            real = self.path and os.path.realpath(self.path)
            try:
                if state is not None and state[0] == real and state[1].latest_generation() == state[2].reader().generation():
                    return state[2]
            except OSError:
                state = None
            ix = state[1] if state is not None and state[0] == real else self._open()
            try:
                searcher = ix.searcher(weighting=ForumWeighting())
            except (OSError, index.IndexError) as exc:
                raise SearchUnavailable("The search index cannot be read.", f"{self.path}: {exc}") from exc
            if state is not None:
                state[2].close()
            searcher.forum_filters = collections.OrderedDict()  # see _allowed()
            searcher.forum_filter_masks = {}  # see _allowed_mask()
            searcher.forum_folder = real or None  # where impacts.py keeps decoded postings
            self._reader_state = (real, ix, searcher)
            return searcher

    def _allowed(self, searcher, filt) -> tuple:
        """The documents a filter allows (a bit set, and how many), kept with the
        searcher, so for one index generation: Whoosh would otherwise list every
        resolved document, say, again on each search. The last :data:`FILTER_CACHE`
        filters are kept."""
        if filt is None:
            return None, 0
        cache = getattr(searcher, "forum_filters", None)
        key = repr(filt)
        if cache is not None and key in cache:
            cache.move_to_end(key)
            return cache[key]
        allowed = BitSet(searcher.docs_for_query(filt), size=searcher.doc_count_all())
        entry = (allowed, len(allowed))
        if cache is not None:
            cache[key] = entry
            while len(cache) > FILTER_CACHE:
                cache.popitem(last=False)
        return entry

    def _stems(self, words) -> list[str]:
        analyzer = self.schema["body"].analyzer
        return [t.text for w in words for t in analyzer(w, mode="query")]

    def _any_field(self, stems: list[str], boost: float = 1.0):
        """``stems`` (one word, or a phrase) in the title, body or answer."""
        if not stems:
            return None
        if len(stems) == 1:
            return query.Or([query.Term(f, stems[0], boost=boost) for f in SEARCH_FIELDS])
        return query.Or([query.Phrase(f, stems, boost=boost) for f in SEARCH_FIELDS])

    def _alternatives(self, alternatives, typed: list[str]) -> list[list[str]]:
        """The stems of a synonym group's other entries, each once ("switch network"
        and "switch networks" are one phrase after stemming, and phrases are the
        costliest part of a query: positions are read for every document with their
        words), leaving out the word typed itself."""
        out: dict[tuple, list[str]] = {}
        for alt in alternatives:
            stems = self._stems(alt)
            if stems and stems != typed:
                out.setdefault(tuple(stems), stems)
        return list(out.values())

    def _typos(self, reader, word: str, stem: str) -> list[str]:
        """Indexed stems within one edit of a word of 5+ letters (two for 8+), when the
        word itself is rare or absent; the more common corrections first."""
        # Lengths are the word's as typed; the stem must be 5+ too ("roaming" -> "roam"
        # must not reach "room").
        if min(len(word), len(stem)) < 5 or any(ch.isdigit() for ch in word):
            return []
        known = max(reader.doc_frequency(f, stem) for f in SEARCH_FIELDS)
        if known >= FUZZY_RARE_DOCS:
            return []
        maxdist = 2 if len(word) >= 8 else 1
        found = {}
        for f in ("title", "body"):
            for cand in reader.terms_within(f, stem, maxdist, prefix=1):
                if cand != stem:
                    found[cand] = max(found.get(cand, 0), reader.doc_frequency(f, cand))
        better = sorted((c for c, df in found.items() if df > known), key=lambda c: -found[c])
        return better[:5]

    def parse(self, text: str, synonyms: vocabulary.Synonyms | None = None, reader=None):
        """Build the ranking query: one :class:`_Word` per word or phrase typed (with its
        synonyms and typo corrections), OR'ed; documents matching more of them rank
        first. ``-word`` excludes. Raises :class:`BadQuery` when nothing is usable."""
        try:
            parts = split_query(text)
        except BadQuery:
            raise
        except Exception as exc:  # pragma: no cover - the splitter is plain regular expressions
            raise BadQuery("We could not understand that search. Try plain words, or a phrase in quotes.") from exc
        slots, excluded = [], []
        plain = [p for p in parts if p.kind == "word" and not p.negated]
        seq = [p.words[0] for p in plain]
        i = 0
        # Runs of plain words: look for synonym entries (longest first), then single words.
        while i < len(seq):
            match = synonyms.match(seq, i) if synonyms else None
            if match:
                length, alternatives = match
                typed = [w for w in seq[i:i + length] if w not in vocabulary.QUERY_STOP_WORDS] or seq[i:i + length]
                typed_q = query.And([q for w in typed if (q := self._any_field(self._stems([w])))]) \
                    if len(typed) > 1 else self._any_field(self._stems(typed))
                options = [typed_q] if typed_q is not None else []
                for stems in self._alternatives(alternatives, self._stems(typed)):
                    options.append(self._any_field(stems, boost=SYNONYM_WEIGHT))
                if options:
                    slots.append(_Word(query.Or(options)))
                i += length
                continue
            word = seq[i]
            i += 1
            if word in vocabulary.QUERY_STOP_WORDS and len(seq) > 1:
                continue
            stems = self._stems([word])
            if not stems:
                continue
            options = [self._any_field(stems)]
            if reader is not None:
                options += [self._any_field([t], boost=FUZZY_WEIGHT) for t in self._typos(reader, word, stems[0])]
            slots.append(_Word(query.Or(options)))
        for p in parts:
            if p.kind == "word" and not p.negated:
                continue
            if p.kind == "prefix":
                heads = dict.fromkeys([p.words[0], *self._stems(p.words)])
                q = query.Or([query.Prefix(f, head) for f in SEARCH_FIELDS for head in heads])
            else:
                q = self._any_field(self._stems(p.words))
            if q is None:
                continue
            if p.negated:
                excluded.append(q)
                continue
            word = _Word(q)
            word.typed_phrase = p.kind == "phrase"  # counted exactly (an estimate would be its words')
            slots.append(word)
        if not slots:
            raise BadQuery("Type some words to search for: that search had none we could use.")
        q = slots[0] if len(slots) == 1 else query.Or(slots)
        if excluded:
            q = query.AndNot(q, query.Or(excluded))
        return q

    def search(self, text: str, *, filters: Filters | None = None, sort: str = "relevance", page: int = 1,
               per_page: int = 10, load_texts: Callable[[list[Hit]], dict[str, str]] | None = None,
               synonyms: vocabulary.Synonyms | None = None) -> ResultPage:
        """Search; only the hits of the requested page are ordered and highlighted.
        ``load_texts(hits)`` returns each hit's current text (from the database), so
        snippets never show anything the index kept longer than the database.
        ``synonyms`` (query time) defaults to the shipped list."""
        searcher = self.searcher()
        if synonyms is None:
            synonyms = default_synonyms()
        q = self.parse(text, synonyms, searcher.reader())
        filt = filters.as_query() if filters else None
        mask = self._allowed_mask(searcher, filt, None) if filt is not None and sort != "newest" else None
        if mask is not None:  # a filter of terms, from the decoded postings: Whoosh's bit set only if needed
            allowed, n_allowed = None, int(np.count_nonzero(mask))
        else:
            allowed, n_allowed = self._allowed(searcher, filt)
        page = max(1, page)
        if filt is not None and not n_allowed:
            # Whoosh reads an empty filter set as "no filter": nothing can match.
            return ResultPage(hits=[], total=0, page=page, per_page=per_page)
        window = page * per_page
        counted = sizes = None
        if sort == "newest":
            results = searcher.search(q, limit=window, filter=allowed, sortedby="activity", reverse=True)
            top = list(results.top_n)[window - per_page:window]
        else:
            # A little beyond the page, so that ties at its edge are ordered the same
            # way from either side.
            fast = self._fast_ranked(searcher, q, window + per_page, filt, allowed, mask)
            if fast is not None:
                results, counted, sizes = fast
            else:
                if filt is not None and allowed is None:
                    allowed, n_allowed = self._allowed(searcher, filt)
                results, counted = self._ranked(searcher, q, window + per_page, allowed)
            rank = searcher.reader().column_reader("rank")
            activity = searcher.reader().column_reader("activity", translate=False)
            ordered = sorted(results.top_n, reverse=True,
                             key=lambda sd: tie_order(sd[0], _column(rank, sd[1]), _column(activity, sd[1])))
            top = ordered[window - per_page:window]
        total, exact = (counted, True) if sort != "newest" and counted is not None \
            else self._count(results, q, searcher, filt, n_allowed, sizes=sizes)
        hits = []
        for score, docnum in top:
            stored = searcher.stored_fields(docnum)
            hits.append(Hit(doc_id=stored["id"], kind=stored["kind"], topic_id=stored["topic_id"],
                            post_id=stored.get("post_id"), score=score or 0.0))
        if load_texts is not None and hits:
            texts = load_texts(hits)
            pairs = set(q.all_terms()) | set(q.existing_terms(searcher.reader(), expand=True))
            terms = {t.decode() if isinstance(t, bytes) else t for f, t in pairs if f in SEARCH_FIELDS}
            analyzer = self.schema["body"].analyzer
            fragmenter = highlight.ContextFragmenter(maxchars=200, surround=60)
            for h in hits:
                source = texts.get(h.doc_id)
                if source:
                    h.snippet = highlight.highlight(source, frozenset(terms), analyzer, fragmenter,
                                                    _FormatterEscaped(), top=2)
        return ResultPage(hits=hits, total=total, page=page, per_page=per_page, exact=exact)

    def _ranked(self, searcher, q, limit: int, filt) -> tuple:
        """The top ``limit`` matches, and their exact count when finding them meant
        visiting every match anyway (else None). First the documents with every word,
        where Whoosh can skip blocks that cannot reach the page (fast); only when they
        do not fill it, the full OR with coordination (documents with most words). A
        lone phrase cannot skip (positions decide), so it is ranked and counted in one
        pass instead of two."""
        words = list(q.subqueries) if isinstance(q, query.Or) and all(isinstance(w, _Word) for w in q.subqueries) \
            else [q] if isinstance(q, _Word) else None
        if words and len(words) == 1 and getattr(words[0], "typed_phrase", False):
            top = collectors.TopCollector(limit=limit, usequality=False)
            top.replace = 0  # never narrow the matcher: every match is collected and counted
            searcher.search_with_collector(words[0].child, top if filt is None else collectors.FilterCollector(top, allow=filt))
            results = top.results()
            results.top_n = [(score + COORD, docnum) for score, docnum in results.top_n]
            return results, top.total
        if words:
            every = query.And([w.child for w in words]) if len(words) > 1 else words[0].child
            first = searcher.search(every, limit=limit, filter=filt)
            if len(first.top_n) >= limit:
                bonus = COORD * len(words)
                first.top_n = [(score + bonus, docnum) for score, docnum in first.top_n]
                return first, None
        return searcher.search(q, limit=limit, filter=filt), None

    def _fast_ranked(self, searcher, q, limit: int, filt, allowed, mask=None):
        """:meth:`_ranked` through :mod:`forum.search.impacts` (the same ranking, scored
        with whole-array operations): ``(results, exact count or None, matches of
        each slot)``, or None when the query needs Whoosh's own path."""
        if mask is None and allowed is not None:
            mask = self._allowed_mask(searcher, filt, allowed)
        ranked = impacts.rank(searcher, q, limit, mask, getattr(searcher, "forum_folder", None))
        if ranked is None:
            return None
        top, total, sizes = ranked
        slots = list(q.subqueries) if isinstance(q, query.Or) else [q]
        phrase = [getattr(w, "typed_phrase", False) for w in slots]
        reader = searcher.reader()
        docs = max(1, reader.doc_count())
        estimated = [n if is_phrase else min(docs, sub.estimate_size(reader))
                     for sub, n, is_phrase in zip(slots, sizes, phrase, strict=True)]
        # The same rule as _count(): exact up to EXACT_COUNT_MAX, or for a lone phrase.
        counted = total if sum(estimated) <= EXACT_COUNT_MAX or (len(slots) == 1 and phrase[0]) else None
        return _Ranked(top), counted, estimated

    def _allowed_mask(self, searcher, filt, allowed):
        """The filter's documents as a boolean array, kept with the searcher: from the
        decoded postings for a filter of terms, else from Whoosh's bit set ``allowed``
        (None when there is none yet: then only a filter of terms gets a mask)."""
        cache = getattr(searcher, "forum_filter_masks", None)
        key = repr(filt)
        if cache is not None and key in cache:
            return cache[key]
        mask = impacts.filter_mask(searcher, filt, getattr(searcher, "forum_folder", None))
        if mask is None:
            if allowed is None:
                return None
            mask = np.zeros(searcher.doc_count_all(), dtype=bool)
            mask[np.fromiter(allowed, dtype=np.int64)] = True
        if cache is not None:
            cache[key] = mask
            while len(cache) > FILTER_CACHE:
                cache.pop(next(iter(cache)))
        return mask

    def _count(self, results, q, searcher, filt, n_allowed: int, sizes: list[int] | None = None) -> tuple[int, bool]:
        """The number of matches: exact (counted without scoring) when the query's
        words are in at most :data:`EXACT_COUNT_MAX` documents, otherwise an estimate
        (the page says "about N"). Either depends on the query only, so it is the same
        on every page. (Whoosh's own count is not used: it stops counting where it
        skips documents that cannot reach the page.) A phrase's own matches are
        counted (Whoosh's estimate is its commonest word's), then treated like a word:
        "phrase" plus a common word is an estimate, not a count of every document
        with that word."""
        reader = searcher.reader()
        docs = max(1, reader.doc_count())
        slots = [q] if not isinstance(q, query.Or) else list(q.subqueries)
        phrase = [getattr(w, "typed_phrase", False) for w in slots]
        if sizes is None:
            sizes = [sum(1 for _ in searcher.docs_for_query(sub)) if is_phrase else min(docs, sub.estimate_size(reader))
                     for sub, is_phrase in zip(slots, phrase, strict=True)]
        if sum(sizes) <= EXACT_COUNT_MAX or (len(slots) == 1 and phrase[0]):
            counted = query.And([q, filt]) if filt is not None else q
            return sum(1 for _ in searcher.docs_for_query(counted)), True
        missing = 1.0
        for n in sizes:  # words independent: the share of documents with none of them
            missing *= 1 - n / docs
        estimate = docs * (1 - missing)
        if filt is not None:
            estimate *= min(docs, n_allowed) / docs
        return _round(max(len(results.top_n), estimate)), False

    def similar(self, title: str, *, limit: int = 5) -> list[Hit]:
        """Topics whose words overlap ``title`` (any word may match), resolved first."""
        words = [t.text for t in self.schema["title"].analyzer(title[:256])][:20]
        if not words:
            return []
        subqueries = [query.Term(f, w) for w in dict.fromkeys(words) for f in ("title", "body", "answer")]
        q = query.Or(subqueries)
        searcher = self.searcher()
        topics, n_topics = self._allowed(searcher, query.Term("kind", "topic"))
        if not n_topics:
            return []
        results = searcher.search(q, limit=limit * 4, filter=topics)
        hits = [Hit(doc_id=r["id"], kind=r["kind"], topic_id=r["topic_id"], post_id=r.get("post_id"),
                    score=r.score or 0.0) for r in results]
        resolved = {r["id"] for r in results if r.get("resolved")}
        hits.sort(key=lambda h: (h.doc_id not in resolved, -h.score))
        return hits[:limit]

    def suggest(self, text: str, *, min_docs: int = SUGGEST_MIN_DOCS) -> str | None:
        """A spelling correction for ``text``, or None: each word found in fewer than
        ``min_docs`` documents is replaced by the nearby word (one edit; two for words
        of 8+ letters) that occurs in the most documents, itself in at least ``min_docs``."""
        words = vocabulary.words(text[:256])[:10]
        if not words:
            return None
        reader = self.searcher().reader()
        out, changed = [], False
        for w in words:
            if len(w) > 3 and not w.isdigit() and w not in vocabulary.QUERY_STOP_WORDS \
                    and reader.doc_frequency("spell", w) < min_docs:
                maxdist = 2 if len(w) >= 8 else 1
                counts = {c: reader.doc_frequency("spell", c) for c in reader.terms_within("spell", w, maxdist, prefix=1)
                          if c != w}
                best = max((c for c, n in counts.items() if n >= min_docs), key=lambda c: (counts[c], c), default=None)
                if best:
                    out.append(best)
                    changed = True
                    continue
            out.append(w)
        return " ".join(out) if changed else None

    def signatures(self) -> dict[str, str]:
        """Every document id in the index with its content signature."""
        searcher = self.searcher()
        return {f["id"]: f.get("sig") for f in searcher.all_stored_fields()}

    def duplicates(self) -> dict[str, int]:
        """Ids stored more than once (live documents only), with how many times."""
        counts: dict[str, int] = {}
        for f in self.searcher().all_stored_fields():
            counts[f["id"]] = counts.get(f["id"], 0) + 1
        return {k: n for k, n in counts.items() if n > 1}

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    # --- writing ------------------------------------------------------------------

    def apply(self, docs: Iterable[dict], deletes: Iterable[str]) -> None:
        """Add or replace ``docs`` and delete the ids ``deletes`` in one commit. Raises
        :class:`SearchUnavailable` when the index cannot be created, locked or written."""
        ix = self._open(create=True)
        # Take Whoosh's write lock ourselves: when the writer cannot start (a permission
        # error while it creates its files), Whoosh keeps the lock it took until garbage
        # collection, which locked the indexer out for a minute. Here it is released now.
        lock = ix.lock("WRITELOCK")
        try:
            locked = try_for(lambda: lock.acquire(blocking=False), timeout=self.lock_timeout, delay=0.05)
        except OSError as exc:
            raise SearchUnavailable("The search index cannot be written.", f"{self.path}: {exc}") from exc
        if not locked:
            raise SearchUnavailable("The search index is locked by another writer.")
        try:
            writer = SegmentWriter(ix, _lk=False)
        except BaseException as exc:
            lock.release()
            if isinstance(exc, OSError):
                raise SearchUnavailable("The search index cannot be written.", f"{self.path}: {exc}") from exc
            raise
        writer.writelock = lock  # released by commit() and cancel()
        latest = {doc["id"]: doc for doc in docs}  # one version per id: a batch may name a doc twice
        try:
            for doc_id in dict.fromkeys(deletes):
                if doc_id not in latest:
                    writer.delete_by_term("id", doc_id)
            for doc in latest.values():
                writer.update_document(**_prepare(doc))
            writer.commit()
        except OSError as exc:
            _cancel(writer, lock)
            raise SearchUnavailable("The search index cannot be written.", f"{self.path}: {exc}") from exc
        except BaseException:
            _cancel(writer, lock)
            raise

    def index(self, docs: Iterable[dict]) -> None:
        self.apply(docs, [])

    def delete(self, doc_ids: Iterable[str]) -> None:
        self.apply([], doc_ids)

    def rebuild(self, docs: Iterable[dict], *, on_doc: Callable[[], None] | None = None) -> int:
        """Build a fresh index from ``docs`` into a new folder, then swap it in
        atomically; readers keep the old one until they see the new folder."""
        count = 0
        if self._ram is not None:
            storage = _MemoryStorage()
            ix = storage.create_index(self.schema)
        else:
            target = self._new_folder()
            ix = _ReadStorage(target).create_index(self.schema)
        writer = ix.writer(procs=1, limitmb=256)
        try:
            for doc in docs:
                writer.add_document(**_prepare(doc))
                count += 1
                if on_doc:
                    on_doc()
            writer.commit(optimize=True)
        except BaseException:
            writer.cancel()
            if self._ram is None:
                shutil.rmtree(target, ignore_errors=True)
            raise
        with self._lock:
            if self._ram is not None:
                self._ram = storage
            else:
                previous = self._swap_link(target)
                self._mark_created()
                if previous and os.path.isdir(previous):
                    shutil.rmtree(previous, ignore_errors=True)
            self._reader_state = None
        return count


def _cancel(writer, lock) -> None:
    """Cancel a failed write; the lock is released even when cancelling fails too (a
    temporary file gone, say), so that no later write waits on it forever."""
    try:
        writer.cancel()
    except Exception:  # noqa: S110 - the original error is what gets reported
        pass
    finally:
        try:
            lock.release()
        except Exception:  # noqa: S110 - already released by cancel()
            pass


class _Ranked:
    """What :meth:`SearchBackend.search` reads of Whoosh's results: ``top_n``."""

    def __init__(self, top_n):
        self.top_n = top_n


def _round(estimate: float) -> int:
    """An estimated count, to two significant digits ("about 28,000")."""
    estimate = int(estimate)
    digits = max(0, len(str(estimate)) - 2)
    return int(round(estimate, -digits))


def _column(reader, docnum: int) -> int:
    try:
        return reader[docnum] or 0
    except IndexError:  # whoosh's multi-segment column reader, when a segment lacks the column
        return 0


def _prepare(doc: dict) -> dict:
    doc = dict(doc)
    doc["rank"] = (2 if doc.get("resolved") else 0) + (1 if doc.get("official") else 0)
    doc["spell"] = " ".join(x for x in (doc.get("title"), doc.get("body")) if x)
    return {k: v for k, v in doc.items() if v is not None}


@functools.cache
def _shipped_synonyms() -> vocabulary.Synonyms:
    return vocabulary.Synonyms(vocabulary.shipped_groups())


def default_synonyms() -> vocabulary.Synonyms:
    """The shipped synonym list (the search page passes the admins' merged list)."""
    return _shipped_synonyms()
