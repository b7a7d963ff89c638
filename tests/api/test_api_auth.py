"""Sign-in: Supabase tokens verified locally, API keys with scopes, revocation."""

import base64
import hashlib
import hmac
import json
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from api.conftest import JWT_SECRET, SUPABASE_URL, Caller, make_caller, supabase_token
from pixcrawler.backend.api.tokens import SupabaseVerifier
from pixcrawler.config import get_settings

ME = "/api/v1/users/me"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _part(value: dict[str, object] | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unsigned(claims: dict[str, object]) -> str:
    return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(claims)}."


def _hmac_token(claims: dict[str, object], secret: bytes, header: dict[str, object]) -> str:
    """HS256 by hand: PyJWT itself refuses a PEM key as an HMAC secret."""
    signing_input = f"{_part(header)}.{_part(claims)}"
    digest = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_part(digest)}"


def test_a_valid_supabase_token_signs_in_and_makes_the_user_once(api: TestClient) -> None:
    first = api.get(ME, headers=_bearer(supabase_token("abc")))
    again = api.get(ME, headers=_bearer(supabase_token("abc")))

    assert first.status_code == 200, first.text
    assert first.json()["email"] == "abc@example.org"
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(supabase_token(exp=int(time.time()) - 10), id="expired"),
        pytest.param(supabase_token(aud="someone-else"), id="wrong-audience"),
        pytest.param(supabase_token(iss="https://evil.test/auth/v1"), id="wrong-issuer"),
        pytest.param(supabase_token(exp=None), id="no-expiry"),
        pytest.param(supabase_token(sub=""), id="empty-subject"),
        pytest.param(
            jwt.encode(
                {
                    "sub": "x",
                    "aud": "authenticated",
                    "iss": f"{SUPABASE_URL}/auth/v1",
                    "exp": int(time.time()) + 60,
                },
                "a-forged-secret-of-32-bytes-or-more!!",
                "HS256",
            ),
            id="forged-signature",
        ),
        pytest.param("not.a.token", id="garbage"),
        pytest.param("garbage", id="garbage-no-dots"),
        pytest.param("pxc_unknown", id="unknown-key"),
    ],
)
def test_bad_tokens_answer_401_in_the_error_shape(api: TestClient, token: str) -> None:
    answer = api.get(ME, headers=_bearer(token))

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    assert answer.json()["error"]["request_id"] == answer.headers["x-request-id"]


def test_alg_none_is_refused(api: TestClient) -> None:
    token = _unsigned({"sub": "x", "aud": "authenticated", "iss": f"{SUPABASE_URL}/auth/v1",
                       "exp": int(time.time()) + 60})  # fmt: skip
    assert api.get(ME, headers=_bearer(token)).status_code == 401


def test_missing_or_non_bearer_credentials_answer_401(api: TestClient) -> None:
    assert api.get(ME).status_code == 401
    assert api.get(ME, headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401


def _rsa_world() -> tuple[rsa.RSAPrivateKey, dict[str, object]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return key, {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}


def _verifier(jwks: dict[str, object], fetches: list[int]) -> SupabaseVerifier:
    def answer(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == f"{SUPABASE_URL}/auth/v1/.well-known/jwks.json"
        fetches.append(1)
        return httpx.Response(200, json=jwks)

    settings = get_settings().model_copy(update={"supabase_jwt_secret": ""})
    return SupabaseVerifier(settings, client=httpx.Client(transport=httpx.MockTransport(answer)))


def _claims(sub: str = "rs-user") -> dict[str, object]:
    return {"sub": sub, "aud": "authenticated", "iss": f"{SUPABASE_URL}/auth/v1",
            "exp": int(time.time()) + 60}  # fmt: skip


def test_rs256_tokens_verify_through_the_cached_jwks(api: TestClient) -> None:
    key, jwks = _rsa_world()
    fetches: list[int] = []
    api.app.state.verifier = _verifier(jwks, fetches)  # type: ignore[attr-defined]
    token = jwt.encode(_claims(), key, "RS256", headers={"kid": "k1"})

    assert api.get(ME, headers=_bearer(token)).status_code == 200
    assert api.get(ME, headers=_bearer(token)).status_code == 200
    assert len(fetches) == 1  # cached


def test_hs256_signed_with_the_public_key_is_refused(api: TestClient) -> None:
    """Algorithm confusion: the public key used as an HMAC secret."""
    key, jwks = _rsa_world()
    api.app.state.verifier = _verifier(jwks, [])  # type: ignore[attr-defined]
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = _hmac_token(_claims(), pem, {"alg": "HS256", "typ": "JWT", "kid": "k1"})
    assert api.get(ME, headers=_bearer(forged)).status_code == 401


def test_es256_token_against_an_rsa_key_id_is_refused(api: TestClient) -> None:
    _, jwks = _rsa_world()
    api.app.state.verifier = _verifier(jwks, [])  # type: ignore[attr-defined]
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(_claims(), other, "ES256", headers={"kid": "k1"})
    assert api.get(ME, headers=_bearer(token)).status_code == 401


def test_an_unknown_kid_refetches_the_jwks(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, jwks = _rsa_world()
    fetches: list[int] = []
    verifier = _verifier({"keys": []}, fetches)
    api.app.state.verifier = verifier  # type: ignore[attr-defined]
    token = jwt.encode(_claims(), key, "RS256", headers={"kid": "k1"})
    assert api.get(ME, headers=_bearer(token)).status_code == 401

    verifier._fetched_at = float("-inf")  # the refresh interval has passed
    verifier._client = _verifier(jwks, fetches)._client
    assert api.get(ME, headers=_bearer(token)).status_code == 200
    assert len(fetches) == 2


def test_a_revoked_key_answers_401(api: TestClient, alice: Caller) -> None:
    spare = api.post("/api/v1/api-keys", json={"name": "spare"}, headers=alice.headers).json()
    spare_headers = _bearer(spare["key"])
    assert api.get(ME, headers=spare_headers).status_code == 200

    revoked = api.delete(f"/api/v1/api-keys/{spare['id']}", headers=alice.headers)

    assert revoked.json()["revoked_at"] is not None
    assert api.get(ME, headers=spare_headers).status_code == 401


def test_a_read_scope_key_may_read_but_not_write(api: TestClient) -> None:
    reader = make_caller(api, "reader@example.org", scopes="read")

    assert api.get("/api/v1/projects", headers=reader.headers).status_code == 200
    answer = api.post("/api/v1/projects", json={"name": "x"}, headers=reader.headers)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


def test_keys_are_shown_once_stored_hashed_and_record_their_last_use(
    api: TestClient, alice: Caller
) -> None:
    made = api.post("/api/v1/api-keys", json={"name": "nb", "scopes": ["read"]},
                    headers=alice.headers).json()  # fmt: skip
    api.get(ME, headers=_bearer(made["key"]))
    listed = api.get("/api/v1/api-keys", headers=alice.headers).json()["items"]

    row = next(item for item in listed if item["id"] == made["id"])
    assert "key" not in row and made["key"].startswith(row["prefix"])
    assert row["scopes"] == "read" and row["last_used_at"] is not None
    assert JWT_SECRET  # the suite's Supabase secret is configured for these tests


def test_a_user_key_cannot_issue_an_admin_key(api: TestClient, alice: Caller) -> None:
    answer = api.post("/api/v1/api-keys", json={"name": "x", "scopes": ["admin"]},
                      headers=alice.headers)  # fmt: skip
    assert answer.status_code == 403
