"""Replies by email: an incoming message becomes a post in the topic, or a message in
the private conversation, that its reply address names (:mod:`forum.mailin.tokens`).

:func:`receive` is the one entry point (``forum mail receive`` and the SMTP receiver
both call it). It is its own boundary, like a CLI command: it commits once. Every mail
writes one :class:`~forum.models.InboundMail` row in the same transaction as the post
or the bounce, keyed by its Message-ID and reply token, so a redelivered mail does
nothing twice.

Replies go through the existing services (``forum.topics.services.reply_to_topic``,
``forum.messages.services.send_message``) and so through the same permission
predicates; the posting limits (``forum.topics.ratelimit``) and the personal-data
guard (``forum.personal_data``) apply as on the reply form. Where the form would show
an error, a mail gets ONE bounce that explains it (``forum.mail.queue_mail``, after
the commit). Automatic mail (bounces, out-of-office replies, lists) is never answered.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from forum import actions
from forum.extensions import db
from forum.mail import queue_mail
from forum.mailin import parsing, tokens
from forum.messages import services as message_services
from forum.models import Conversation, InboundMail, Topic, User
from forum.models.base import utcnow
from forum.permissions import (
    can_read_conversation,
    can_reply_to_conversation,
    can_reply_to_topic,
    can_view_topic,
    suspension_message,
)
from forum.personal_data import find_personal_data
from forum.topics import services as topic_services
from forum.topics.ratelimit import breach_message, charge_posting

POSTED, REFUSED, IGNORED, DUPLICATE = "posted", "refused", "ignored", "duplicate"
#: An address a bounce may go to: one plain ``local@domain``, nothing a header could trip on.
_PLAIN_ADDRESS_RE = re.compile(r"[^@\s<>,;:\"()\[\]\\]{1,64}@[a-z0-9](?:[a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}")

#: Why a reply was refused: the bounce's explanation (``{brand}``, ``{site}`` filled in).
REASONS = {
    "no_address": "This address does not take replies. To answer, use the reply address of a notification "
                  "email, or reply on the website: {site}",
    "bad_token": "This reply address is not valid (it may have been changed or cut). Reply on the website "
                 "instead: {site}",
    "expired": "This reply address has expired: reply addresses work for {days} days after the notification "
               "was sent. Reply on the website instead: {site}",
    "unknown_sender": "This reply address belongs to another account, so we could not tell who wrote. Send your "
                      "reply from the email address of your {brand} account, or reply on the website: {site}",
    "staff": "Staff accounts cannot reply by email (their replies need the website's sign-in with two factors). "
             "Reply on the website: {site}",
    "gone": "The topic or conversation you replied to is no longer there. Have a look on the website: {site}",
    "locked": "The topic is locked, so it takes no more replies: {url}",
    "closed": "This conversation is closed. Reopen it on the website to write again: {url}",
    "suspended": "{suspension}",
    "not_allowed": "Your account cannot reply there right now (has your email address been confirmed?). "
                   "Have a look on the website: {url}",
    "empty": "We found no text in your reply (quoted history and signatures are left out). Write your reply "
             "above the quoted message and send it again.",
    "too_long": "Your reply is too long: {limit}. Shorten it and send it again, or post it on the website: {url}",
    "personal_data": "Your reply seems to contain {findings}, and replies are public. Nothing was posted. To share "
                     "it with Customer Care privately, write to them here: {private}\n\nIf it was no personal "
                     "data, post it on the website instead (you can confirm it there): {url}",
    "rate_limited": "{limit}",
    "refused": "Your reply could not be posted: {message}",
}


@dataclass
class Outcome:
    """What became of one message: ``status`` is :data:`POSTED`, :data:`REFUSED`,
    :data:`IGNORED` or :data:`DUPLICATE`; ``reason`` a key of :data:`REASONS` (or
    why it was ignored); ``url`` where the reply landed; ``bounced`` whether a bounce
    was queued."""

    status: str
    reason: str | None = None
    url: str | None = None
    bounced: bool = False


class NotAMessage(ValueError):
    """The input is not an email message at all (the MTA should bounce it: EX_DATAERR)."""


class _Refusal(Exception):
    def __init__(self, reason: str, **details: str):
        super().__init__(reason)
        self.reason = reason
        self.details = details


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (TypeError, ValueError, IndexError):  # a header the parser cannot read
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _address(value: str) -> str:
    return parseaddr(value)[1].strip().lower() if value else ""


def automatic_reason(msg: EmailMessage, envelope_sender: str | None) -> str | None:
    """Why the message is automatic and must never be answered (RFC 3834), else ``None``:
    a bounce (null return path), ``Auto-Submitted``, a list or bulk ``Precedence``, an
    auto-responder's own headers, or a mailer daemon."""
    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return "null_sender"
    if _header(msg, "Return-Path").replace(" ", "") == "<>":
        return "null_sender"
    if _header(msg, "Auto-Submitted").lower() not in ("", "no"):
        return "auto_submitted"
    if _header(msg, "Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return "precedence"
    if any(_header(msg, h) for h in ("X-Autoreply", "X-Autorespond")):
        return "auto_reply"
    if _header(msg, "List-Id"):
        return "list"
    sender = _address(_header(msg, "From"))
    local = sender.split("@", 1)[0]
    if not sender or local in ("mailer-daemon", "postmaster"):
        return "daemon"
    if local.split("+", 1)[0] == current_app.config["MAIL_REPLY_PREFIX"].lower() and "+" in local:
        return "ourselves"
    if sender == _address(current_app.config["MAIL_SENDER"]):
        return "ourselves"
    return None


def _bounce_address(msg: EmailMessage, envelope_sender: str | None) -> str:
    """Where a bounce goes: the envelope sender when the MTA gives it, else the
    ``Return-Path``, else the ``From``; never one of our own addresses."""
    for candidate in (envelope_sender, _header(msg, "Return-Path"), _header(msg, "From")):
        address = _address(candidate or "")
        if _PLAIN_ADDRESS_RE.fullmatch(address):
            break
    else:
        return ""
    domain = address.rsplit("@", 1)[1]
    ours = {(current_app.config.get("MAIL_REPLY_DOMAIN") or "").lower(), _address(current_app.config["MAIL_SENDER"])}
    if domain in ours or address in ours:
        return ""
    return address


def _site(path: str = "") -> str:
    return (current_app.config.get("SITE_URL") or "").rstrip("/") + path


def _explain(reason: str, details: dict[str, str]) -> str:
    values = {
        "brand": current_app.config["BRAND_NAME"], "site": _site("/"), "url": _site("/"), "private": _site("/messages/new"),
        "days": str(int(current_app.config["MAIL_REPLY_MAX_AGE"]) // 86400), "findings": "personal data",
        "limit": "", "message": "", "suspension": "",
    }
    values.update(details)
    return REASONS[reason].format(**values)


def _queue_bounce(msg: EmailMessage, to: str, reason: str, details: dict[str, str], key_hash: str) -> None:
    brand = current_app.config["BRAND_NAME"]
    subject = " ".join(_header(msg, "Subject").split())[:150]
    body = (
        f"Hello,\n\nYour email{f' “{subject}”' if subject else ''} was not posted on {brand}.\n\n"
        + _explain(reason, details)
        + "\n\nThis is an automatic message; replies to it are not read.\n"
    )
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All", "Precedence": "auto_reply"}
    message_id = _header(msg, "Message-ID")
    if message_id:
        headers["In-Reply-To"] = message_id
        headers["References"] = message_id
    queue_mail(to, f"[{brand}] Your reply was not posted", body, headers=headers, key=f"mailin-bounce:{key_hash}")


def _bounces_left(address_hash: str) -> bool:
    since = utcnow() - timedelta(hours=1)
    sent = db.session.scalar(
        select(func.count(InboundMail.id)).where(InboundMail.bounce_hash == address_hash, InboundMail.created_at >= since)
    )
    return sent < int(current_app.config["MAIL_BOUNCES_PER_HOUR"])


def _target(target: tokens.ReplyTarget, user: User):
    """Load what the token names and check the member may write there (the same
    predicates as the pages). Raises :class:`_Refusal`."""
    if target.kind == tokens.TOPIC:
        topic = db.session.get(Topic, target.target_id)
        if topic is None or not can_view_topic(user, topic):
            raise _Refusal("gone")
        url = _site(f"/t/{topic.id}-{topic.slug}")
        if not can_reply_to_topic(user, topic):
            if user.is_suspended:
                raise _Refusal("suspended", suspension=suspension_message(user) or "", url=url)
            if topic.is_locked:
                raise _Refusal("locked", url=url)
            raise _Refusal("not_allowed", url=url)
        return topic, url
    conversation = db.session.get(Conversation, target.target_id)
    if conversation is None or not can_read_conversation(user, conversation):
        raise _Refusal("gone")
    url = _site(message_services.conversation_url(conversation))
    if not can_reply_to_conversation(user, conversation):
        if user.is_suspended:
            raise _Refusal("suspended", suspension=suspension_message(user) or "", url=url)
        if conversation.is_closed:
            raise _Refusal("closed", url=url)
        raise _Refusal("not_allowed", url=url)
    return conversation, url


def _post(msg: EmailMessage, target: tokens.ReplyTarget, user: User, *, truncated: bool) -> str:
    """Write the reply; returns where it landed (a site path). Raises :class:`_Refusal`."""
    obj, url = _target(target, user)
    if truncated:
        raise _Refusal("too_long", url=url, limit=f"mails are at most {current_app.config['MAIL_INBOUND_MAX_BYTES']:,} bytes")
    try:
        body = parsing.reply_text(msg)
    except parsing.NoText:
        raise _Refusal("empty") from None
    if not body.strip():
        raise _Refusal("empty")
    if isinstance(obj, Topic):
        if len(body) > topic_services.BODY_MAX:
            raise _Refusal("too_long", url=url, limit=topic_services.BODY_LENGTH_MESSAGE.rstrip("."))
        findings = find_personal_data(body)
        if findings:
            raise _Refusal("personal_data", url=url, findings=" and ".join(findings),
                           private=_site(f"/messages/new?topic={obj.id}"))
        reset_at = charge_posting(user, obj)
        if reset_at is not None:
            raise _Refusal("rate_limited", limit=breach_message(reset_at).replace(" Your text is kept below.", ""))
        post = topic_services.reply_to_topic(obj, author=user, body=body)
        return f"/p/{post.id}"
    if len(body) > message_services.MESSAGE_MAX:
        raise _Refusal("too_long", url=url, limit=message_services.MESSAGE_TOO_LONG.rstrip("."))
    message_services.send_message(obj, author=user, body=body)
    return message_services.conversation_url(obj)


def _check_sender(msg: EmailMessage, target: tokens.ReplyTarget) -> User:
    """The member the token names, when the mail is from their address."""
    user = db.session.get(User, target.user_id)
    if user is None or user.is_deleted:
        raise _Refusal("gone")
    if _address(_header(msg, "From")) != (user.email or "").strip().lower():
        raise _Refusal("unknown_sender")
    if user.is_staff and not current_app.config.get("MAIL_REPLY_STAFF"):
        raise _Refusal("staff")
    return user


def parse(raw: bytes) -> EmailMessage:
    """Parse an RFC 5322 message; raises :class:`NotAMessage` for anything that is not one."""
    if not raw or not raw.strip():
        raise NotAMessage("empty input")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if not (msg.get("From") or msg.get("To") or msg.get("Message-ID")) or not msg.keys():
        raise NotAMessage("no mail headers")
    return msg


def receive(raw: bytes, *, recipient: str | None = None, sender: str | None = None) -> Outcome:
    """Handle one incoming message and commit. ``recipient`` and ``sender`` are the
    envelope's, when the MTA gives them. Messages bigger than ``MAIL_INBOUND_MAX_BYTES``
    are read only that far and refused as too long. Raises :class:`NotAMessage`."""
    limit = int(current_app.config["MAIL_INBOUND_MAX_BYTES"])
    truncated = len(raw) > limit
    msg = parse(raw[:limit])
    token = tokens.find_token(msg, recipient)
    message_id = _header(msg, "Message-ID") or "sha256:" + hashlib.sha256(raw).hexdigest()
    key_hash = _sha(f"{message_id}\n{token or ''}")
    if db.session.scalar(select(InboundMail.id).where(InboundMail.key_hash == key_hash)) is not None:
        return Outcome(DUPLICATE)
    record = InboundMail(key_hash=key_hash, created_at=utcnow())
    try:
        outcome = _handle(msg, token, sender, record, truncated=truncated)
    except (_Refusal, actions.ActionError) as exc:
        db.session.rollback()  # a refusal stores nothing but its record (and the bounce)
        if isinstance(exc, _Refusal):
            reason, details = exc.reason, exc.details
        else:
            reason, details = "refused", {"message": exc.message}
        record = InboundMail(key_hash=key_hash, created_at=utcnow(), user_id=getattr(exc, "user_id", None))
        outcome = _refuse(msg, sender, record, key_hash, reason, details)
    record.outcome, record.reason, record.result_url = outcome.status, outcome.reason, outcome.url
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:  # the same mail, delivered twice at once: the other one won
        db.session.rollback()
        return Outcome(DUPLICATE)
    return outcome


def _handle(msg: EmailMessage, token: str | None, sender: str | None, record: InboundMail, *, truncated: bool) -> Outcome:
    """Post the reply, or raise :class:`_Refusal` (or the services' ``ActionError``)."""
    automatic = automatic_reason(msg, sender)
    if automatic:
        return Outcome(IGNORED, automatic)
    if token is None:
        raise _Refusal("no_address")
    try:
        target = tokens.read_token(token)
    except tokens.TokenExpired:
        raise _Refusal("expired") from None
    except tokens.TokenInvalid:
        raise _Refusal("bad_token") from None
    user = _check_sender(msg, target)
    record.user_id = user.id
    try:
        url = _post(msg, target, user, truncated=truncated)
    except (_Refusal, actions.ActionError) as exc:
        exc.user_id = user.id
        raise
    return Outcome(POSTED, url=url)


def _refuse(msg, sender, record: InboundMail, key_hash: str, reason: str, details: dict[str, str]) -> Outcome:
    """Queue the one bounce that explains a refusal, unless there is nowhere safe to
    send it or the address had its share of bounces this hour."""
    to = _bounce_address(msg, sender)
    if not to:
        return Outcome(REFUSED, reason)
    address_hash = _sha(to)
    if not _bounces_left(address_hash):
        current_app.logger.warning("mailin: bounce limit reached for an address; refusal %s not answered", reason)
        return Outcome(REFUSED, reason)
    record.bounce_hash = address_hash
    _queue_bounce(msg, to, reason, details, key_hash)
    return Outcome(REFUSED, reason, bounced=True)
