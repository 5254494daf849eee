from flask import Blueprint

bp = Blueprint("accounts", __name__)
users_cli = Blueprint("users_cli", __name__, cli_group="users")

from forum.accounts import cli, views  # noqa: E402,F401
