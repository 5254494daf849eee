"""Full-text search of topics, replies and answered Q&A questions, kept in step with
the database by an outbox: Whoosh (:mod:`forum.search.index`, the default) or
PostgreSQL full-text search (:mod:`forum.search.pg`, ``FORUM_SEARCH_BACKEND=postgresql``)."""

from flask import Blueprint

bp = Blueprint("search", __name__)
search_cli = Blueprint("search_cli", __name__, cli_group="search")

from forum.search import cli, indexer, outbox, views  # noqa: E402,F401

# A misconfigured backend stops the app at start-up, not at the first search.
bp.record_once(lambda state: indexer.check_config(state.app))

#: What the app factory registers for this feature.
blueprints = (bp, search_cli)
