"""The configured providers, and one Authlib client for each.

Settings (``forum/config.py``): ``OIDC_PROVIDERS`` names them; each NAME has
``OIDC_<NAME>_ISSUER``, ``_CLIENT_ID``, ``_CLIENT_SECRET`` and optionally ``_LABEL``,
``_SCOPES``, ``_STAFF``, ``_ROLE_CLAIM``, ``_ROLE_MAP``. The endpoints and keys come from
the issuer's ``/.well-known/openid-configuration`` (Authlib loads it on first use and
keeps it; the key set is fetched again when a token names a key it does not know).

The Authlib registry is built per app from the settings and rebuilt when they change
(tests change them per test)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from authlib.integrations.flask_client import OAuth
from flask import abort, current_app

from forum.models import ROLES

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_EXTENSION = "forum.sso"


@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    #: The corporate identity provider: grants staff roles, may vouch for MFA.
    staff: bool = False
    role_claim: str = "groups"
    role_map: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def _names(raw) -> list[str]:
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",")]
    return [str(n).strip().lower() for n in (raw or []) if str(n).strip()]


def _role_map(raw) -> tuple[tuple[str, str], ...]:
    if isinstance(raw, str):
        raw = json.loads(raw) if raw.strip() else {}
    if not isinstance(raw, dict):
        raise ValueError("OIDC_<NAME>_ROLE_MAP must map claim values to roles")
    for role in raw.values():
        if role not in ROLES:
            raise ValueError(f"OIDC role map: unknown role {role!r} (roles: {', '.join(ROLES)})")
    return tuple(sorted((str(k), str(v)) for k, v in raw.items()))


def _load(config) -> tuple[Provider, ...]:
    providers = []
    for name in _names(config.get("OIDC_PROVIDERS")):
        if not _NAME.match(name):
            raise ValueError(f"OIDC provider name {name!r}: use lower-case letters, digits and '_'")
        prefix = f"OIDC_{name.upper()}_"
        missing = [key for key in ("ISSUER", "CLIENT_ID") if not config.get(prefix + key)]
        if missing:
            raise ValueError(f"OIDC provider {name!r} needs {', '.join('FORUM_' + prefix + k for k in missing)}")
        staff = config.get(prefix + "STAFF", False)
        providers.append(Provider(
            name=name,
            label=str(config.get(prefix + "LABEL") or name.capitalize()),
            issuer=str(config[prefix + "ISSUER"]),
            client_id=str(config[prefix + "CLIENT_ID"]),
            client_secret=str(config.get(prefix + "CLIENT_SECRET") or ""),
            scopes=str(config.get(prefix + "SCOPES") or "openid email profile"),
            staff=staff is True or str(staff).lower() in ("1", "true", "yes"),
            role_claim=str(config.get(prefix + "ROLE_CLAIM") or "groups"),
            role_map=_role_map(config.get(prefix + "ROLE_MAP") or {}),
        ))
    return tuple(providers)


def check_settings(config) -> None:
    """Raise ``ValueError`` naming the bad setting (unknown role, missing issuer...)."""
    _load(config)


def _state():
    """(providers, Authlib registry) for the current app, rebuilt when settings change."""
    app = current_app._get_current_object()
    providers = _load(app.config)
    key = (providers, app.config.get("OIDC_HTTP_TIMEOUT"), app.config.get("OIDC_FLOW_SECONDS"))
    cached = app.extensions.get(_EXTENSION)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    oauth = OAuth()
    oauth.app = app  # not init_app: several registries may exist (one per settings)
    for p in providers:
        oauth.register(
            p.name, client_id=p.client_id, client_secret=p.client_secret or None,
            server_metadata_url=p.metadata_url,
            client_kwargs={"scope": p.scopes, "code_challenge_method": "S256",
                           "default_timeout": float(app.config.get("OIDC_HTTP_TIMEOUT") or 10),
                           "token_endpoint_auth_method": "client_secret_basic" if p.client_secret else "none"},
        )
    by_name = {p.name: p for p in providers}
    app.extensions[_EXTENSION] = (key, by_name, oauth)
    return by_name, oauth


def configured() -> list[Provider]:
    """The providers, in settings order (none: no buttons, every /sso/ page a 404)."""
    return list(_state()[0].values())


def get_or_404(name: str) -> Provider:
    provider = _state()[0].get(name if isinstance(name, str) else "")
    if provider is None:
        abort(404)
    return provider


def client(provider: Provider):
    """The Authlib client (authorization URL with state, nonce and PKCE S256; token
    exchange; ID token checked against the provider's keys)."""
    oauth = _state()[1]
    c = oauth.create_client(provider.name)
    c.framework.expires_in = int(current_app.config.get("OIDC_FLOW_SECONDS") or 600)
    return c


def load_metadata(provider: Provider) -> dict:
    """The discovery document, refused unless its ``issuer`` is the configured one
    (OpenID Connect Discovery 1.0, section 4.3)."""
    metadata = client(provider).load_server_metadata()
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer.rstrip("/"):
        raise ValueError("the provider's discovery document names another issuer")
    return metadata
