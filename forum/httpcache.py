"""Honest Cache-Control on every page, so a CDN or the load balancer can keep the
pages visitors read most.

A GET answered to a visitor (no session, no remember cookie, nothing set on the
response) is ``public, max-age=PUBLIC_MAX_AGE`` with ``Vary: Cookie``: those pages
carry no CSRF token, no flash and no name (views build forms only for viewers who can
use them). Everything else is ``private, no-store``: a signed-in member's page, a page
that starts a session (a sign-in or registration form), a flashed message, an error
other than 404/410. A view that chose its own Cache-Control keeps it, unless the
response sets a cookie, which is never public.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session

PRIVATE = "private, no-store"
#: Statuses a shared cache may keep for visitors (4xx other than these, and 5xx, never).
PUBLIC_STATUSES = frozenset({200, 203, 301, 302, 303, 307, 308, 404, 410})


def is_visitor_response(response) -> bool:
    """No session, no remember cookie, nothing set on the response, nobody signed in."""
    if "Set-Cookie" in response.headers or session or session.modified:
        return False
    if g.get("forum_signed_in_reader"):
        return False
    if request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        return False
    from flask_login import current_user

    return not current_user.is_authenticated


def set_cache_control(response):
    if request.method not in ("GET", "HEAD") or request.endpoint == "static":
        return response
    response.vary.add("Cookie")
    visitor = is_visitor_response(response)
    if "Cache-Control" in response.headers:
        if not visitor and response.cache_control.public:
            response.headers["Cache-Control"] = PRIVATE
        return response
    if visitor and response.status_code in PUBLIC_STATUSES:
        response.headers["Cache-Control"] = f"public, max-age={int(current_app.config['PUBLIC_MAX_AGE'])}"
    else:
        response.headers["Cache-Control"] = PRIVATE
    return response


def register_http_cache(app: Flask) -> None:
    app.after_request(set_cache_control)
