"""Reply addresses: ``<prefix>+<token>@<MAIL_REPLY_DOMAIN>``, one per recipient.

The token is a compact itsdangerous :class:`~itsdangerous.TimestampSigner` value
``<user id><t|c><target id>.<time>.<signature>``: it names the member it was sent to
and the topic (``t``) or private conversation (``c``) it answers, and it expires after
``MAIL_REPLY_MAX_AGE`` seconds. Signed with the app's secret key and its own salt, so
no other signed link of the site can be passed off as one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import getaddresses

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

SALT = "forum.mailin.reply-address"
TOPIC, CONVERSATION = "t", "c"
_VALUE_RE = re.compile(r"([1-9]\d{0,11})([tc])([1-9]\d{0,11})")
#: A token as it may appear in a local part (base64url letters, digits, ``-_`` and dots).
_TOKEN_CHARS = r"[A-Za-z0-9_\-.]{1,200}"  # noqa: S105 - a pattern, not a password


@dataclass(frozen=True)
class ReplyTarget:
    user_id: int
    kind: str  # TOPIC or CONVERSATION
    target_id: int


class TokenInvalid(ValueError):
    """The token was not made by this site (or was changed)."""


class TokenExpired(TokenInvalid):
    """A real token, older than ``MAIL_REPLY_MAX_AGE``."""


def enabled() -> bool:
    """Whether reply by email is configured (``MAIL_REPLY_DOMAIN``)."""
    return bool(current_app.config.get("MAIL_REPLY_DOMAIN"))


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user_id: int, kind: str, target_id: int) -> str:
    if kind not in (TOPIC, CONVERSATION):
        raise ValueError(kind)
    return _signer().sign(f"{int(user_id)}{kind}{int(target_id)}").decode()


def read_token(token: str) -> ReplyTarget:
    """The target a token names. Raises :class:`TokenExpired` or :class:`TokenInvalid`."""
    try:
        value = _signer().unsign(token, max_age=int(current_app.config["MAIL_REPLY_MAX_AGE"]))
    except SignatureExpired as exc:
        raise TokenExpired(str(exc)) from exc
    except (BadSignature, UnicodeError, ValueError) as exc:
        raise TokenInvalid(str(exc)) from exc
    match = _VALUE_RE.fullmatch(value.decode("ascii", "replace"))
    if match is None:
        raise TokenInvalid("unexpected value")
    return ReplyTarget(int(match.group(1)), match.group(2), int(match.group(3)))


def reply_address(user_id: int, kind: str, target_id: int) -> str | None:
    """The member's reply address for a topic or conversation; ``None`` when reply by
    email is off."""
    if not enabled():
        return None
    cfg = current_app.config
    return f"{cfg['MAIL_REPLY_PREFIX']}+{make_token(user_id, kind, target_id)}@{cfg['MAIL_REPLY_DOMAIN']}"


def _address_re() -> re.Pattern:
    cfg = current_app.config
    return re.compile(
        rf"{re.escape(cfg['MAIL_REPLY_PREFIX'])}\+({_TOKEN_CHARS})@{re.escape(cfg['MAIL_REPLY_DOMAIN'])}",
        re.IGNORECASE,
    )


def token_in_address(address: str | None) -> str | None:
    """The token in ``address`` when it is one of our reply addresses, else ``None``.
    The local part keeps its case (the signature is case-sensitive); the prefix and the
    domain match in any case."""
    if not address or not enabled():
        return None
    match = _address_re().fullmatch(address.strip().strip("<>").strip())
    return match.group(1) if match else None


def find_token(msg, recipient: str | None = None) -> str | None:
    """The reply token a message was sent to: the envelope ``recipient`` when the MTA
    passes it, else the first reply address in ``Delivered-To``, ``X-Original-To``,
    ``To`` or ``Cc``."""
    if recipient:
        return token_in_address(recipient)
    for header in ("Delivered-To", "X-Original-To", "To", "Cc"):
        try:
            values = msg.get_all(header) or []
            pairs = getaddresses([str(v) for v in values])
        except (TypeError, ValueError, IndexError):  # a malformed header: try the next one
            continue
        for _name, address in pairs:
            token = token_in_address(address)
            if token:
                return token
    return None


_CONVERSATION_PATH_RE = re.compile(r"/messages/([1-9]\d{0,11})")


def reply_headers(user, *, topic_id: int | None = None, url: str | None = None, kind: str | None = None) -> dict[str, str]:
    """``{"Reply-To": ...}`` for a notification mail to ``user`` about a topic (its
    ``topic_id``) or a private conversation (a ``message`` notification whose ``url`` is
    the conversation's); ``{}`` when reply by email is off, the mail is about neither, or
    the member is staff and ``MAIL_REPLY_STAFF`` is off."""
    if not enabled() or (user.is_staff and not current_app.config.get("MAIL_REPLY_STAFF")):
        return {}
    if topic_id is not None:
        address = reply_address(user.id, TOPIC, topic_id)
    elif kind == "message" and url and (match := _CONVERSATION_PATH_RE.fullmatch(url)):
        address = reply_address(user.id, CONVERSATION, int(match.group(1)))
    else:
        return {}
    return {"Reply-To": address} if address else {}
