"""What customers type, normalised: spelling variants and synonyms.

No Whoosh here: the index module uses :func:`normalise_word` inside its analyzer, and
the search page hands :func:`synonym_groups` to the backend at query time.

- ``forum/data/search_spellings.txt``: "variant canonical" per line (UK/US spellings);
  folded when indexing and when searching, so a change needs ``forum search reindex``.
- ``forum/data/search_synonyms.txt``: one group of equivalent words or phrases per
  line; applied when searching only. Admins add or override groups in the
  ``search_synonyms`` table (``/admin/search/synonyms``) without a reindex.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
SPELLINGS_FILE = DATA / "search_spellings.txt"
SYNONYMS_FILE = DATA / "search_synonyms.txt"

#: A word as customers write it: letters/digits joined by apostrophes or hyphens
#: ("can't", "Wi-Fi", "e-SIM", "top-up").
WORD_PATTERN = r"\w+(?:['’ʼ\-‐]\w+)*"
_WORD = re.compile(WORD_PATTERN)
_APOSTROPHES = re.compile(r"['’ʼ]")
_HYPHENS = re.compile(r"[\-‐]")

#: Words that carry no meaning in a customer's question; dropped from queries (not from
#: the index) so that "my", "today" or "how do I" never decide what matches.
QUERY_STOP_WORDS = frozenset("""
a about after again all also am an and any anyone anything are as at be been but by can could did do does doing
dont for from get getting got had has have having hello help hi how i if im in into is it its ive just keep me
my myself need now of on or our please should so some someone still than thanks that the their them then there
these they this to today too trying us very want was we were what whats when where which who why will with would
yet you your yesterday tomorrow week since ago
""".split())


@functools.cache
def spellings() -> dict[str, str]:
    out = {}
    for line in SPELLINGS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            variant, canonical = line.split()
            out[_fold(variant)] = _fold(canonical)
    return out


def _fold(text: str) -> str:
    """Lower case without accents or apostrophes ("Café" -> "cafe", "can't" -> "cant")."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _APOSTROPHES.sub("", text.casefold())


def normalise_word(word: str) -> list[str]:
    """One written word -> the forms to index: the folded, joined word first, then the
    parts of a hyphenated compound ("Wi-Fi" -> ["wifi", "wi", "fi"])."""
    folded = _fold(word)
    parts = [p for p in _HYPHENS.split(folded) if p]
    joined = "".join(parts)
    if not joined:
        return []
    joined = spellings().get(joined, joined)
    if len(parts) > 1:
        return [joined] + [spellings().get(p, p) for p in parts]
    return [joined]


def words(text: str) -> list[str]:
    """The normalised, joined words of ``text`` in order (no stemming, no stop words)."""
    out = []
    for match in _WORD.finditer(text):
        forms = normalise_word(match.group())
        if forms:
            out.append(forms[0])
    return out


def parse_groups(text: str) -> list[tuple[str, ...]]:
    """Synonym groups from the file format: one comma-separated group per line."""
    groups = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        entries = tuple(dict.fromkeys(" ".join(words(e)) for e in line.split(",")))
        entries = tuple(e for e in entries if e)
        if len(entries) >= 2:
            groups.append(entries)
    return groups


@functools.cache
def shipped_groups() -> tuple[tuple[str, ...], ...]:
    return tuple(parse_groups(SYNONYMS_FILE.read_text(encoding="utf-8")))


def merge_groups(shipped, overrides: list[tuple[str, tuple[str, ...]]]) -> list[tuple[str, ...]]:
    """The shipped groups with admins' overrides applied. An override is ``(key,
    entries)``: it replaces the shipped group(s) containing ``key`` (entries empty:
    removes them), or adds a new group."""
    groups = [tuple(g) for g in shipped]
    for key, entries in overrides:
        groups = [g for g in groups if key not in g]
        group = tuple(dict.fromkeys((key, *entries)))
        if entries and len(group) >= 2:
            groups.append(group)
    return groups


class Synonyms:
    """Longest-match lookup of synonym entries in a query's word sequence."""

    def __init__(self, groups):
        self._by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        self.groups = [tuple(tuple(e.split()) for e in g) for g in groups]
        for index, group in enumerate(self.groups):
            for entry in group:
                self._by_first.setdefault(entry[0], []).append((entry, index))
        for options in self._by_first.values():
            options.sort(key=lambda o: -len(o[0]))

    def match(self, seq: list[str], start: int) -> tuple[int, list[tuple[str, ...]]] | None:
        """If an entry starts at ``seq[start]``: (its length, the other entries of its group)."""
        for entry, index in self._by_first.get(seq[start], ()):
            if tuple(seq[start:start + len(entry)]) == entry:
                return len(entry), [e for e in self.groups[index] if e != entry]
        return None
