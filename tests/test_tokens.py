"""otp_flow.tokens without HTTP: signing keys, and the token store contract on memory and Redis."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from otp_flow.stores.base import OTPStore
from otp_flow.tokens import (
    SigningKeys,
    TokenRejected,
    TokenService,
    TokenStore,
    token_store_beside,
)

NOW = 1_773_104_400_000
LATER = NOW + 3_600_000
FAMILY = {"user_id": "u1", "family_id": "f1", "client_id": "app"}

# The token store runs on memory, single Redis and Redis Cluster.
pytestmark = pytest.mark.every_store


def _small_rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_pem_keys_of_both_kinds_sign_with_their_algorithm() -> None:
    ec, rsa = ECKey.generate_key("P-256"), RSAKey.generate_key(2048)
    keys = SigningKeys.from_pem([ec.as_pem(private=True), rsa.as_pem(private=True)])
    assert keys.newest[1] == "RS256"
    assert keys.algorithms == ["ES256", "RS256"]
    assert [k["alg"] for k in keys.jwks()["keys"]] == ["RS256", "ES256"]
    assert all("d" not in k and "p" not in k for k in keys.jwks()["keys"])


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (ECKey.generate_key("P-384").as_pem(private=True), "must be P-256"),
        (_small_rsa_pem(), "RSA signing keys must have at least 2048 bits"),
        (ECKey.generate_key("P-256").as_pem(private=False), "must be private"),
        (b"not a key", "signing key 0 is not a PEM"),
    ],
)
def test_unusable_keys_are_refused(key: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        SigningKeys.from_pem([key])


def test_derived_keys_agree_across_workers_and_rotate_with_the_secrets() -> None:
    first = SigningKeys.derived(["a" * 32])
    again = SigningKeys.derived(["a" * 32])
    rotated = SigningKeys.derived(["a" * 32, "b" * 32])
    assert first.jwks() == again.jwks()
    assert rotated.jwks()["keys"][1] == first.jwks()["keys"][0]
    assert rotated.newest[0].kid != first.newest[0].kid


@pytest.fixture
def tokens_store(store: OTPStore) -> TokenStore:
    return token_store_beside(store)


async def test_rotation_and_reuse(tokens_store: TokenStore) -> None:
    await tokens_store.start_family(**FAMILY, refresh_digest="d1", now_ms=NOW, expires_ms=LATER)

    async def rotate(presented: str, new: str, client: str = "app") -> str:
        return await tokens_store.rotate(
            **{**FAMILY, "client_id": client},
            presented_digest=presented,
            new_digest=new,
            now_ms=NOW + 1,
            expires_ms=LATER,
        )

    assert await rotate("d1", "d2", client="other") == "unknown"
    assert await rotate("nope", "d2") == "unknown"
    assert await rotate("d1", "d2") == "rotated"
    assert await rotate("d2", "d3") == "rotated"
    assert await tokens_store.is_live(user_id="u1", family_id="f1", now_ms=NOW + 2)
    assert await rotate("d1", "d4") == "reused"
    assert not await tokens_store.is_live(user_id="u1", family_id="f1", now_ms=NOW + 2)
    assert await rotate("d3", "d5") == "unknown"


async def test_families_expire_and_end(tokens_store: TokenStore) -> None:
    for family in ("f1", "f2"):
        await tokens_store.start_family(
            user_id="u1",
            family_id=family,
            client_id="app",
            refresh_digest=family,
            now_ms=NOW,
            expires_ms=LATER,
        )
    await tokens_store.start_family(
        user_id="u2", family_id="f3", client_id="app", refresh_digest="x", now_ms=NOW,
        expires_ms=LATER,
    )  # fmt: skip
    assert not await tokens_store.is_live(user_id="u1", family_id="f1", now_ms=LATER)
    await tokens_store.end_family(user_id="u1", family_id="f1")
    assert not await tokens_store.is_live(user_id="u1", family_id="f1", now_ms=NOW)
    assert await tokens_store.is_live(user_id="u1", family_id="f2", now_ms=NOW)
    await tokens_store.end_user("u1")
    assert not await tokens_store.is_live(user_id="u1", family_id="f2", now_ms=NOW)
    assert await tokens_store.is_live(user_id="u2", family_id="f3", now_ms=NOW)
    expired = await tokens_store.rotate(
        user_id="u2", family_id="f3", client_id="app", presented_digest="x",
        new_digest="y", now_ms=LATER, expires_ms=LATER + 1,
    )  # fmt: skip
    assert expired == "unknown"


@pytest.mark.parametrize(("claim", "value"), [("sub", 1), ("sid", 7), ("client_id", ["app"])])
async def test_an_access_token_whose_ids_are_not_strings_is_not_valid(
    tokens_store: TokenStore, claim: str, value: object
) -> None:
    # Signed with our own key, so only the claims' shapes can refuse it.
    keys = SigningKeys.derived(["k" * 32])
    service = TokenService(keys=keys, store=tokens_store, clock=lambda: NOW / 1000)
    key, algorithm = keys.newest
    claims = {"iss": "https://id.example", "sub": "u1", "sid": "f1", "client_id": "app"}
    claims |= {"exp": NOW // 1000 + 60, claim: value}
    token = jwt.encode({"alg": algorithm, "kid": key.kid, "typ": "at+jwt"}, claims, key)
    with pytest.raises(TokenRejected, match=r"^the access token is not valid$"):
        await service.authenticate(token, issuer="https://id.example")
