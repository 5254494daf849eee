"""Names that pose as staff. A member's username or display name may not look like
the brand or a staff role: "O2 Support", "Staff", "Admin", "Moderator", "Customer Care"
or the brand name, compared after NFKC normalisation and case folding, ignoring
spaces and punctuation, so "ＡＤＭＩＮ", "Customer-Care" and "the_moderator" are caught.

Look-alike letters (issue 18): names are also compared by their confusable *skeleton*
(UTS #39): accents dropped and every letter that looks like a Latin one replaced by it,
from the Unicode confusables data shipped by ``confusable_homoglyphs``. So "Custоmer
Care" and "Аdmin" with Cyrillic letters are caught like their Latin spelling, and a word
that mixes alphabets with look-alike letters is refused outright. A member's name may
not have the skeleton of a staff member's username or display name either.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables
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


MIXED_SCRIPT_MESSAGE = ("That name mixes look-alike letters from different alphabets in one word (“{word}”). "
                        "Please spell each word in one alphabet.")
STAFF_NAME_MESSAGE = "That name could be mistaken for a member of our staff. Please choose another."


@lru_cache(maxsize=1)
def _latin_prototypes() -> dict[str, str]:
    """Each non-ASCII character that looks like ASCII letters or digits, mapped to them
    (from the Unicode confusables table)."""
    table: dict[str, str] = {}
    for char, homoglyphs in confusables.confusables_data.items():
        if char.isascii():
            if char.isalnum():
                for entry in homoglyphs:
                    glyph = entry["c"].strip("\u200e\u200f")
                    if len(glyph) == 1 and not glyph.isascii():
                        table.setdefault(glyph, char.lower())
            continue
        for entry in homoglyphs:
            glyph = entry["c"].strip("\u200e\u200f")
            if glyph and glyph.isascii() and glyph.isalnum():
                table.setdefault(char, glyph.lower())
                break
    return table


def skeleton(text: str) -> str:
    """A UTS #39-style skeleton: NFKC, case folded, accents dropped, look-alike letters
    replaced by their Latin prototype, then only letters and digits kept."""
    table = _latin_prototypes()
    out = []
    for ch in unicodedata.normalize("NFD", _fold(text)):
        if unicodedata.combining(ch):
            continue
        out.append(table.get(ch, ch))
    return "".join(ch for ch in "".join(out).casefold() if ch.isalnum())


def mixed_script_word(name: str) -> str | None:
    """The first word that mixes alphabets using look-alike letters ("Custоmer" with a
    Cyrillic "о"), or ``None``. A word wholly in one alphabet is fine."""
    for word in re.split(r"[\W_]+", unicodedata.normalize("NFKC", name)):
        if word and confusables.is_mixed_script(word) and confusables.is_confusable(word, greedy=False):
            return word
    return None


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
    """The staff or brand term ``name`` imitates, or ``None`` when it is fine; spelt
    as it is or with look-alike letters."""
    if not name:
        return None
    words, phrases = _terms()
    squashed = _squash(name)
    skel = skeleton(name)
    name_words = set(_words(name)) | {skeleton(w) for w in _words(name)}
    for phrase in phrases:
        key = _squash(phrase)
        if key and (key in squashed or skeleton(phrase) in skel):
            return phrase
    for word in words:
        if word in name_words or squashed == word or skel == skeleton(word):
            return word
    return None


def staff_name_skeletons(*, except_user_id: int | None = None) -> set[str]:
    """Skeletons of every staff member's username and display name (one query; staff
    accounts are few)."""
    from sqlalchemy import select

    from forum.extensions import db
    from forum.models import STAFF_ROLES, User

    rows = db.session.execute(
        select(User.id, User.username, User.display_name).where(User.role.in_(STAFF_ROLES))).all()
    out = set()
    for uid, username, display_name in rows:
        if uid == except_user_id:
            continue
        out.update(skeleton(n) for n in (username, display_name) if n)
    out.discard("")
    return out


def check_not_imitating_staff(name: str, *, except_user_id: int | None = None) -> None:
    """Raise ``ValueError`` with a clear message when ``name`` poses as staff: a staff
    or brand term, a word mixing alphabets with look-alike letters, or the skeleton of
    a staff member's name."""
    term = imitated_term(name)
    if term is not None:
        raise ValueError(IMITATION_MESSAGE.format(term=term))
    word = mixed_script_word(name)
    if word is not None:
        raise ValueError(MIXED_SCRIPT_MESSAGE.format(word=word))
    if has_app_context() and skeleton(name) in staff_name_skeletons(except_user_id=except_user_id):
        raise ValueError(STAFF_NAME_MESSAGE)
