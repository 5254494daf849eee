from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from forum.admin import views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp,)
