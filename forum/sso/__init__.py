"""Sign in with an OpenID Connect provider: the operator's customer account for members,
the corporate identity provider for staff (issue 19; docs/integrations-oidc.md)."""

from flask import Blueprint

bp = Blueprint("sso", __name__, url_prefix="/sso")

from forum.sso import views  # noqa: E402,F401


@bp.record_once
def _check_settings(state) -> None:
    """Bad OIDC settings stop the app at start-up, not at a member's first sign-in."""
    from forum.sso.providers import check_settings

    check_settings(state.app.config)


#: What the app factory registers for this feature.
blueprints = (bp,)
