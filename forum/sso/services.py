"""Sign-in through a provider: who the verified ID token is, and which forum account it
opens. Services flush; the views commit (forum.actions.action).

* A provider account (provider, ``sub``) linked before signs in to its forum account.
* Else a **verified email match** links it: the provider says ``email_verified`` and a
  forum account has that address, verified too.
* Else the member chooses: a new account (their own username, the rules of
  registration) or an existing one, proved with its password.
* A staff provider sets the account's role from a claim at every sign-in
  (``OIDC_<NAME>_ROLE_MAP``; no mapped value: member), and its ``amr`` may vouch for
  MFA (``OIDC_MFA_AMR``): then the forum's own two-factor step is skipped.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass

from flask import current_app
from sqlalchemy import select

from forum.accounts import services as accounts
from forum.accounts import sessions
from forum.accounts.names import check_not_imitating_staff
from forum.accounts.validation import EMAIL_MAX, check_username, email_key
from forum.actions import ActionError, Conflict, PermissionDenied
from forum.extensions import db
from forum.models import ROLES, SsoLink, User
from forum.models.base import utcnow
from forum.permissions import can_sign_in_through_provider
from forum.sso.providers import Provider

SUBJECT_MAX = 255


class SsoError(ActionError):
    """A sign-in through a provider refused; the message is shown as it is."""


@dataclass
class Identity:
    """What a verified ID token says, kept (in the signed session) while the member
    chooses an account. The email is the member's own, never shown to anyone else."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    role: str | None  # staff providers: the role the claim maps to ("member" if none)
    mfa: bool
    suggested_username: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data) -> Identity | None:
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def role_from_claims(provider: Provider, claims) -> str | None:
    """The highest role the staff provider's claim maps to; ``member`` when none does.
    ``None`` for a member provider (it never changes roles)."""
    if not provider.staff:
        return None
    mapping = dict(provider.role_map)
    granted = {mapping[v] for v in _strings(claims.get(provider.role_claim)) if v in mapping}
    return max(granted, key=ROLES.index) if granted else "member"


def mfa_asserted(provider: Provider, claims) -> bool:
    """A staff provider's ``amr`` names a multi-factor method (``OIDC_MFA_AMR``)."""
    if not provider.staff:
        return False
    accepted = set(_strings(current_app.config.get("OIDC_MFA_AMR") or []))
    amr = claims.get("amr")  # a JSON array of case-sensitive strings (Authlib refuses other shapes)
    return isinstance(amr, list) and bool(set(_strings(amr)) & accepted)


def identity_from_claims(provider: Provider, claims) -> Identity:
    """The verified ID token's claims (Authlib checked signature, iss, aud, exp, nonce)."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > SUBJECT_MAX or "\x00" in subject:
        raise SsoError(f"{provider.label} sent an account id we cannot use.")
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip() or len(email) > EMAIL_MAX or "\x00" in email or "@" not in email:
        email = None
    suggested = claims.get("preferred_username") or claims.get("nickname") or ""
    suggested = suggested[:30] if isinstance(suggested, str) and "\x00" not in suggested else ""
    return Identity(provider=provider.name, subject=subject, email=email and email.strip(),
                    email_verified=claims.get("email_verified") is True and email is not None,
                    role=role_from_claims(provider, claims), mfa=mfa_asserted(provider, claims),
                    suggested_username=suggested)


def find_linked_user(identity: Identity) -> User | None:
    link = db.session.scalar(select(SsoLink).where(SsoLink.provider == identity.provider,
                                                   SsoLink.subject == identity.subject))
    if link is None:
        return None
    link.last_used_at = utcnow()
    return db.session.get(User, link.user_id)


def user_by_verified_email(identity: Identity) -> User | None:
    """The account whose verified address is the provider's verified address."""
    if not (identity.email and identity.email_verified):
        return None
    user = db.session.scalar(select(User).where(User.email_key == email_key(identity.email)))
    if user is None or user.is_deleted or user.email_verified_at is None:
        return None
    return user


