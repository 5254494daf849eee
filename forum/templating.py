"""Jinja globals and filters: permission predicates, brand settings, dates."""

import hashlib
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from forum.markup import stored_html
from forum.permissions import PREDICATES
from forum.unread import header_messages, header_notifications
from forum.visitorcache import time_hole, views_text


def timesince(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = int((now - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def isodate(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def longdate(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC") if value else ""


def localdate(value: datetime | None) -> str:
    """The exact time in the community's timezone (``FORUM_TIMEZONE``), e.g. for a tooltip."""
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone).strftime("%d %b %Y, %H:%M %Z")


def initials(user) -> str:
    """One or two letters for a generated avatar: from the shown name's first words."""
    words = [w for w in re.split(r"[\s_.\-]+", user.shown_name) if w]
    letters = "".join(w[0] for w in words[:2]) or "?"
    return letters.upper()


#: Generated avatars come in this many colours (classes avatar-hue-0 ... in forum.css):
#: a class, not a style attribute, which the Content-Security-Policy refuses.
AVATAR_HUES = 12


def avatar_hue(user) -> int:
    """A stable colour number (0 to AVATAR_HUES - 1) derived from the username, so a
    member keeps their colour."""
    digest = hashlib.blake2s((user.username or "").encode(), digest_size=2).digest()
    return int.from_bytes(digest, "big") % AVATAR_HUES


# The page's most repeated pieces are Python, not Jinja macros: a list of 25 topics shows
# 50 avatars and 50 times, and a macro call costs several times this (issue 16's profile
# of a board page: the two macros were a fifth of its rendering).
def when(value: datetime | None) -> Markup:
    """A time as relative text ("3 hours ago", readable without JavaScript), the exact local
    time (FORUM_TIMEZONE) on hover, and the UTC time in ``datetime``."""
    if not value:
        return Markup("")
    # A visitor's page body being cached (forum.visitorcache) gets a hole, filled per request.
    text = time_hole(value) or escape(timesince(value))
    return Markup(f'<time datetime="{isodate(value)}" title="{escape(localdate(value))}">'  # noqa: S704 - parts escaped
                  f"{text}</time>")


def at(value: datetime | None) -> Markup:
    """Where the exact time is the point (schedules, an end date, audit records): the local
    time as text, UTC in ``datetime``."""
    if not value:
        return Markup("")
    return Markup(f'<time datetime="{isodate(value)}">{escape(localdate(value))}</time>')  # noqa: S704 - escaped


def avatar(user, size: str = "md") -> Markup:
    """One avatar element for everyone (class ``avatar``): the member's uploaded picture
    (forum.people), else generated initials in one of the colour classes. Decorative: the
    name is beside it."""
    size = escape(size)
    if user.avatar_key and not user.is_deleted:
        src = escape(current_app.jinja_env.globals["url_for"]("people.avatar", user_id=user.id, key=user.avatar_key))
        return Markup(f'<img class="avatar avatar-{size} avatar-image" src="{src}" alt="" width="64" '  # noqa: S704
                      'height="64" loading="lazy" decoding="async">')
    return Markup(f'<span class="avatar avatar-{size} avatar-hue-{avatar_hue(user)}" aria-hidden="true">'  # noqa: S704
                  f"{escape(initials(user))}</span>")


_CSS_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\([0-9., %]+\))$")


def check_brand_colors(app: Flask) -> None:
    """Brand colours go into a <style> block, where HTML escaping does not protect:
    refuse anything that is not a plain CSS colour at start-up."""
    for key in ("BRAND_COLOR", "BRAND_ACCENT", "BRAND_STAFF_COLOR"):
        if not _CSS_COLOR.match(str(app.config[key])):
            raise ValueError(f"FORUM_{key} must be a CSS colour such as #0b3d91, not {app.config[key]!r}")


class HeaderForm:
    """The header's sign-out form: only its CSRF field, the HTML WTForms renders for
    ``EmptyForm().csrf_token`` (``tests/topics/test_member_extras.py`` compares them),
    without building a form on every signed-in page (issue 16: building it was a twentieth
    of a member's home page). It never reads the request body: on a 413 page reading it
    would raise the same error again (a 500)."""

    @property
    def csrf_token(self) -> Markup:
        return Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="{}">').format(generate_csrf())


def _header_form() -> HeaderForm:
    return HeaderForm()


def register_template_helpers(app: Flask) -> None:
    check_brand_colors(app)
    app.jinja_env.globals.update(PREDICATES)
    app.jinja_env.filters["timesince"] = timesince
    app.jinja_env.filters["isodate"] = isodate
    app.jinja_env.filters["longdate"] = longdate
    app.jinja_env.filters["localdate"] = localdate
    app.jinja_env.filters["initials"] = initials
    app.jinja_env.filters["avatar_hue"] = avatar_hue
    app.jinja_env.globals.update(when=when, at=at, avatar=avatar, views_text=views_text)
    app.jinja_env.filters["stored_html"] = stored_html

    @app.context_processor
    def brand():
        cfg = current_app.config
        return {
            "brand": {
                "name": cfg["BRAND_NAME"],
                "tagline": cfg["BRAND_TAGLINE"],
                "color": cfg["BRAND_COLOR"],
                "accent": cfg["BRAND_ACCENT"],
                "staff_color": cfg["BRAND_STAFF_COLOR"],
                "logo": cfg["BRAND_LOGO"],
            },
            "logout_form": _header_form,
            "unread_notifications": header_notifications,
            "unread_messages": header_messages,
        }
