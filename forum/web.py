"""Small helpers shared by the views of every feature."""

from urllib.parse import urlsplit

from flask import abort, request
from werkzeug.routing import IntegerConverter

#: Largest id a URL may carry: the range of an SQL INTEGER on both backends, so a
#: huge number in a URL is a 404 instead of an overflow error in the database.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<id:name>`` in routes: a positive integer no larger than :data:`MAX_ID`."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def safe_next(default: str) -> str:
    """The ``next`` target if it is a path on this site, else ``default``."""
    target = request.args.get("next") or request.form.get("next") or ""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        # urlsplit() drops tabs and newlines before parsing, so "/\r\nx" passed the
        # checks below and then broke the Location header (a 500).
        return default
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc and "\\" not in target:
        return target
    return default


def page_arg() -> int:
    """The ``?page=N`` argument: 1 when absent, 404 when not a sane positive number."""
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100_000:
        abort(404)
    return int(raw)
