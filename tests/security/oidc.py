"""A minimal OpenID Connect provider on 127.0.0.1, for signing in through ``st.login`` in tests.

It serves the discovery document, its signing key (JWKS), an authorize endpoint
that sends the browser straight back with a code (no login form: the test says
beforehand whom the next sign-in is, with :meth:`Provider.issue`), and a token
endpoint that checks the code, the client's secret and the PKCE verifier and
returns an ID token signed with RS256 (``joserfc``, Authlib's own JOSE library).  Whatever claims the
test sets are signed as given: that is how an attacker's identity provider,
or an ordinary one with a careless claim, behaves.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.security.live import free_port

CLIENT_ID = "nia-tracker"
CLIENT_SECRET = secrets.token_urlsafe(24)


class Provider:
    """One identity provider (one issuer) serving on its own port until :meth:`close`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._kid = secrets.token_hex(8)
        self._key = RSAKey.generate_key(2048, parameters={"kid": self._kid, "use": "sig"})
        self._next: dict = {}
        self._codes: dict[str, dict] = {}
        self.tokens_issued = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def issue(self, subject: str, **claims) -> None:
        """The identity the next sign-in gets: ``sub`` and any claims (``email``, ``email_verified``)."""
        self._next = {"sub": subject, **claims}

    def close(self) -> None:
        self._server.shutdown()

    def secrets_section(self) -> str:
        """This provider's part of ``.streamlit/secrets.toml``."""
        return (
            f'client_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{self.issuer}/.well-known/openid-configuration"\n'
        )

    # --- the endpoints -------------------------------------------------------------

    def _discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def _jwks(self) -> dict:
        return {"keys": [dict(self._key.as_dict(private=False), alg="RS256")]}

    def _authorize(self, query: dict) -> str:
        """Where the browser goes next: back to the client with a code for the next identity."""
        code = secrets.token_urlsafe(16)
        self._codes[code] = {
            "identity": dict(self._next),
            "nonce": query.get("nonce"),
            "challenge": query.get("code_challenge"),
            "redirect_uri": query["redirect_uri"],
        }
        return query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})

    def _token(self, form: dict, authorization: str | None) -> tuple[int, dict]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            client_id, secret = base64.b64decode(authorization[6:]).decode().split(":", 1)
        grant = self._codes.pop(form.get("code", ""), None)
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET) or grant is None:
            return 400, {"error": "invalid_grant"}
        if grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        if grant["challenge"] and _s256(form.get("code_verifier", "")) != grant["challenge"]:
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300}
        claims |= {"nonce": grant["nonce"], **grant["identity"]}
        token = jwt.encode({"alg": "RS256", "kid": self._kid}, claims, self._key)
        self.tokens_issued += 1
        return 200, {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": token,
        }

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the base class's name
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, provider._discovery())
                elif url.path == "/jwks":
                    self._json(200, provider._jwks())
                elif url.path == "/authorize":
                    self.send_response(302)
                    self.send_header("Location", provider._authorize(query))
                    self.end_headers()
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                self._json(*provider._token(form, self.headers.get("Authorization")))

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
