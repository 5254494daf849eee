from flask import Blueprint

bp = Blueprint("topics", __name__)
#: ``forum topics flush-views``
topics_cli = Blueprint("topics_cli", __name__, cli_group="topics")

from forum.topics import cli, edit, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp, topics_cli)
