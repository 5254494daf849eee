"""Full-text search of topics, replies and answered Q&A questions (Whoosh, through
:mod:`forum.search.index` only), kept in step with the database by an outbox."""

from flask import Blueprint

bp = Blueprint("search", __name__)
search_cli = Blueprint("search_cli", __name__, cli_group="search")

from forum.search import cli, outbox, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp, search_cli)
