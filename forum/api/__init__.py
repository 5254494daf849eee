"""The JSON API (issue 19): ``/api/v1``, a second door onto the features' own
services, queries and permission predicates, described by the OpenAPI document at
``/api/v1/openapi.json`` (flask-smorest: marshmallow schemas, apispec).

Two Flask blueprints: ``bp`` holds the token pages (personal tokens under
``/settings``, service tokens under ``/admin``: ordinary forms with CSRF); the API
itself is ``views.api`` (a flask-smorest blueprint), registered through the
flask-smorest ``Api`` when ``bp`` is registered (:func:`_init_api`)."""

from flask import Blueprint

bp = Blueprint("api_tokens", __name__)
#: ``forum api docs``
api_cli = Blueprint("api_cli", __name__, cli_group="api")

from forum.api import cli, token_views, views  # noqa: E402,F401


@bp.record_once
def _init_api(state) -> None:
    """Mount the API (and its OpenAPI document) on the app that registers ``bp``."""
    views.init_api(state.app)


#: What the app factory registers for this feature.
blueprints = (bp, api_cli)
