"""The Whoosh backend: the only module that imports ``whoosh``.

A small interface the rest of the forum uses: :meth:`SearchBackend.apply` (index and
delete in one writer), :meth:`~SearchBackend.search`, :meth:`~SearchBackend.suggest`,
:meth:`~SearchBackend.rebuild` and :meth:`~SearchBackend.signatures` (for ``check``).

Readers keep one searcher per process and reopen it only when the index's latest
generation (or the folder it lives in, after a rebuild) differs from the one in hand.
``Searcher.refresh()`` is never used: in every Whoosh fork it keeps segments that a
merge removed (duplicate hits, deleted documents still visible).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from whoosh import fields, highlight, index, qparser, query, scoring
from whoosh.analysis import RegexTokenizer, StemmingAnalyzer
from whoosh.analysis.filters import LowercaseFilter
from whoosh.filedb.filestore import RamStorage
from whoosh.index import LockError

#: Title matches outrank body matches; answers count a little more than the body.
TITLE_BOOST = 3.0
ANSWER_BOOST = 1.5
#: Multipliers applied to the BM25F score.
RESOLVED_BOOST = 1.5
OFFICIAL_BOOST = 1.2
#: Fields a plain query searches, in the parser's default order.
SEARCH_FIELDS = ("title", "body", "answer")


class SearchUnavailable(Exception):
    """The index is missing, locked too long or unreadable: search is degraded."""


class BadQuery(Exception):
    """The query could not be understood; the message says what to change."""


def _schema() -> fields.Schema:
    stem = StemmingAnalyzer()  # Porter stemming: "roaming" -> "roam", "room" stays "room"
    plain = RegexTokenizer() | LowercaseFilter()
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        kind=fields.ID(stored=True),
        topic_id=fields.NUMERIC(stored=True),
        post_id=fields.NUMERIC(stored=True),
        title=fields.TEXT(analyzer=stem, field_boost=TITLE_BOOST),
        body=fields.TEXT(analyzer=stem),
        answer=fields.TEXT(analyzer=stem, field_boost=ANSWER_BOOST),
        #: Unstemmed words of topic titles and questions, for "Did you mean".
        spell=fields.TEXT(analyzer=plain, phrase=False),
        category=fields.ID(stored=True),
        resolved=fields.BOOLEAN(stored=True),
        official=fields.BOOLEAN(stored=True),
        created=fields.DATETIME(stored=True),
        activity=fields.DATETIME(stored=True, sortable=True),
        #: The ranking multiplier (resolved / official), read by :class:`ForumWeighting`.
        rank=fields.NUMERIC(sortable=True),  # the multiplier in hundredths
        replies=fields.NUMERIC(stored=True),
        kudos=fields.NUMERIC(stored=True),
        #: A hash of the indexed content, compared by ``forum search check``.
        sig=fields.STORED(),
    )


class ForumWeighting(scoring.BM25F):
    """BM25F, multiplied by the document's stored rank (resolved and official answers
    rank higher), plus a tiny amount per second of last activity so that recent
    activity breaks ties."""

    use_final = True

    def final(self, searcher, docnum, score):
        cache = searcher._forum_columns if hasattr(searcher, "_forum_columns") else None
        if cache is None:
            cache = (searcher.reader().column_reader("rank"), searcher.reader().column_reader("activity", translate=False))
            searcher._forum_columns = cache
        rank, activity = cache
        boost = (rank[docnum] or 100) / 100.0
        when = activity[docnum] or 0  # DATETIME columns hold microseconds-based longs
        return score * boost + when * 1e-20


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


def _parser(schema) -> qparser.QueryParser:
    """AND of terms across title/body/answer, with phrases, quotes, OR/NOT and
    prefix* (not at the start). Plugins that slow broad queries or confuse members
    (fuzzy, ranges, field names, boosts, wildcards inside words) are off."""
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema, group=qparser.AndGroup)
    for plugin in (qparser.FieldsPlugin, qparser.RangePlugin, qparser.BoostPlugin, qparser.WildcardPlugin):
        parser.remove_plugin_class(plugin)
    parser.add_plugin(qparser.PrefixPlugin())
    return parser


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
                if not create:
                    raise SearchUnavailable("The search index is missing.")
                return self._create_on_disk()
            return index.open_dir(self.path)
        except SearchUnavailable:
            raise
        except (OSError, index.IndexError) as exc:
            raise SearchUnavailable(f"The search index cannot be opened: {exc}") from exc

    def _create_on_disk(self):
        """Create an empty index as ``<path>`` -> ``<path>.g<stamp>`` (a symlink, so that
        :meth:`rebuild` can swap in a new folder atomically)."""
        target = self._new_folder()
        index.create_in(target, self.schema)
        self._swap_link(target)
        return index.open_dir(self.path)

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
                raise SearchUnavailable(f"The search index cannot be read: {exc}") from exc
            if state is not None:
                state[2].close()
            self._reader_state = (real, ix, searcher)
            return searcher

    def parse(self, text: str):
        parser = _parser(self.schema)
        try:
            q = parser.parse(text)
        except Exception as exc:  # whoosh raises assorted errors on odd syntax
            raise BadQuery("We could not understand that search. Try plain words, or a phrase in quotes.") from exc
        if q is None or q is query.NullQuery or isinstance(q, type(query.NullQuery)):
            raise BadQuery("Type some words to search for: that search had none we could use.")
        for sub in ([q] if q.is_leaf() else list(q.leaves())):
            if isinstance(sub, query.Prefix) and len(sub.text) < 2:
                raise BadQuery("A word ending in * needs at least two letters before the *.")
        return q

    def search(self, text: str, *, filters: Filters | None = None, sort: str = "relevance", page: int = 1,
               per_page: int = 10, load_texts: Callable[[list[Hit]], dict[str, str]] | None = None) -> ResultPage:
        """Search; only the hits of the requested page are ordered and highlighted.
        ``load_texts(hits)`` returns each hit's current text (from the database), so
        snippets never show anything the index kept longer than the database."""
        q = self.parse(text)
        searcher = self.searcher()
        filt = filters.as_query() if filters else None
        kwargs = {"filter": filt}
        if sort == "newest":
            kwargs["sortedby"] = "activity"
            kwargs["reverse"] = True
        try:
            results = searcher.search_page(q, max(1, page), pagelen=per_page, **kwargs)
        except ValueError:  # a page past the end
            results = None
        if results is None:
            return ResultPage(hits=[], total=0, page=page, per_page=per_page)
        hits = []
        for hit in results:
            stored = hit.fields()
            hits.append(Hit(doc_id=stored["id"], kind=stored["kind"], topic_id=stored["topic_id"],
                            post_id=stored.get("post_id"), score=hit.score or 0.0))
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
        return ResultPage(hits=hits, total=len(results), page=results.pagenum, per_page=per_page)

    def similar(self, title: str, *, limit: int = 5) -> list[Hit]:
        """Topics whose words overlap ``title`` (any word may match), resolved first."""
        words = [t.text for t in self.schema["title"].analyzer(title[:256])][:20]
        if not words:
            return []
        subqueries = [query.Term(f, w) for w in dict.fromkeys(words) for f in ("title", "body", "answer")]
        q = query.Or(subqueries)
        searcher = self.searcher()
        results = searcher.search(q, limit=limit * 4, filter=query.Term("kind", "topic"))
        hits = [Hit(doc_id=r["id"], kind=r["kind"], topic_id=r["topic_id"], post_id=r.get("post_id"),
                    score=r.score or 0.0) for r in results]
        resolved = {r["id"] for r in results if r.get("resolved")}
        hits.sort(key=lambda h: (h.doc_id not in resolved, -h.score))
        return hits[:limit]

    def suggest(self, text: str) -> str | None:
        """A spelling correction for ``text`` built from words in the index, or None."""
        words = [w for w in (t.text for t in (RegexTokenizer() | LowercaseFilter())(text[:256]))][:10]
        if not words:
            return None
        searcher = self.searcher()
        corrector = searcher.corrector("spell")
        reader = searcher.reader()
        out, changed = [], False
        for w in words:
            if len(w) > 2 and not w.isdigit() and (("spell", w) not in reader):
                suggestion = corrector.suggest(w, limit=1, maxdist=2)
                if suggestion:
                    out.append(suggestion[0])
                    changed = True
                    continue
            out.append(w)
        return " ".join(out) if changed else None

    def signatures(self) -> dict[str, str]:
        """Every document id in the index with its content signature."""
        searcher = self.searcher()
        return {f["id"]: f.get("sig") for f in searcher.all_stored_fields()}

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    # --- writing ------------------------------------------------------------------

    def apply(self, docs: Iterable[dict], deletes: Iterable[str]) -> None:
        """Add or replace ``docs`` and delete the ids ``deletes`` in one commit. Raises
        :class:`SearchUnavailable` when the index cannot be created, locked or written."""
        ix = self._open(create=True)
        try:
            writer = ix.writer(timeout=self.lock_timeout)
        except LockError as exc:
            raise SearchUnavailable("The search index is locked by another writer.") from exc
        except OSError as exc:
            raise SearchUnavailable(f"The search index cannot be written: {exc}") from exc
        try:
            for doc_id in deletes:
                writer.delete_by_term("id", doc_id)
            for doc in docs:
                writer.update_document(**_prepare(doc))
            writer.commit()
        except OSError as exc:
            writer.cancel()
            raise SearchUnavailable(f"The search index cannot be written: {exc}") from exc
        except BaseException:
            writer.cancel()
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
            ix = index.create_in(target, self.schema)
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
                if previous and os.path.isdir(previous):
                    shutil.rmtree(previous, ignore_errors=True)
            self._reader_state = None
        return count


def _prepare(doc: dict) -> dict:
    doc = dict(doc)
    rank = 1.0
    if doc.get("resolved"):
        rank *= RESOLVED_BOOST
    if doc.get("official"):
        rank *= OFFICIAL_BOOST
    doc["rank"] = int(round(rank * 100))
    return {k: v for k, v in doc.items() if v is not None}
