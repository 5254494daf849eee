"""Customer Care insights: the /staff/insights dashboard (speed of response, resolution,
satisfaction, moderation, incidents, search and deflection, what customers talk about,
sentiment, team), its CSV downloads, the rollups behind it (`forum insights rollup`),
and the visitors' "Did you find what you needed?" survey on solved topics."""

from flask import Blueprint

bp = Blueprint("insights", __name__)
#: ``forum insights rollup``
insights_cli = Blueprint("insights_cli", __name__, cli_group="insights")

from forum.insights import cli, receivers, views  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp, insights_cli)
