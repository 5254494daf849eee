"""Two-factor sign-in: TOTP codes from an authenticator app, and recovery codes.

* **Who needs it.** Every staff role (moderator, Customer Care, executive, admin) when
  ``STAFF_2FA_REQUIRED`` is on (the default); members who opt in from /settings.
* **The second step lives on the session row.** :func:`needed_at_sign_in` decides, when
  the session is opened, whether ``UserSession.needs_second_factor`` is set. While it is,
  the session may only use the two-factor pages and sign out (the gate in
  ``forum.accounts.two_factor_views``), and ``forum.permissions`` treats the account as
  not signed in. A staff account that has not enrolled is sent to the enrolment page.
* **Enrolment** writes nothing until the first code is right: the secret shown is derived
  from the app's secret key, the account and the session (:func:`enrolment_secret`), so
  the GET that shows the QR code stores nothing and a reload shows the same code.
* **Codes work once.** A TOTP code is accepted for its 30-second step and the steps on
  either side; ``TwoFactor.last_step`` is moved forward by a guarded UPDATE, so the same
  code (or an older one) is refused afterwards, even by two concurrent requests. Recovery
  codes are stored as SHA-256 and marked used by a guarded UPDATE as well.
* **Throttled** per account and per IP (``forum.accounts.throttle``).

Services flush; the caller commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, select, update

from forum.accounts import sessions
from forum.actions import ActionError, Conflict, PermissionDenied
from forum.audit import log_action
from forum.extensions import db
from forum.models import RecoveryCode, TwoFactor, User, UserSession
from forum.models.base import utcnow
from forum.permissions import can_reset_two_factor
from forum.text import clean_reason

STEP_SECONDS = 30
RECOVERY_COUNT = 10
#: Recovery code letters: no 0/o, 1/l/i, so they can be read back from paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
#: Longest input looked at (a code with spaces or a recovery code with its hyphen).
CODE_INPUT_MAX = 32

CODE_FORMAT_MESSAGE = "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
WRONG_CODE_MESSAGE = "That code is not right. Check the time on your phone and enter the code shown now."
REPLAYED_CODE_MESSAGE = "That code has already been used. Wait for the next code in your app and enter it."

_SPACES = re.compile(r"[\s\-]+")


class TwoFactorError(ActionError):
    """A code refused (wrong, reused, badly formed), shown on the ``code`` field."""

    def __init__(self, message: str, field: str = "code", status: int = 422):
        super().__init__(message, field=field, status=status)


# --- who needs what --------------------------------------------------------------------


def required_for(user: User) -> bool:
    """Staff roles must use two-factor sign-in (unless ``STAFF_2FA_REQUIRED`` is off)."""
    return bool(user.is_staff and current_app.config.get("STAFF_2FA_REQUIRED", True))


def enrolment(user: User) -> TwoFactor | None:
    return db.session.get(TwoFactor, user.id)


def is_enrolled(user: User) -> bool:
    return enrolment(user) is not None


def needed_at_sign_in(user: User) -> bool:
    """Whether a new session starts with its second step still to pass."""
    return is_enrolled(user) or required_for(user)


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ) or 0


# --- enrolment -------------------------------------------------------------------------


def enrolment_secret(user: User, session_id: int | None) -> str:
    """The secret offered to ``user`` in this session (stable across reloads, new for
    every session and never stored until confirmed)."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, f"forum-totp-enrolment:{user.id}:{session_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI the QR code holds (also shown as text for manual entry)."""
    issuer = current_app.config.get("TWO_FACTOR_ISSUER") or current_app.config["BRAND_NAME"]
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=user.username, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """The QR code as an SVG ``data:`` URI for an ``<img>`` (CSP allows ``img-src data:``)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def confirm_enrolment(user: User, *, secret: str, code: str, session_id: int | None) -> list[str]:
    """Store the authenticator once its first code is right; returns the ten recovery
    codes (in clear, to show once). The session counts as having passed its second step."""
    if is_enrolled(user):
        raise Conflict("Two-factor sign-in is already on for your account.", field="code")
    kind, value = parse_code(code)
    if kind != "totp":
        raise TwoFactorError("Enter the 6-digit code your authenticator app shows for this account.")
    step = _matching_step(secret, value)
    if step is None:
        raise TwoFactorError(WRONG_CODE_MESSAGE)
    db.session.add(TwoFactor(user_id=user.id, secret=secret, last_step=step))
    codes = _new_recovery_codes(user)
    _mark_passed(session_id)
    sessions.record_event(user.id, "two_factor_enabled")
    db.session.flush()
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


# --- the second step -------------------------------------------------------------------


def parse_code(raw: object) -> tuple[str, str]:
    """``("totp", "123456")`` or ``("recovery", "abcde23456")``; anything else is a
    :class:`TwoFactorError` with a plain message (never a 500)."""
    text = raw if isinstance(raw, str) else ""
    if len(text) > CODE_INPUT_MAX:
        raise TwoFactorError(f"A code is at most {CODE_INPUT_MAX} characters long. " + CODE_FORMAT_MESSAGE)
    value = _SPACES.sub("", text).lower()
    if not value:
        raise TwoFactorError(CODE_FORMAT_MESSAGE)
    if len(value) == 6 and value.isascii() and value.isdigit():
        return "totp", value
    if len(value) == RECOVERY_LENGTH and all(ch in RECOVERY_ALPHABET for ch in value):
        return "recovery", value
    raise TwoFactorError(CODE_FORMAT_MESSAGE)


def verify_second_step(user: User, code: str, *, session_id: int | None) -> str:
    """Check a code for a signed-in session's second step; returns ``"totp"`` or
    ``"recovery"``. A code is accepted once: a replay within its window is refused."""
    factor = enrolment(user)
    if factor is None:
        raise TwoFactorError("Two-factor sign-in is not set up for this account.")
    kind, value = parse_code(code)
    if kind == "totp":
        step = _matching_step(factor.secret, value)
        if step is None:
            raise TwoFactorError(WRONG_CODE_MESSAGE)
        moved = db.session.execute(
            update(TwoFactor).where(TwoFactor.user_id == user.id, TwoFactor.last_step < step)
            .values(last_step=step).execution_options(synchronize_session=False)
        ).rowcount
        if not moved:
            raise TwoFactorError(REPLAYED_CODE_MESSAGE)
    else:
        used = db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(value), RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow()).execution_options(synchronize_session=False)
        ).rowcount
        if not used:
            raise TwoFactorError("That recovery code is not right, or it has been used already.")
        sessions.record_event(user.id, "recovery_code_used")
    _mark_passed(session_id)
    db.session.flush()
    return kind


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (the current one, or one either side for clock drift) whose code is
    ``code``; compared in constant time."""
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _mark_passed(session_id: int | None) -> None:
    if session_id is None:
        return
    db.session.execute(update(UserSession).where(UserSession.id == session_id).values(needs_second_factor=False)
                       .execution_options(synchronize_session=False))


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


# --- turning it off --------------------------------------------------------------------


def disable(user: User, *, code: str) -> None:
    """A member turns two-factor sign-in off with a current code (staff cannot while it
    is required)."""
    if required_for(user):
        raise PermissionDenied("Staff accounts must keep two-factor sign-in on.", field="code")
    factor = enrolment(user)
    if factor is None:
        raise TwoFactorError("Two-factor sign-in is not on for your account.")
    verify_second_step(user, code, session_id=None)
    _remove(user)
    sessions.record_event(user.id, "two_factor_disabled")
    db.session.flush()


def _remove(user: User) -> bool:
    removed = db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id)).rowcount
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    return bool(removed)


def reset_by_admin(target: User, *, actor: User | None, reason: str) -> bool:
    """An administrator removes a member's authenticator (a lost phone): the member is
    signed out everywhere and enrols again at the next sign-in. Logged with its reason
    (``reset_two_factor`` in the moderation log). Returns whether 2FA was on."""
    if actor is not None and not can_reset_two_factor(actor, target):
        raise PermissionDenied("Only administrators can reset another account's two-factor sign-in.")
    reason = clean_reason(reason, required=True, required_message="A reason is required to reset two-factor sign-in.",
                          error=ActionError)
    was_on = _remove(target)
    sessions.end_sessions(target.id, reason="two_factor_reset")
    sessions.record_event(target.id, "two_factor_reset_by_staff")
    db.session.flush()
    log_action(actor, "reset_two_factor", target_type="user", target_id=target.id, reason=reason,
               subject_user=target, summary="two-factor sign-in reset" if was_on else "two-factor sign-in was not on")
    return was_on
