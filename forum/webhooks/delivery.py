"""One HTTP request to a webhook endpoint: the address check (SSRF), the signature and
the POST itself. The only HTTP client of the feature (urllib3).

The host name is resolved once, every address it resolves to is checked, and the
connection goes to the checked address (the ``Host`` header and, for HTTPS, the TLS
server name and certificate check keep the name), so a DNS answer that changes between
the check and the connection (rebinding) cannot reach an internal address. Redirects
are never followed; a 3xx counts as a failure.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

USER_AGENT = "ConnectCommunity-Webhooks/1"
#: Bytes of a response read at most (the rest is dropped unread).
READ_LIMIT = 64 * 1024


class UnsafeAddress(ValueError):
    """The URL is malformed, or points at an address webhooks may not reach."""


def sign(secret: str, timestamp: str, body: str) -> str:
    """``X-Forum-Signature``: ``sha256=`` + hex HMAC-SHA256(secret, f"{timestamp}.{body}")."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return ip.is_global and not ip.is_multicast


def parse_url(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path?query)`` of an http(s) URL without credentials or
    fragment; :class:`UnsafeAddress` otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeAddress("That is not a valid URL.") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeAddress("The URL must start with https:// (or http://).")
    if not parts.hostname:
        raise UnsafeAddress("The URL has no host name.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeAddress("Put no user name or password in the URL: deliveries are signed with the secret.")
    if parts.fragment:
        raise UnsafeAddress("The URL may not have a #fragment.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise UnsafeAddress("The URL may not contain spaces or control characters.")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses to connect to, in the resolver's order. With ``allow_private``
    off, any non-public address among them refuses the URL."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeAddress(f"The host name {host!r} does not resolve.") from exc
    addresses = []
    for info in infos:
        try:
            addresses.append(ipaddress.ip_address(info[4][0].split("%", 1)[0]))
        except ValueError:
            continue
    if not addresses:
        raise UnsafeAddress(f"The host name {host!r} does not resolve.")
    if not allow_private and not all(_public(ip) for ip in addresses):
        raise UnsafeAddress("That address is private, loopback or link-local: webhooks only go to public addresses.")
    return list(dict.fromkeys(str(ip) for ip in addresses))


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL webhooks could not deliver to (what the form checks on save)."""
    _scheme, host, port, _path = parse_url(url)
    resolve(host, port, allow_private=allow_private)


@dataclass
class Result:
    status_code: int | None
    excerpt: str
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: str, headers: dict[str, str], *, timeout: float, allow_private: bool,
         excerpt_chars: int) -> Result:
    """POST ``body`` once; never raises for a network or address problem (the result says)."""
    started = time.monotonic()

    def done(status=None, excerpt="", error=None) -> Result:
        return Result(status, excerpt, error, int((time.monotonic() - started) * 1000))

    try:
        scheme, host, port, path = parse_url(url)
        addresses = resolve(host, port, allow_private=allow_private)
    except UnsafeAddress as exc:
        return done(error=str(exc)[:300])
    for address in addresses:  # the next checked address only when this one takes no connection
        result = _post_to(address, scheme, host, port, path, body, headers, timeout=timeout,
                          excerpt_chars=excerpt_chars, done=done)
        if result is not _UNREACHABLE:
            return result
    return done(error="Connection refused or unreachable.")


_UNREACHABLE = object()


def _post_to(address, scheme, host, port, path, body, headers, *, timeout, excerpt_chars, done):
    default_port = 443 if scheme == "https" else 80
    host_header = (f"[{host}]" if ":" in host else host) + ("" if port == default_port else f":{port}")
    options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False, "maxsize": 1}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, port, server_hostname=host, assert_hostname=host,
                                           cert_reqs="CERT_REQUIRED", **options)
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    send_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers, "Host": host_header}
    try:
        response = pool.urlopen("POST", path, body=body.encode(), headers=send_headers, redirect=False,
                                retries=False, preload_content=False, assert_same_host=False)
        try:
            raw = response.read(READ_LIMIT, decode_content=False)
        finally:
            response.release_conn()
        excerpt = raw.decode("utf-8", "replace")[:excerpt_chars]
        status = response.status
        error = f"Redirect ({status}) not followed." if 300 <= status < 400 else None
        return done(status, excerpt, error)
    except urllib3.exceptions.NewConnectionError:
        return _UNREACHABLE
    except urllib3.exceptions.HTTPError as exc:
        return done(error=_describe(exc))
    except OSError as exc:
        return done(error=f"Connection failed: {exc.__class__.__name__}")
    finally:
        pool.close()


def _describe(exc: Exception) -> str:
    if isinstance(exc, urllib3.exceptions.SSLError):
        return "TLS error (certificate or handshake)."
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "Timed out."
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return "The connection broke off."
    return f"HTTP error: {exc.__class__.__name__}"
