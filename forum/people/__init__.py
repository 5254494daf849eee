"""People: avatars (uploaded, or generated initials) and the rank or role shown beside
a member's name."""

from flask import Blueprint

bp = Blueprint("people", __name__)

from forum.people import ranks, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp,)
