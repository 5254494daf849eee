"""Read the shared hostile-input corpora (``shared/security/*.txt``, next to the repo).

Format (see ``shared/security/SOURCES.md``): one entry per line; blank lines and lines
starting with ``#`` are skipped, ``#@ category:`` / ``#@ source:`` tag the entries
below them. Entry encodings:

- ``b64:<base64>``: UTF-8 text holding newlines, NUL, a leading ``#`` or edge whitespace;
- ``gen:repeat:<s>:<n>``: ``s`` repeated ``n`` times;
- ``gen:nested:<open>:<close>:<n>``: ``open * n + "x" + close * n``;
- ``bytes:<percent-encoded>``: raw, possibly invalid UTF-8, to be sent percent-encoded.

Every other line is taken literally. ``bytes:`` entries come back as :class:`bytes`,
everything else as :class:`str`; :func:`form_body` builds a form body from either.

Usage::

    from tests.corpus import SECURITY_DIR, load_corpus, form_body

    entries = load_corpus("xss-payloads.txt")   # skips the test if the file is absent
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_from_bytes, unquote_to_bytes

#: ``<checkout>/../shared/security``: the corpora live beside the repository.
SECURITY_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "security"


@dataclass(frozen=True)
class Entry:
    value: str | bytes
    line: int
    category: str = ""
    source: str = ""

    @property
    def text(self) -> str:
        """The entry as text (invalid UTF-8 in ``bytes:`` entries replaced)."""
        if isinstance(self.value, bytes):
            return self.value.decode("utf-8", "replace")
        return self.value

    def __str__(self) -> str:  # for assertion messages
        return f"line {self.line} [{self.category}]: {self.value!r:.120}"


class CorpusFormatError(ValueError):
    pass


def _decode(payload: str, lineno: int) -> str | bytes:
    if payload.startswith("b64:"):
        try:
            return base64.b64decode(payload[4:], validate=True).decode("utf-8")
        except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
            raise CorpusFormatError(f"line {lineno}: bad b64 entry: {exc}") from exc
    if payload.startswith("bytes:"):
        return unquote_to_bytes(payload[6:])
    if payload.startswith("gen:repeat:"):
        # The count is after the last colon, so the repeated string may hold colons.
        s, sep, n = payload[len("gen:repeat:") :].rpartition(":")
        if not sep or not n.isdigit():
            raise CorpusFormatError(f"line {lineno}: expected gen:repeat:<s>:<n>")
        return s * int(n)
    if payload.startswith("gen:nested:"):
        parts = payload[len("gen:nested:") :].rsplit(":", 2)
        if len(parts) != 3 or not parts[2].isdigit():
            raise CorpusFormatError(f"line {lineno}: expected gen:nested:<open>:<close>:<n>")
        opening, closing, n = parts[0], parts[1], int(parts[2])
        return opening * n + "x" + closing * n
    return payload


def parse_corpus(text: str) -> list[Entry]:
    """Parse corpus text into entries (see the module docstring for the format)."""
    entries: list[Entry] = []
    category = source = ""
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.startswith("#@"):
            key, _, value = line[2:].partition(":")
            if key.strip() == "category":
                category = value.strip()
            elif key.strip() == "source":
                source = value.strip()
            continue
        if not line or line.startswith("#"):
            continue
        entries.append(Entry(_decode(line, lineno), lineno, category, source))
    return entries


def load_corpus(name: str, directory: Path | None = None) -> list[Entry]:
    """Entries of ``shared/security/<name>``; skips the calling test when the file is
    not there (a checkout without the shared folder)."""
    path = (directory or SECURITY_DIR) / name
    if not path.is_file():
        import pytest

        pytest.skip(f"security corpus {path} not found (expected in shared/security next to the repository)")
    return parse_corpus(path.read_text("utf-8"))


def form_body(fields: dict[str, str | bytes]) -> bytes:
    """An ``application/x-www-form-urlencoded`` body; ``bytes`` values are
    percent-encoded as they are, so invalid UTF-8 reaches the server untouched."""
    pairs = []
    for key, value in fields.items():
        raw = value if isinstance(value, bytes) else value.encode("utf-8")
        pairs.append(f"{quote_from_bytes(key.encode())}={quote_from_bytes(raw, safe='')}")
    return "&".join(pairs).encode("ascii")


__all__ = ["SECURITY_DIR", "CorpusFormatError", "Entry", "form_body", "load_corpus", "parse_corpus"]
