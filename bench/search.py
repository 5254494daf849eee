"""Search benchmark: latency per query kind, growth with the forum's size, and a
worker's memory after searching.

    # one size (generate the forum first, then rebuild the index)
    .venv/bin/python bench/search.py --generate --topics 10000 --posts 100000 \\
        --db sqlite:////tmp/s10k.db --index /tmp/s10k-index

    # two sizes already generated and indexed: growth from the first to the last
    .venv/bin/python bench/search.py --skip-rebuild \\
        --db sqlite:////tmp/s10k.db --index /tmp/s10k-index \\
        --db sqlite:////tmp/s50k.db --index /tmp/s50k-index

    # the PostgreSQL backend (a scratch database: its search documents are rebuilt)
    .venv/bin/python bench/search.py --backend postgresql --generate --topics 10000 --posts 100000 \\
        --db postgresql+psycopg://postgres@127.0.0.1/forum_bench

Each size runs in a fresh process (like a gunicorn worker that has just started), so
its ``VmHWM`` (peak resident memory, from ``/proc/self/status``) is its own. A query
is timed as the search page runs it: the ranked page with highlighted snippets from
the database text, then "Did you mean". The mix (fixed seed, mostly distinct
queries): one word, several words, quoted phrases, filters (resolved, board, type,
dates), misspellings and broad words. Wall time and CPU time are both reported: on a
shared machine the wall time includes waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The generated forum's vocabulary (bench/generate.py), plus words it never uses.
VOCAB = ("signal coverage network outage 5g mast roaming bill charge refund data bundle voicemail sim swap "
         "port number pac code esim handset wifi calling text message broadband contract upgrade tariff "
         "leeds london dublin manchester glasgow cardiff belfast evening morning indoors outdoors dropped calls").split()
ABSENT = ["iphone", "invoice", "router", "hotspot", "apn", "porting", "unlock", "balance"]
TYPOS = ["roamng", "voicemial", "brodband", "contarct", "handst", "glasgw", "tarif", "refnud", "outgae", "coverge"]
KINDS = ("one word", "several words", "phrase", "filter", "typo", "broad")


def status_kb() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0])
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def mix(n: int, seed: int = 5) -> list[tuple[str, str, dict]]:
    """``n`` queries, the kinds in turn: (kind, text, filter arguments)."""
    rng = random.Random(seed)
    now = datetime.now()
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        filters: dict = {}
        if kind == "one word":
            text = rng.choice(VOCAB + ABSENT)
        elif kind == "several words":
            text = " ".join(rng.sample(VOCAB, rng.choice((2, 2, 3, 4))) + ([rng.choice(ABSENT)] if rng.random() < .3 else []))
        elif kind == "phrase":
            a, b = rng.sample(VOCAB, 2)
            text = f'"{a} {b}"' + (f" {rng.choice(VOCAB)}" if rng.random() < .3 else "")
        elif kind == "filter":
            text = " ".join(rng.sample(VOCAB, rng.choice((1, 2))))
            choice = rng.choice(("resolved", "category", "kind", "since"))
            if choice == "resolved":
                filters = {"resolved": True}
            elif choice == "category":
                filters = {"category": f"board-{rng.randrange(8)}"}
            elif choice == "kind":
                filters = {"kind": rng.choice(("topic", "reply"))}
            else:
                filters = {"since": now - timedelta(days=rng.choice((7, 30, 90)))}
        elif kind == "typo":
            text = rng.choice(TYPOS) + (f" {rng.choice(VOCAB)}" if rng.random() < .5 else "")
        else:
            text = " ".join(rng.sample(["signal", "data", "network", "calls", "message", "charge"], rng.choice((1, 2))))
        out.append((kind, text, filters))
    return out


def summary(values: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(values), 1), "p99_ms": round(pct(values, 99), 1),
            "mean_ms": round(statistics.fmean(values), 1)}


def measure(args) -> dict:
    """One size, in this process: rebuild (optionally), then time the mix."""
    from sqlalchemy import text

    from forum import create_app
    from forum.extensions import db
    from forum.search import indexer, queries
    from forum.search.index import Filters

    report: dict = {"db": args.db[0], "index": args.index[0]}
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db[0], "SECRET_KEY": "bench", "TESTING": True,
                      "SEARCH_INDEX_DIR": args.index[0], "RATELIMIT_ENABLED": False, "SEARCH_BACKEND": args.backend})
    report["backend"] = args.backend
    with app.app_context():
        backend = indexer.get_backend()
        if not args.skip_rebuild:
            done = indexer.reindex()
            report["rebuild_seconds"] = round(done["seconds"], 1)
            # The rebuild's memory is not a searching worker's: measure in a new process.
            return report
        report["memory_before_search_mb"] = round(status_kb()["VmHWM"] / 1024, 1)
        t0 = time.perf_counter()
        if args.backend == "postgresql":
            report["documents"] = db.session.scalar(text("SELECT count(*) FROM search_documents"))
        else:
            searcher = backend.searcher()
            report["open_searcher_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            report["documents"] = searcher.doc_count()
        wall: dict[str, list[float]] = {k: [] for k in KINDS}
        cpu: dict[str, list[float]] = {k: [] for k in KINDS}
        for kind, words, filters in mix(args.queries):
            w0, c0 = time.perf_counter(), time.process_time()
            page = backend.search(words, filters=Filters(**filters),
                                  load_texts=lambda hits: queries.Loaded(hits).texts())
            backend.suggest(words)
            cpu[kind].append((time.process_time() - c0) * 1000)
            wall[kind].append((time.perf_counter() - w0) * 1000)
            assert page.total >= 0
            db.session.rollback()
        report["queries"] = {k: {"n": len(wall[k]), "wall": summary(wall[k]), "cpu": summary(cpu[k])} for k in KINDS}
        every_wall = [v for k in KINDS for v in wall[k]]
        every_cpu = [v for k in KINDS for v in cpu[k]]
        report["all"] = {"n": len(every_wall), "wall": summary(every_wall), "cpu": summary(every_cpu)}
        mem = status_kb()
        report["memory_after_search_mb"] = {"VmHWM": round(mem["VmHWM"] / 1024, 1),
                                            "RssAnon": round(mem["RssAnon"] / 1024, 1),
                                            "RssFile": round(mem["RssFile"] / 1024, 1)}
    client = app.test_client()
    paths = [f"/search?q={quote_plus(words)}" for _, words, _ in mix(args.requests, seed=9)]
    times = []
    for path in paths:
        t0 = time.perf_counter()
        resp = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, (path, resp.status_code)
    report["search_page"] = summary(times)
    report["memory_after_pages_mb"] = round(status_kb()["VmHWM"] / 1024, 1)
    if args.backend == "postgresql":
        with app.app_context():
            size = db.session.scalar(text("SELECT pg_total_relation_size('search_documents')"
                                          " + pg_total_relation_size('search_words')"))
        report["index_mb"] = round(size / 1e6, 1)
    else:
        real = Path(os.path.realpath(args.index[0]))
        report["index_mb"] = round(sum(f.stat().st_size for f in real.glob("*")) / 1e6, 1)
    return report


def child(db: str, index: str, args, *extra: str) -> dict:
    cmd = [sys.executable, __file__, "--child", "--db", db, "--index", index, "--queries", str(args.queries),
           "--requests", str(args.requests), "--backend", args.backend, *extra]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout  # noqa: S603 - this script, our own arguments
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", action="append", required=True, help="once per size, smallest first")
    parser.add_argument("--index", action="append", help="the index folder of each --db, in the same order")
    parser.add_argument("--generate", action="store_true", help="(re)generate each forum first with bench/generate.py")
    parser.add_argument("--topics", type=int, action="append", help="with --generate: topics of each size")
    parser.add_argument("--posts", type=int, action="append", help="with --generate: posts of each size")
    parser.add_argument("--skip-rebuild", action="store_true", help="the indexes are already built")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--backend", choices=("whoosh", "postgresql"), default="whoosh",
                        help="search backend (postgresql: each --db must be PostgreSQL)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args)))
        return
    indexes = args.index or [os.path.join(tempfile.gettempdir(), f"search-bench-index-{i}") for i in range(len(args.db))]
    if len(indexes) != len(args.db):
        parser.error("give one --index per --db")
    sizes = []
    for i, (db, index) in enumerate(zip(args.db, indexes, strict=True)):
        entry: dict = {}
        if args.generate:
            from bench.generate import build

            entry["generate"] = build(db, (args.topics or [10000])[i], (args.posts or [100000])[i], 2000, 8)
        if not args.skip_rebuild:
            entry.update(child(db, index, args, "--rebuild"))
        entry.update(child(db, index, args, "--skip-rebuild"))
        sizes.append(entry)
    report: dict = {"sizes": sizes}
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        report["growth"] = {
            "documents": round(large["documents"] / small["documents"], 2),
            **{f"{k} cpu mean": round(large["queries"][k]["cpu"]["mean_ms"] / max(.01, small["queries"][k]["cpu"]["mean_ms"]), 2)
               for k in KINDS},
            "all cpu mean": round(large["all"]["cpu"]["mean_ms"] / small["all"]["cpu"]["mean_ms"], 2),
            "all cpu p50": round(large["all"]["cpu"]["p50_ms"] / small["all"]["cpu"]["p50_ms"], 2),
            "all wall p50": round(large["all"]["wall"]["p50_ms"] / small["all"]["wall"]["p50_ms"], 2),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    if "--rebuild" in sys.argv:
        sys.argv.remove("--rebuild")
    main()
