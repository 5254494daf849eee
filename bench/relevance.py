"""Relevance benchmark: the judged queries of ``bench/relevance_corpus.py`` against the
search backend, reporting MRR@10, nDCG@10, recall@5 and the zero-result share.

    .venv/bin/python bench/relevance.py            # this tree's forum/search/index.py
    .venv/bin/python bench/relevance.py --index-file /tmp/main_index.py   # another version
    .venv/bin/python bench/relevance.py --show     # each query's rank and top hit
    .venv/bin/python bench/relevance.py --backend postgresql \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/forum_bench   # a SCRATCH database

The corpus is indexed as topic documents (title, opening post, official answer), with
the shipped synonym list: into an in-memory Whoosh index, or (``--backend postgresql``)
into the search tables of the given PostgreSQL database, which is migrated first and
whose search documents are REPLACED by the corpus (never point it at a real forum).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from relevance_corpus import QUERIES, TOPICS  # noqa: E402

# Whoosh's RamStorage spills to <tmp>/MAIN.tmp, shared by every process on the host.
tempfile.tempdir = tempfile.mkdtemp(prefix="relevance-")


def load_index_module(path: str | None):
    if path is None:
        from forum.search import index
        return index
    spec = importlib.util.spec_from_file_location("bench_index_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


def build(module):
    """``module``: an index module (its in-memory ``SearchBackend``), or a callable
    returning an empty backend."""
    backend = module.SearchBackend(None) if hasattr(module, "SearchBackend") else module()
    docs = []
    for n, (_key, title, body, answer, resolved) in enumerate(TOPICS, start=1):
        docs.append({"id": f"t:{n}", "kind": "topic", "topic_id": n, "title": title, "body": body,
                     "answer": answer, "spell": title, "category": "help", "resolved": resolved,
                     "official": bool(answer), "replies": 1, "kudos": 0})
    if getattr(backend, "kind", "whoosh") == "postgresql":
        backend.rebuild(docs)
    else:
        backend.apply(docs, [])
    keys = {f"t:{n}": key for n, (key, *_rest) in enumerate(TOPICS, start=1)}
    return backend, keys


def pg_backend(url: str):
    """A factory for the PostgreSQL backend on ``url`` (migrated to the latest schema)."""
    from flask_migrate import upgrade

    from forum import create_app
    from forum.extensions import db
    from forum.search.pg import PostgresBackend

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "SEARCH_BACKEND": "postgresql"})
    with app.app_context():
        upgrade()
        engine = db.engine
    return lambda: PostgresBackend(engine)


def run(module, *, show: bool = False) -> dict:
    backend, keys = build(module)
    takes_synonyms = "synonyms" in inspect.signature(backend.search).parameters
    rr, ndcg, recall, zero = [], [], [], 0
    for text, relevant in QUERIES:
        try:
            page = backend.search(text, per_page=10)
            ranked = [keys[h.doc_id] for h in page.hits]
            total = page.total
        except Exception:  # a query the backend refuses counts as no results
            ranked, total = [], 0
        if not total:
            zero += 1
        gains = {k: (2 if i == 0 else 1) for i, k in enumerate(relevant)}
        first = next((i for i, k in enumerate(ranked) if k in gains), None)
        rr.append(0.0 if first is None else 1.0 / (first + 1))
        dcg = sum(gains.get(k, 0) / math.log2(i + 2) for i, k in enumerate(ranked[:10]))
        ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(gains.values(), reverse=True)[:10]))
        ndcg.append(dcg / ideal)
        recall.append(len(set(ranked[:5]) & set(relevant)) / len(relevant))
        if show:
            print(f"{'-' if first is None else first + 1:>3}  {total:>3}  {text!r:45} -> {ranked[:1]}")
    n = len(QUERIES)
    return {"queries": n, "topics": len(TOPICS), "mrr@10": sum(rr) / n, "ndcg@10": sum(ndcg) / n,
            "recall@5": sum(recall) / n, "zero_result_share": zero / n, "synonyms": takes_synonyms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-file", help="benchmark this index.py instead of forum/search/index.py")
    parser.add_argument("--show", action="store_true", help="print each query's first relevant rank")
    parser.add_argument("--backend", choices=("whoosh", "postgresql"), default="whoosh")
    parser.add_argument("--pg-url", help="a scratch PostgreSQL database (--backend postgresql)")
    args = parser.parse_args()
    if args.backend == "postgresql":
        if not args.pg_url:
            parser.error("--backend postgresql needs --pg-url")
        report = run(pg_backend(args.pg_url), show=args.show)
    else:
        report = run(load_index_module(args.index_file), show=args.show)
    print(f"{report['queries']} judged queries over {report['topics']} topics ({args.backend})")
    print(f"MRR@10 {report['mrr@10']:.3f}   nDCG@10 {report['ndcg@10']:.3f}   recall@5 {report['recall@5']:.3f}   "
          f"zero-result {report['zero_result_share']:.1%}")


if __name__ == "__main__":
    main()
