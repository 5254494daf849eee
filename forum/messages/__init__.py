"""Private conversations between members and the Customer Care team."""

from flask import Blueprint

bp = Blueprint("messages", __name__)

#: Settings and their defaults (each overridable by a FORUM_* variable; see README).
DEFAULTS = {
    # Let members message other members directly.
    "MEMBER_DMS": False,
    # How a team reply is signed for the member: "first_name" ("Priya · Customer Care")
    # or "display_name" ("Priya from Customer Care · Customer Care").
    "MESSAGES_STAFF_NAME": "first_name",
    # Personal-data guard on public posts (forum/personal_data.py).
    "PERSONAL_DATA_CHECKS": None,
    "PERSONAL_DATA_EXTRA_PATTERNS": {},
}


@bp.record_once
def _defaults(state) -> None:
    for key, value in DEFAULTS.items():
        state.app.config.setdefault(key, value)
    from forum.messages.templating import register

    register(state.app)


from forum.messages import views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp,)
