"""Text hygiene: the one set of rules for what users type, for services and forms.

PostgreSQL text cannot hold NUL, so it is refused on every backend alike (with a
message, since it is invisible). One-line fields (titles, names, reasons) have their
whitespace collapsed; multi-line fields have their newlines normalised. A reason
for a staff action is one line of at most :data:`REASON_MAX` characters and, where
the action is public, required. The plain functions accept ``None`` so that they
double as WTForms ``filters``; the checking ones raise ``error`` (the feature's own
:class:`~forum.actions.ActionError` subclass, so its callers can tell them apart).
"""

from __future__ import annotations

import unicodedata

from forum.actions import ActionError

NUL_MESSAGE = "The text contains a NUL character (an invisible control code); remove it and try again."
REASON_MAX = 500
REASON_REQUIRED_MESSAGE = "Give a reason: it is shown publicly in the moderation log."
REASON_LENGTH_MESSAGE = f"Reasons are at most {REASON_MAX} characters long."


def collapse_whitespace(value: str | None) -> str:
    """One line: runs of whitespace (newlines and tabs included) become one space."""
    return " ".join((value or "").split())


def normalise_newlines(value: str | None) -> str:
    """Several lines: CRLF becomes LF."""
    return (value or "").replace("\r\n", "\n")


def refuse_nul(value: str, *, field: str | None = None, error: type[ActionError] = ActionError) -> str:
    """``value`` unchanged, or an :class:`ActionError` on ``field`` if it holds NUL."""
    if "\x00" in value:
        raise error(NUL_MESSAGE, field=field)
    return value


def clean_line(value: str | None, *, field: str | None = None, max_length: int | None = None,
               min_length: int = 0, length_message: str | None = None,
               error: type[ActionError] = ActionError) -> str:
    """A one-line field: whitespace collapsed, NUL refused, length checked."""
    value = collapse_whitespace(value)
    if (max_length is not None and len(value) > max_length) or len(value) < min_length:
        raise error(length_message or f"At most {max_length:,} characters.", field=field)
    return refuse_nul(value, field=field, error=error)


def clean_block(value: str | None, *, field: str | None = None, max_length: int | None = None,
                length_message: str | None = None, empty_message: str | None = None,
                error: type[ActionError] = ActionError) -> str:
    """A multi-line field: newlines normalised, NUL refused; ``empty_message`` makes
    it required (whitespace alone counts as empty)."""
    value = normalise_newlines(value)
    if empty_message is not None and not value.strip():
        raise error(empty_message, field=field)
    if max_length is not None and len(value) > max_length:
        raise error(length_message or f"At most {max_length:,} characters.", field=field)
    return refuse_nul(value, field=field, error=error)


def clean_reason(reason: str | None, *, required: bool = False, field: str = "reason",
                 required_message: str = REASON_REQUIRED_MESSAGE, error: type[ActionError] = ActionError) -> str:
    """The reason for a staff action: one line, at most :data:`REASON_MAX` characters,
    no NUL or other control character; ``required`` refuses an empty one."""
    reason = collapse_whitespace(reason)
    if any(unicodedata.category(ch) == "Cc" for ch in reason):
        raise error("The reason cannot contain control characters.", field=field)
    reason = clean_line(reason, field=field, max_length=REASON_MAX, length_message=REASON_LENGTH_MESSAGE, error=error)
    if required and not reason:
        raise error(required_message, field=field)
    return reason
