from flask import Blueprint

bp = Blueprint("topics", __name__)

from forum.topics import edit, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp,)
