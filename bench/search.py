"""Search benchmark: build the index from a generated forum, then time queries.

    .venv/bin/python bench/search.py --db sqlite:////tmp/search-bench.db --generate --posts 100000 --topics 10000
    .venv/bin/python bench/search.py --backend postgresql --db postgresql+psycopg://postgres@127.0.0.1/forum_bench ...

Reports the rebuild time, query latency p50/p99 over 200 mixed queries (single term,
two terms, phrase, resolved filter, highlighted page, broad terms that match thousands
of posts), and the latency of ``/search/similar`` and of the search page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote_plus

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.search import indexer, queries  # noqa: E402
from forum.search.index import Filters  # noqa: E402

SINGLE = ["roaming", "voicemail", "refund", "esim", "pac", "glasgow", "tariff", "handset", "broadband", "outage"]
TWO = ["roaming charge", "sim swap", "dropped calls", "wifi calling", "data bundle", "number port", "5g mast",
       "evening outage", "refund bill", "contract upgrade"]
PHRASES = ['"wifi calling"', '"sim swap"', '"dropped calls"', '"data bundle"', '"port number"']
BROAD = ["signal", "network coverage", "data", "message", "calls"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def mix(rng: random.Random, n: int = 200) -> list[tuple[str, str, dict, bool]]:
    kinds = [("single", SINGLE), ("two terms", TWO), ("phrase", PHRASES), ("resolved filter", SINGLE + TWO),
             ("highlighted", SINGLE + TWO), ("broad", BROAD)]
    out = []
    for i in range(n):
        label, pool = kinds[i % len(kinds)]
        q = rng.choice(pool)
        out.append((label, q, {"resolved": True} if label == "resolved filter" else {}, label == "highlighted"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--index", default=os.path.join(tempfile.gettempdir(), "search-bench-index"))
    parser.add_argument("--generate", action="store_true", help="(re)generate the forum first with bench/generate.py")
    parser.add_argument("--topics", type=int, default=10000)
    parser.add_argument("--posts", type=int, default=100000)
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--backend", choices=("whoosh", "postgresql"), default="whoosh",
                        help="search backend (postgresql: the --db must be PostgreSQL)")
    args = parser.parse_args()
    report: dict = {}
    if args.generate:
        from bench.generate import build

        report["generate"] = build(args.db, args.topics, args.posts, 2000, 8)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench", "TESTING": True,
                      "SEARCH_INDEX_DIR": args.index, "RATELIMIT_ENABLED": False, "SEARCH_BACKEND": args.backend})
    with app.app_context():
        backend = indexer.get_backend()
        if not args.skip_rebuild:
            summary = indexer.reindex()
            report["rebuild_seconds"] = round(summary["seconds"], 1)
            report["documents"] = summary["documents"]
        t0 = time.perf_counter()
        backend.searcher()
        report["open_searcher_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        rng = random.Random(5)
        timings: dict[str, list[float]] = {}
        allt: list[float] = []
        totals: dict[str, int] = {}
        for label, q, filters, highlight in mix(rng):
            t0 = time.perf_counter()
            page = backend.search(q, filters=Filters(**filters),
                                  load_texts=(lambda hits: queries.Loaded(hits).texts()) if highlight else None)
            ms = (time.perf_counter() - t0) * 1000
            timings.setdefault(label, []).append(ms)
            allt.append(ms)
            totals[label] = max(totals.get(label, 0), page.total)
            db.session.rollback()
        report["queries"] = {
            label: {"p50_ms": round(statistics.median(v), 1), "p99_ms": round(pct(v, 99), 1), "max_hits": totals[label]}
            for label, v in timings.items()
        }
        report["all_queries"] = {"n": len(allt), "p50_ms": round(statistics.median(allt), 1),
                                 "p99_ms": round(pct(allt, 99), 1)}
    client = app.test_client()
    for name, paths in (
        ("similar", [f"/search/similar?title={quote_plus(q + ' not working')}" for q in SINGLE + TWO]),
        ("search_page", [f"/search?q={quote_plus(q)}" for q in SINGLE + TWO + PHRASES + BROAD]),
    ):
        client.get(paths[0])
        times = []
        for i in range(args.requests):
            t0 = time.perf_counter()
            resp = client.get(paths[i % len(paths)])
            times.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200, (paths[i % len(paths)], resp.status_code)
        report[name] = {"p50_ms": round(statistics.median(times), 1), "p99_ms": round(pct(times, 99), 1)}
    if args.backend == "postgresql":
        with app.app_context():
            size = db.session.scalar(text("SELECT pg_total_relation_size('search_documents')"
                                          " + pg_total_relation_size('search_words')"))
        report["index_mb"] = round(size / 1e6, 1)
    else:
        report["index_mb"] = round(sum(f.stat().st_size for f in Path(os.path.realpath(args.index)).glob("*")) / 1e6, 1)
    report["backend"] = args.backend
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
