"""Time forum.markup.render_markdown on length bombs: each of a set of troublesome
characters (and short patterns) repeated up to the body cap. Prints the slowest first.

    .venv/bin/python bench/sanitise.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from forum.markup import MAX_BODY_LENGTH, render_markdown

UNITS = ["(", ")", "[", "]", "<", ">", "&", "&#", "&#x", "*", "_", "`", "~", "|", "|\n", "\n", "\t", " ",
         "![", "[](", "[a]: ", "((a.com ", "www.", "http://", "x.", "a(", "<a", "</", "\\", "#", "- ", "1. ",
         "> ", "\u0301", "\u200b", "é", "😀"]


def bombs(cap: int = MAX_BODY_LENGTH) -> list[str]:
    """Each unit repeated to fill the cap exactly (or just under)."""
    return [(unit * (cap // len(unit) + 1))[: cap - cap % len(unit)] for unit in UNITS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = []
    for bomb in bombs():
        best = min(_time(bomb) for _ in range(args.repeat))
        results.append((best, bomb[:8]))
    for seconds, head in sorted(results, reverse=True):
        print(f"{seconds * 1000:8.1f} ms  {head!r}")


def _time(text: str) -> float:
    start = time.perf_counter()
    render_markdown(text)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
