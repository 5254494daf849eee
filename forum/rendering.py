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
        if ctx is None or ctx.url_adapter is None or endpoint[:1] == "." or any(k[:1] == "_" for k in values):
            return self.app.url_for(endpoint, **values)
        values = {k: v for k, v in values.items() if v is not None}
        for v in values.values():
            if type(v) is not int and not isinstance(v, str):  # bool, Undefined, lists...
                return self.app.url_for(endpoint, **values)
        kinds = tuple((k, type(v) is int) for k, v in values.items())
        key = (endpoint, kinds, ctx.url_adapter.script_name, ctx.url_adapter.subdomain)
        pattern = self.patterns.get(key)
        if pattern is None:
            pattern = self.patterns[key] = self._pattern(endpoint, values)
        if pattern is _SLOW:
            return self.app.url_for(endpoint, **values)
        parts = []
        for piece in pattern:
            if type(piece) is str:
                parts.append(piece)
            else:
                name, in_query = piece
                value = values[name]
                if type(value) is int:
                    parts.append(str(value))
                elif in_query:
                    parts.append(quote_plus(str(value), safe=_QUERY_SAFE))
                else:
                    parts.append(quote(str(value), safe=_PATH_SAFE))
        return "".join(parts)

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
        pattern: list = []
        pos = 0
        for at, length, name, in_query in sorted(found):
            pattern.append(url[pos:at])
            pattern.append((name, in_query))
            pos = at + length
        pattern.append(url[pos:])
        return tuple(p for p in pattern if p != "")


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