def link(user: User, identity: Identity, provider: Provider, *, how: str) -> SsoLink:
    """Link the provider account to ``user`` (one link per provider and account)."""
    if db.session.scalar(select(SsoLink.id).where(SsoLink.user_id == user.id, SsoLink.provider == identity.provider)):
        raise Conflict(f"That forum account is already linked to another {provider.label} account.")
    row = SsoLink(user_id=user.id, provider=identity.provider, subject=identity.subject, linked_by=how)
    db.session.add(row)
    sessions.record_event(user.id, "sso_linked", provider.label)
    db.session.flush()
    return row


def link_with_password(identity: Identity, provider: Provider, *, login: str, password: str) -> User:
    """Link an existing account proved by its password."""
    user = accounts.authenticate(login, password)
    if user is None:
        raise SsoError("That username or email and password do not match an account.", field="password", status=422)
    link(user, identity, provider, how="password")
    return user


def create_account(identity: Identity, provider: Provider, *, username: str) -> User:
    """A new forum account with the member's chosen username and the provider's email.
    It has no usable password (a random one nobody knows); a reset link can set one."""
    try:
        name = check_username(username or "")
        if not provider.staff:  # members cannot pose as staff; the corporate IdP's people are staff
            check_not_imitating_staff(name)
    except ValueError as exc:
        raise SsoError(getattr(exc, "message", None) or str(exc), field="username", status=422) from exc
    if not identity.email:
        raise SsoError(f"{provider.label} did not share an email address, so we cannot create an account. "
                       "Link an existing account instead.", field="username", status=422)
    try:
        user = accounts.create_user(username=name, email=identity.email, password=secrets.token_urlsafe(32),
                                    verified=identity.email_verified)
    except accounts.AccountError as exc:
        if exc.field == "email":
            raise SsoError("We cannot create an account with the email address from "
                           f"{provider.label}. If you already have an account here, link it with its password.",
                           field="username", status=422) from exc
        raise SsoError(exc.message, field="username", status=422) from exc
    link(user, identity, provider, how="new_account")
    if not identity.email_verified:
        accounts.send_verification_mail(user)
    return user


def prepare_sign_in(user: User, identity: Identity, provider: Provider) -> bool:
    """Before the session opens: refuse what may not sign in this way, apply a staff
    provider's role. Returns whether the forum's second step is already passed."""
    if user.is_deleted:
        raise PermissionDenied("That account has been deleted.")
    if identity.role is not None and user.role != identity.role:
        accounts.set_role(user, identity.role, changed_by=None,
                          reason=f"Role from {provider.label} ({provider.role_claim} claim) at sign-in")
    if not can_sign_in_through_provider(user, provider):
        raise PermissionDenied(f"Staff accounts cannot sign in with {provider.label}: use the corporate account.")
    return identity.mfa


def _open_session(user: User, identity: Identity, provider: Provider) -> User:
    """Open the forum session (the view commits, then calls Flask-Login)."""
    passed = prepare_sign_in(user, identity, provider)
    sessions.start_session(user, remember=False, second_factor_passed=passed, via=provider.label)
    return user


def sign_in_known(identity: Identity, provider: Provider) -> User | None:
    """A linked provider account, or a verified email match (linked now), signs in;
    ``None`` when the member must choose an account first."""
    user = find_linked_user(identity)
    if user is None:
        user = user_by_verified_email(identity)
        if user is None:
            return None
        link(user, identity, provider, how="verified_email")
    return _open_session(user, identity, provider)


def sign_in_new(identity: Identity, provider: Provider, *, username: str) -> User:
    return _open_session(create_account(identity, provider, username=username), identity, provider)


def sign_in_linking(identity: Identity, provider: Provider, *, login: str, password: str) -> User:
    return _open_session(link_with_password(identity, provider, login=login, password=password), identity, provider)
