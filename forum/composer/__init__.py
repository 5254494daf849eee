"""The composer's server side: the preview (the same sanitiser as posting),
@mention suggestions and notifications, quoting, and screenshot uploads."""

from flask import Blueprint

bp = Blueprint("composer", __name__)

from forum.composer import mentions, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp,)
