from flask import Blueprint

bp = Blueprint("accounts", __name__)
users_cli = Blueprint("users_cli", __name__, cli_group="users")

from forum.accounts import cli, self_service_views, two_factor_views, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp, users_cli)
