"""Supabase access tokens, verified locally: HS256 with the project's secret, RS256/ES256 with
the project's JWKS (cached; fetched again when a token names an unknown ``kid``).

Each algorithm is accepted only with its own kind of key, so ``alg=none`` and algorithm
confusion (an HS256 token "signed" with the public key) fail; expiry, audience and issuer are
required and checked.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from pixcrawler.config import Settings
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

ASYMMETRIC = {"RS256": "RSA", "ES256": "EC"}
#: A token naming an unknown ``kid`` refetches the JWKS at most this often (seconds).
JWKS_REFRESH_INTERVAL = 30.0
JWKS_TIMEOUT = 5.0


class InvalidToken(Exception):
    """The token is not a valid access token of this project; the message says why (logged,
    not shown: a client only learns 401)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a valid token names."""

    subject: str
    email: str | None


class SupabaseVerifier:
    """Verifies access tokens of one Supabase project."""

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        base = settings.supabase_url.rstrip("/")
        self.secret = settings.supabase_jwt_secret
        self.audience = settings.supabase_audience
        self.issuer = f"{base}/auth/v1" if base else None
        self.jwks_url = f"{base}/auth/v1/.well-known/jwks.json" if base else None
        self._client = client or httpx.Client(timeout=JWKS_TIMEOUT)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        """Whether any Supabase setting is present (else only API keys sign in)."""
        return bool(self.secret or self.jwks_url)

    def verify(self, token: str) -> Identity:
        """The identity in ``token``.

        Raises:
            InvalidToken: malformed, wrong algorithm or key, bad signature, expired, wrong
                audience or issuer, or no subject.
        """
        try:
            header = jwt.get_unverified_header(token)
            key, algorithm = self._key_for(header)
            claims = jwt.decode(
                token, key, algorithms=[algorithm], audience=self.audience, issuer=self.issuer,
                options={"require": ["exp", "sub", "aud"] + (["iss"] if self.issuer else [])},
            )  # fmt: skip
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"{type(exc).__name__}: {exc}") from exc
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("no subject")
        email = claims.get("email")
        return Identity(subject, email if isinstance(email, str) and email else None)

    def _key_for(self, header: dict[str, Any]) -> tuple[Any, str]:
        algorithm = header.get("alg")
        if algorithm == "HS256" and self.secret:
            return self.secret, algorithm
        if algorithm in ASYMMETRIC and self.jwks_url:
            jwk = self._jwk(str(header.get("kid", "")))
            if jwk.key_type != ASYMMETRIC[algorithm] or jwk.algorithm_name != algorithm:
                raise InvalidToken(f"key {header.get('kid')!r} is not an {algorithm} key")
            return jwk.key, algorithm
        raise InvalidToken(f"algorithm {algorithm!r} is not accepted")

    def _jwk(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            if kid not in self._keys and self._may_refresh():
                self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken(f"unknown key id {kid!r}")
        return key

    def _may_refresh(self) -> bool:
        return time.monotonic() - self._fetched_at >= JWKS_REFRESH_INTERVAL

    def _refresh(self) -> None:
        assert self.jwks_url is not None
        self._fetched_at = time.monotonic()
        try:
            response = self._client.get(self.jwks_url)
            response.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(response.json()).keys
        except (httpx.HTTPError, jwt.PyJWTError, ValueError) as exc:
            logger.bind(operation="jwks_fetch", error_type=type(exc).__name__).warning(
                "JWKS fetch failed"
            )
            return
        self._keys = {str(key.key_id): key for key in keys if key.key_id}
        logger.bind(operation="jwks_fetch", keys=len(self._keys)).info("JWKS fetched")
