"""Rules for usernames, emails and passwords, shared by forms, services and the CLI."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from forum.actions import ActionError

USERNAME_MIN, USERNAME_MAX = 3, 30
PASSWORD_MIN = 10
PASSWORD_MAX = 256
EMAIL_MAX = 254

# Zero-width and invisible formatting characters that NFKC keeps, and the Hangul
# fillers: letters (so ``\w`` matches them) that render as nothing.
_INVISIBLE = re.compile("[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff\u00ad\u180e\u034f\u115f\u1160\u3164\uffa0]")
_ALLOWED_USERNAME = re.compile(r"^[\w.\-]+$")


class ValidationError(ActionError):
    """A rule was broken; the message is shown to the user as it is."""


def normalize_username(raw: str) -> str:
    """NFKC-normalise and trim; the displayed form of a username."""
    return unicodedata.normalize("NFKC", raw).strip()


def username_key(raw: str) -> str:
    """The uniqueness key: NFKC, then casefold, then NFKC again (casefold can
    denormalise)."""
    return unicodedata.normalize("NFKC", normalize_username(raw).casefold())


def email_key(email: str) -> str:
    return email.strip().lower()


def check_username(raw: str) -> str:
    """Return the normalised username or raise :class:`ValidationError`."""
    name = normalize_username(raw)
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name) or _INVISIBLE.search(name):
        raise ValidationError("Usernames cannot contain invisible or control characters.")
    if not USERNAME_MIN <= len(name) <= USERNAME_MAX:
        raise ValidationError(f"Usernames are {USERNAME_MIN} to {USERNAME_MAX} characters long.")
    if not _ALLOWED_USERNAME.match(name):
        raise ValidationError("Usernames may use letters, digits, '.', '-' and '_' only.")
    return name


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("forum").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_password(password: str, *, username: str = "", email: str = "") -> None:
    """Raise :class:`ValidationError` for a weak password. Never logs the password."""
    if len(password) < PASSWORD_MIN:
        raise ValidationError(f"Passwords must be at least {PASSWORD_MIN} characters long.")
    if len(password) > PASSWORD_MAX:
        raise ValidationError(f"Passwords must be at most {PASSWORD_MAX} characters long.")
    folded = password.casefold()
    if username and folded == username_key(username):
        raise ValidationError("Your password cannot be your username.")
    if email and (folded == email_key(email) or folded == email_key(email).split("@")[0]):
        raise ValidationError("Your password cannot be your email address.")
    if folded in common_passwords():
        raise ValidationError("That password is on a list of commonly used passwords. Please choose another.")
