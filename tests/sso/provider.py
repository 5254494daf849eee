"""A real OpenID Connect provider on loopback, for the sign-in tests: a small WSGI app
served by werkzeug in a thread, signing ID tokens (RS256) with an RSA key made here.

It serves discovery, the key set, ``/authorize`` (approves at once, as the person in
``next_claims``) and ``/token`` (checks the client's secret, the redirect URI and the
PKCE S256 verifier, and issues each code once). ``tamper`` changes the next ID token:
``nonce``, ``aud``, ``iss``, ``exp`` (seconds from now) or ``key`` (sign with another).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

CLIENT_SECRET = "provider-test-secret"  # noqa: S105 - a test value


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class TestProvider:
    __test__ = False  # not a pytest class

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "signing-1", "use": "sig"})
        self.clients: dict[str, str] = {}
        self.codes: dict[str, dict] = {}
        self.next_claims: dict = {}
        self.tamper: dict = {}
        self.token_requests: list[dict] = []
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True, request_handler=_QuietHandler)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> TestProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.codes.clear()
        self.next_claims = {}
        self.tamper = {}
        self.token_requests.clear()

    # --- the endpoints ---------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        handler = {
            "/.well-known/openid-configuration": self._discovery,
            "/jwks": self._jwks,
            "/authorize": self._authorize,
            "/token": self._token,
        }.get(request.path)
        response = handler(request) if handler else Response("not found", 404)
        return response(environ, start_response)

    @staticmethod
    def _json(data, status=200) -> Response:
        return Response(json.dumps(data), status, content_type="application/json")

    def _discovery(self, request) -> Response:
        return self._json({
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        })

    def _jwks(self, request) -> Response:
        return self._json(KeySet([self.key]).as_dict(private=False))

    def _authorize(self, request) -> Response:
        args = request.args
        redirect_uri = args.get("redirect_uri", "")
        if args.get("client_id") not in self.clients or args.get("response_type") != "code":
            return Response("bad request", 400)
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return Response("PKCE S256 required", 400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"client_id": args["client_id"], "redirect_uri": redirect_uri,
                            "challenge": args["code_challenge"], "nonce": args.get("nonce"),
                            "scope": args.get("scope", ""), "claims": dict(self.next_claims)}
        query = urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": f"{redirect_uri}?{query}"})

    def _client_auth(self, request) -> str | None:
        auth = request.authorization
        if auth is None or self.clients.get(auth.username) != auth.password:
            return None
        return auth.username

    def _token(self, request) -> Response:
        client_id = self._client_auth(request)
        if client_id is None:
            return self._json({"error": "invalid_client"}, 401)
        form = request.form
        self.token_requests.append(dict(form))
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None or grant["client_id"] != client_id:
            return self._json({"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return self._json({"error": "invalid_grant", "error_description": "redirect_uri"}, 400)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or challenge != grant["challenge"]:
            return self._json({"error": "invalid_grant", "error_description": "PKCE verifier mismatch"}, 400)
        return self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                           "id_token": self.id_token(client_id, grant["nonce"], grant["claims"])})

    def id_token(self, client_id: str, nonce: str | None, claims: dict) -> str:
        now = int(time.time())
        tamper = self.tamper
        body = {"iss": tamper.get("iss", self.issuer), "aud": tamper.get("aud", client_id), "iat": now,
                "exp": now + tamper.get("exp", 300), "nonce": tamper.get("nonce", nonce), **claims}
        key = tamper.get("key", self.key)
        return jwt.encode({"alg": "RS256", "kid": key.kid}, body, key)
