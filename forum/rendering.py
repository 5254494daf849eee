"""Cheaper page rendering, with the same HTML (issue 16).

* :class:`UrlPatterns`, the templates' ``url_for``: the first call for an endpoint and a
  set of argument names builds the URL once through Flask with stand-in values and keeps
  it as a pattern; later calls fill the pattern in, encoding each value exactly as
  Werkzeug does (``tests/test_rendering.py`` compares both). A topic page builds a
  handful of patterns, not a hundred URLs. Anything unusual (an anchor, ``_external``,
  URL defaults, rules with defaults, converters other than the plain ones, values that
  are not ``int`` or ``str``) goes through Flask's own ``url_for``.
* :class:`RenderedOnce`: a form whose CSRF field is rendered once per page, for the
  buttons repeated on every post.
* A Jinja bytecode cache in the instance folder (``FORUM_JINJA_BYTECODE_CACHE``), so a
  new worker loads compiled templates instead of compiling them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from flask import Flask
from flask.globals import _cv_request
from jinja2 import FileSystemBytecodeCache
from markupsafe import Markup
from werkzeug.routing import BuildError, PathConverter, UnicodeConverter
from werkzeug.routing.converters import NumberConverter

_PATH_SAFE = "!$&'()*+,/:;=@"  # werkzeug.routing.converters.BaseConverter.to_url
_QUERY_SAFE = "!$'()*,/:;?@"  # werkzeug.urls._urlencode
_SLOW = object()
_MAX_PATTERNS = 4096
# Text made only of characters the encoders above keep as they are needs no quoting.
_PATH_PLAIN = re.compile(r"[A-Za-z0-9_.~!$&'()*+,/:;=@-]*\Z").match
_QUERY_PLAIN = re.compile(r"[A-Za-z0-9_.~!$'()*,/:;?@-]*\Z").match


def _stand_in(index: int, value: Any) -> int | str:
    # Digits and letters come out of every encoder unchanged, so they can be found again.
    return 2_000_000_000 + 7919 * index if isinstance(value, int) else f"zq{index}xstandinq"


class UrlPatterns:
    """``url_for`` for templates, with one URL pattern per (endpoint, argument names)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.patterns: dict[tuple, Any] = {}

    def __call__(self, endpoint: str, **values: Any) -> str:
        ctx = _cv_request.get(None)
        if ctx is None or "_anchor" in values or "_external" in values or "_method" in values or "_scheme" in values:
            return self.app.url_for(endpoint, **values)
        adapter = ctx.url_adapter
        if adapter is None or endpoint[:1] == ".":
            return self.app.url_for(endpoint, **values)
        key = [endpoint, adapter.script_name, adapter.subdomain]
        for name, value in values.items():
            kind = type(value)
            if kind is int:
                key.append(name)
                key.append(True)
            elif kind is str or isinstance(value, str):
                key.append(name)
                key.append(False)
            elif value is not None:  # bool, Undefined, lists...: Flask decides
                return self.app.url_for(endpoint, **values)
        key = tuple(key)
        pattern = self.patterns.get(key)
        if pattern is None:
            if len(self.patterns) >= _MAX_PATTERNS:  # e.g. a proxy passing many script roots
                self.patterns.clear()
            pattern = self.patterns[key] = self._pattern(endpoint, {k: v for k, v in values.items() if v is not None})
        if pattern is _SLOW:
            return self.app.url_for(endpoint, **values)
        head, parts = pattern
        out = [head]
        for name, in_query, tail in parts:
            value = values[name]
            if type(value) is int:
                out.append(str(value))
            else:
                value = str(value)  # a Markup value must not escape what it is joined to
                if in_query:
                    out.append(value if _QUERY_PLAIN(value) else quote_plus(value, safe=_QUERY_SAFE))
                else:
                    out.append(value if _PATH_PLAIN(value) else quote(value, safe=_PATH_SAFE))
            out.append(tail)
        return "".join(out)

    def _plain_rules(self, endpoint: str, values: dict) -> bool:
        """Rules whose URL depends only on which arguments are given, with converters
        whose encoding :meth:`__call__` repeats."""
        app = self.app
        if any(app.url_default_functions.values()):
            return False
        rules = app.url_map._rules_by_endpoint.get(endpoint, [])
        if not rules:
            return False
        for rule in rules:
            if rule.defaults or rule.build_only or rule.redirect_to or rule.host or rule.subdomain:
                return False
            for name, converter in rule._converters.items():
                if name not in values:
                    continue
                if type(values[name]) is int:
                    if not (isinstance(converter, NumberConverter) and not converter.fixed_digits) and type(
                        converter
                    ) not in (UnicodeConverter, PathConverter):
                        return False
                elif type(converter) not in (UnicodeConverter, PathConverter):
                    return False
        return True

    def _pattern(self, endpoint: str, values: dict):
        if not self._plain_rules(endpoint, values):
            return _SLOW
        stand_ins = {name: _stand_in(i, v) for i, (name, v) in enumerate(values.items())}
        try:
            url = self.app.url_for(endpoint, **stand_ins)
        except BuildError:
            return _SLOW
        query_at = url.find("?")
        found = []
        for name, stand_in in stand_ins.items():
            text = str(stand_in)
            at = url.find(text)
            if at < 0 or url.find(text, at + 1) >= 0:
                return _SLOW
            found.append((at, len(text), name, query_at != -1 and at > query_at))
        found.sort()
        head = url[: found[0][0]] if found else url
        parts = []
        for i, (at, length, name, in_query) in enumerate(found):
            end = found[i + 1][0] if i + 1 < len(found) else len(url)
            parts.append((name, in_query, url[at + length:end]))
        return head, tuple(parts)


class RenderedOnce:
    """A form for templates whose ``csrf_token`` field is rendered the first time and
    then reused (the same HTML): per-post buttons share one form."""

    def __init__(self, form) -> None:
        self._form = form
        self._csrf: Markup | None = None

    @property
    def csrf_token(self) -> Markup:
        if self._csrf is None:
            self._csrf = self._form.csrf_token()  # WTForms gives Markup
        return self._csrf

    def __getattr__(self, name: str):
        return getattr(self._form, name)


def init_rendering(app: Flask) -> None:
    """The templates' ``url_for`` and the bytecode cache."""
    app.jinja_env.globals["url_for"] = UrlPatterns(app)
    folder = app.config.get("JINJA_BYTECODE_CACHE", "")
    if folder is None or str(folder).lower() in ("off", "false", "0", "none"):
        return
    path = Path(folder) if folder else Path(app.instance_path) / "jinja-bytecode"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only instance folder: templates are compiled in memory as before
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(path))
