"""Names that pose as staff. A member's username or display name may not look like
the brand or a staff role: "O2 Support", "Staff", "Admin", "Moderator", "Customer Care"
or the brand name, compared after NFKC normalisation and case folding, ignoring
spaces and punctuation, so "ＡＤＭＩＮ", "Customer-Care" and "the_moderator" are caught.
"""

from __future__ import annotations

import re
import unicodedata

from flask import current_app, has_app_context

#: Single words that may not appear as a word of a member's name.
RESERVED_WORDS = ("staff", "admin", "administrator", "moderator", "official", "support", "helpdesk")
#: Phrases that may not appear anywhere in a member's name, spaces and punctuation ignored.
RESERVED_PHRASES = ("o2 support", "customer care", "customer service", "customer support", "head of customer care",
                    "community team", "community manager")

IMITATION_MESSAGE = "That name could be mistaken for our staff or brand (“{term}”). Please choose another."


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _squash(text: str) -> str:
    return "".join(ch for ch in _fold(text) if ch.isalnum())


def _words(text: str) -> list[str]:
    # Split on anything that is not a letter or digit, and between letters and digits,
    # so "admin2", "Admin_Team" and "staff.jo" all yield their words.
    folded = _fold(text)
    return [w for w in re.split(r"[\W_]+|(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)", folded) if w]


def _terms() -> tuple[tuple[str, ...], tuple[str, ...]]:
    phrases = list(RESERVED_PHRASES)
    words = list(RESERVED_WORDS)
    if has_app_context():
        cfg = current_app.config
        brand = cfg.get("BRAND_NAME") or ""
        if brand:
            phrases.append(brand)
            # "Connect Community": its distinctive first word alone is a brand too.
            first = _words(brand)[:1]
            if first and len(first[0]) >= 4:
                words.append(first[0])
        extra = cfg.get("STAFF_NAME_TERMS") or ()
        if isinstance(extra, str):
            extra = [t for t in extra.split(",") if t.strip()]
        phrases.extend(extra)
    return tuple(words), tuple(phrases)


def imitated_term(name: str) -> str | None:
    """The staff or brand term ``name`` imitates, or ``None`` when it is fine."""
    if not name:
        return None
    words, phrases = _terms()
    squashed = _squash(name)
    name_words = set(_words(name))
    for phrase in phrases:
        key = _squash(phrase)
        if key and key in squashed:
            return phrase
    for word in words:
        if word in name_words or squashed == word:
            return word
    return None


def check_not_imitating_staff(name: str) -> None:
    """Raise ``ValueError`` with a clear message when ``name`` poses as staff."""
    term = imitated_term(name)
    if term is not None:
        raise ValueError(IMITATION_MESSAGE.format(term=term))
