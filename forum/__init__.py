"""The community forum: ``create_app()`` builds the Flask application."""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path
from typing import Any

from flask import Flask, request

from forum.config import DefaultConfig, load_secret_key

ROOT = Path(__file__).resolve().parent.parent


def _configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("FORUM")
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{Path(app.instance_path) / 'forum.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("postgresql://"):  # psycopg 3 is the driver we ship
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    from datetime import timedelta

    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=int(app.config["REMEMBER_COOKIE_DAYS"]))
    if app.config.get("REDIS_URL") and not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    if app.config.get("REDIS_URL"):  # Flask-Caching: Redis when configured, else one SimpleCache per process
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_KEY_PREFIX", "forum:")


def _init_limiter(app: Flask, limiter) -> None:
    """Flask-Limiter keeps ``enabled`` on the shared ``limiter``, so the last app
    built would switch rate limits on or off for every app in the process. Keep the
    extension armed; each request then honours its own app's ``RATELIMIT_ENABLED``
    (the request filter in :mod:`forum.extensions`)."""
    enabled = app.config["RATELIMIT_ENABLED"]
    app.config["RATELIMIT_ENABLED"] = True
    try:
        limiter.init_app(app)
    finally:
        app.config["RATELIMIT_ENABLED"] = enabled


#: The feature packages, each a folder under ``forum/`` exposing ``blueprints``; the
#: only list of them. Order matters where a feature wraps another's views (incidents
#: caches the topics' home page), so it follows the dependencies.
FEATURES = (
    "accounts",
    "people",
    "topics",
    "composer",
    "admin",
    "notifications",
    "messages",
    "moderation",
    "helpdesk",
    "incidents",
    "qa_events",
    "search",
    "jobs",
    "insights",
    "webhooks",
    "api",
    "mailin",
    "sso",
)


def _new_app() -> Flask:
    return Flask(
        __name__,
        instance_path=os.environ.get("FORUM_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )


def _init_extensions(app: Flask) -> None:
    """The database, migrations, CSRF, rate limits, cache and sign-in."""
    from forum.accounts import sessions
    from forum.extensions import cache, csrf, db, limiter, login_manager, migrate
    from forum.models.base import render_item

    # Registered before Flask-SQLAlchemy's own teardown, so it runs after it (Flask runs
    # them in reverse): the "last seen" write never joins the request's transaction.
    app.teardown_appcontext(sessions.touch_after_request)
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True, render_item=render_item
    )
    csrf.init_app(app)
    _init_limiter(app, limiter)
    cache.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to do that."
    login_manager.login_message_category = "info"

    from flask_login import current_user, user_loaded_from_cookie

    from forum import aftercommit  # noqa: F401 - registers the session listeners

    login_manager.user_loader(sessions.load_user)
    user_loaded_from_cookie.connect(sessions.rotate_after_cookie_login, app)

    @app.before_request
    def _load_user_before_writes():
        """Load the signed-in user before a write's view runs, so that a remember
        cookie's rotation (its own short transaction) never lands inside the view's."""
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.blueprint != "api":  # the API reads no cookie
            current_user._get_current_object()

    from forum.web import IdConverter

    app.url_map.converters["id"] = IdConverter


def _register_features(app: Flask) -> None:
    """Every feature's blueprints (pages and CLI groups), in :data:`FEATURES` order."""
    for name in FEATURES:
        for blueprint in import_module(f"forum.{name}").blueprints:
            app.register_blueprint(blueprint)


def _register_core(app: Flask) -> None:
    """What belongs to no feature: the health check, ``forum demo``, error pages, the
    style guide and the Jinja helpers."""
    from forum import health
    from forum.demo import demo_cli
    from forum.errors import register_error_handlers
    from forum.httpcache import register_http_cache
    from forum.overload import register_overload
    from forum.rendering import init_rendering
    from forum.security import register_security
    from forum.styleguide import bp as styleguide_bp
    from forum.templating import register_template_helpers

    app.register_blueprint(health.bp)
    app.register_blueprint(styleguide_bp)
    app.register_blueprint(demo_cli)
    register_error_handlers(app)
    register_security(app)
    register_template_helpers(app)
    init_rendering(app)
    register_http_cache(app)  # after the features' hooks are registered, so it runs before them
    register_overload(app)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, features, then the core's pages."""
    app = _new_app()
    _configure(app, test_config)
    _init_extensions(app)
    _register_features(app)
    _register_core(app)
    from forum.accounts.throttle import warn_if_per_process

    warn_if_per_process(app)
    return app
