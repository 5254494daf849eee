"""Response headers and cookie settings that hold on every page.

* A strict Content-Security-Policy: scripts and styles only from our own files (no
  inline script or style anywhere; the brand colours are ``/brand.css``), no frames of
  our pages (``frame-ancestors 'none'``), forms post only to us.
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``,
  a ``Permissions-Policy`` that turns off what a forum never uses.
* When ``SITE_URL`` is HTTPS: ``Secure`` cookies under ``__Host-`` names (no Domain,
  Path=/) and ``Strict-Transport-Security``.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, current_app, url_for

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), magnetometer=(), gyroscope=()"
HSTS = "max-age=31536000; includeSubDomains"


def is_https(app: Flask) -> bool:
    return str(app.config.get("SITE_URL") or "").lower().startswith("https://")


def configure_cookies(app: Flask) -> None:
    """``Secure`` and ``__Host-`` cookies when the site is served over HTTPS."""
    if not is_https(app):
        return
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    app.config["REMEMBER_COOKIE_NAME"] = "__Host-remember"
    # __Host- cookies must have no Domain and Path=/.
    app.config["SESSION_COOKIE_DOMAIN"] = None
    app.config["REMEMBER_COOKIE_DOMAIN"] = None
    app.config["SESSION_COOKIE_PATH"] = "/"
    app.config["REMEMBER_COOKIE_PATH"] = "/"


def _brand_css() -> str:
    cfg = current_app.config  # colours checked at start-up (forum.templating.check_brand_colors)
    return (f":root {{ --brand: {cfg['BRAND_COLOR']}; --accent: {cfg['BRAND_ACCENT']}; "
            f"--staff-bg: {cfg['BRAND_STAFF_COLOR']}; }}\n")


def brand_css_url() -> str:
    """``/brand.css?v=…``: the version changes with the colours, so it can be cached long."""
    version = hashlib.sha256(_brand_css().encode()).hexdigest()[:12]
    return url_for("brand_css", v=version)


def brand_css() -> Response:
    """The brand colours as a stylesheet (a style block would need 'unsafe-inline')."""
    response = Response(_brand_css(), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def register_security(app: Flask) -> None:
    configure_cookies(app)
    app.add_url_rule("/brand.css", "brand_css", brand_css)
    app.jinja_env.globals["brand_css_url"] = brand_css_url
    https = is_https(app)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if https:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
