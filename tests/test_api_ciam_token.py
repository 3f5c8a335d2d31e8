"""CIAM sign-in by code over real HTTP: POST /oauth2/token (both OTP grants, refresh_token with
rotation), its documented errors, JWKS verification, expiry, revocation, discovery."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey

from otp_flow.errors import Refused
from otp_flow.stores.base import OTPStore
from otp_flow.tokens import SigningKeys
from otp_flow.users import BeforeEvent
from tests.ciam_helpers import (
    APP,
    BODY_CLIENT,
    EMAIL_GRANT,
    EMAIL_SOURCE,
    OTHER_APP,
    SMS_GRANT,
    SMS_SOURCE,
    CiamSite,
    open_ciam_site,
)
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, PHONE

TOKEN_FIELDS = ["access_token", "refresh_token", "scope", "id_token", "token_type", "expires_in"]


def error(response: Any) -> tuple[int, dict[str, Any]]:
    return response.status_code, response.json()


async def test_sms_login_needs_an_account_or_auto_signup(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        refused = await site.sms_login(PHONE, E164)
        site.later()
        signed_up = await site.sms_login(PHONE, E164, auto_signup=True)
        user = await site.users.find_by_phone(E164)
        access = await site.verified_claims(signed_up.json()["access_token"])
        identity = await site.verified_claims(signed_up.json()["id_token"])
        me = await site.userinfo(signed_up.json()["access_token"])
    assert error(refused) == (
        400,
        {"error": "invalid_grant", "error_description": "User not found"},
    )
    assert signed_up.status_code == 200
    body = signed_up.json()
    assert list(body) == TOKEN_FIELDS
    assert (body["scope"], body["token_type"], body["expires_in"]) == ("openid", "Bearer", 3600)
    assert signed_up.headers["cache-control"] == "no-store"
    assert user is not None
    assert (access["sub"], access["aud"], access["client_id"]) == (user.id, APP[0], APP[0])
    assert access["iss"] == str(site.api.base_url).rstrip("/")
    assert access["exp"] - access["iat"] == 3600
    assert identity["sub"] == user.id and identity["phone_number"] == E164
    assert identity["phone_number_verified"] is True
    assert me.json() == {"sub": user.id, "phone_number": E164, "phone_number_verified": True}


async def test_email_login_with_a_form_body(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        user = await site.users.create(display_name="Ann", email=EMAIL)
        token, code = await site.sent("login", EMAIL, email="Ann@Example.COM")
        response = await site.api.post(
            "/oauth2/token",
            data={
                **BODY_CLIENT,
                "grant_type": EMAIL_GRANT,
                "auth_source_id": EMAIL_SOURCE,
                "email": EMAIL,
                "otp_token": token,
                "otp": code,
                "auto_signup": "false",
            },
        )
        claims = await site.verified_claims(response.json()["id_token"])
    assert response.status_code == 200, response.text
    assert (claims["sub"], claims["email"], claims["name"]) == (user.id, EMAIL, "Ann")


async def test_every_documented_refusal(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        await site.users.create(display_name="Ann", phone_number=E164)
        token, code = await site.sent("login", E164, phone_number=PHONE)
        grant = {
            "grant_type": SMS_GRANT,
            "auth_source_id": SMS_SOURCE,
            "phone_number": PHONE,
            "otp_token": token,
            "otp": code,
        }
        other_token = await site.send("login", OTHER_APP, phone_number="13612345679")
        answers = {
            "garbage token": await site.token(**{**grant, "otp_token": "x.y.z"}),
            "other client's": await site.token(**{**grant, "otp_token": other_token}),
            "other number": await site.token(**{**grant, "phone_number": "13612345679"}),
            "email grant": await site.token(
                **{**grant, "grant_type": EMAIL_GRANT, "email": EMAIL, "auth_source_id": None}
            ),
            "wrong source": await site.token(**{**grant, "auth_source_id": EMAIL_SOURCE}),
            "unknown source": await site.token(**{**grant, "auth_source_id": "NOPE"}),
            "wrong code": await site.token(**{**grant, "otp": "0" if code != "0" * 6 else "1"}),
            "grant type": await site.token(**{**grant, "grant_type": "password"}),
            "bad secret": await site.token(**{**grant, "client_secret": "wrong"}),
            "missing otp": await site.token(**{**grant, "otp": None}),
            # The grant's channel names the field read: the other channel's is not a stand-in.
            "number elsewhere": await site.token(**{**grant, "phone_number": None, "email": EMAIL}),
            "malformed": await site.token(**{**grant, "phone_number": "12"}),
        }
        ok = await site.token(**grant)
        used = await site.token(**grant)
        site.later()
        stale_token, stale_code = await site.sent("login", E164, phone_number=PHONE)
        clock.advance(301)  # past the code and the otp_token (5 minutes)
        stale = await site.token(**{**grant, "otp_token": stale_token, "otp": stale_code})
    unknown_token = (
        400,
        {"error": "invalid_grant", "error_description": "Unknown or expired otp_token"},
    )
    unknown_otp = (400, {"error": "invalid_grant", "error_description": "Unknown or expired OTP"})
    mismatched = (
        400,
        {"error": "invalid_request",
         "error_description": "Mismatched OTP token and OTP sending parameters"},
    )  # fmt: skip
    source = (
        400,
        {"error": "invalid_auth_source",
         "error_description": "Auth source and application not associated"},
    )  # fmt: skip
    assert error(answers["garbage token"]) == unknown_token
    assert error(answers["other client's"]) == unknown_token
    assert error(answers["other number"]) == mismatched
    assert error(answers["email grant"]) == mismatched
    assert error(answers["wrong source"]) == source
    assert error(answers["unknown source"]) == source
    assert error(answers["wrong code"]) == unknown_otp
    assert error(answers["grant type"]) == (
        400,
        {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"},
    )
    assert answers["bad secret"].status_code == 401
    assert answers["bad secret"].json() == {"error": "invalid_client"}
    assert answers["bad secret"].headers["www-authenticate"].startswith("Basic")
    assert error(answers["missing otp"]) == (
        400,
        {"error": "invalid_request", "error_description": "otp is required"},
    )
    assert error(answers["number elsewhere"]) == (
        400,
        {"error": "invalid_request", "error_description": "phone_number is required"},
    )
    assert error(answers["malformed"]) == (400, {"error": "malformed_phone_number"})
    assert ok.status_code == 200  # the wrong code above cost an attempt, not the challenge
    assert error(used) == unknown_otp
    assert error(stale) == unknown_token


async def _signed_in(site: CiamSite) -> dict[str, Any]:
    response = await site.sms_login(PHONE, E164, auto_signup=True)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_refresh_rotates_and_reuse_ends_the_family(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        first = await _signed_in(site)
        refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        second = await site.token(**refresh)
        other_client = await site.token(
            **refresh, client_id=OTHER_APP[0], client_secret=OTHER_APP[1]
        )
        assert second.status_code == 200, second.text
        new = second.json()
        assert new["refresh_token"] != first["refresh_token"]
        assert (await site.userinfo(new["access_token"])).status_code == 200
        reused = await site.token(**refresh)  # a copy of the rotated token: theft
        after = {
            "new refresh": await site.token(
                grant_type="refresh_token", refresh_token=new["refresh_token"]
            ),
            "new access": await site.userinfo(new["access_token"]),
            "first access": await site.userinfo(first["access_token"]),
        }
    assert error(other_client) == (
        400,
        {"error": "invalid_grant", "error_description": "Invalid refresh token"},
    )
    assert error(reused) == (
        400,
        {"error": "invalid_grant", "error_description": "Invalid refresh token"},
    )
    assert after["new refresh"].status_code == 400
    assert after["new access"].status_code == 401
    assert after["first access"].status_code == 401


async def test_access_tokens_expire_and_refresh_tokens_outlive_them(
    store: OTPStore, clock: FakeClock
) -> None:
    async with open_ciam_site(store, clock) as site:
        tokens = await _signed_in(site)
        clock.advance(3599)
        fresh = await site.userinfo(tokens["access_token"])
        clock.advance(2)
        expired = await site.userinfo(tokens["access_token"])
        renewed = await site.token(
            grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )
        clock.advance(30 * 24 * 3600 + 1)
        too_late = await site.token(
            grant_type="refresh_token", refresh_token=renewed.json()["refresh_token"]
        )
    assert fresh.status_code == 200
    assert expired.status_code == 401
    assert expired.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]
    assert renewed.status_code == 200
    assert too_late.status_code == 400


async def test_bearer_refusals_carry_a_challenge(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        tokens = await _signed_in(site)
        missing = await site.api.get("/userinfo")
        garbage = await site.userinfo("not-a-jwt")
        id_token = await site.userinfo(tokens["id_token"])  # signed by us, but not an access token
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="otp_flow"'
    for response in (garbage, id_token):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith('Bearer realm="otp_flow", error=')


async def test_revoke_signs_out_one_sign_in(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        kept = await _signed_in(site)
        site.later()
        ended = await _signed_in(site)
        by_refresh = await site.api.post(
            "/oauth2/revoke", data={**BODY_CLIENT, "token": ended["refresh_token"]}
        )
        third_tokens = (
            await site.token(grant_type="refresh_token", refresh_token=kept["refresh_token"])
        ).json()
        by_access = await site.api.post(
            "/oauth2/revoke", json={**BODY_CLIENT, "token": third_tokens["access_token"]}
        )
        unknown = await site.api.post("/oauth2/revoke", json={**BODY_CLIENT, "token": "nope"})
        answers = [
            (await site.userinfo(ended["access_token"])).status_code,
            (await site.userinfo(third_tokens["access_token"])).status_code,
        ]
    assert [by_refresh.status_code, by_access.status_code, unknown.status_code] == [200] * 3
    assert by_refresh.content == b""
    assert answers == [401, 401]


async def test_rotated_signing_keys_keep_old_tokens_valid(
    store: OTPStore, clock: FakeClock
) -> None:
    old, new = ECKey.generate_key("P-256"), ECKey.generate_key("P-256")
    async with open_ciam_site(store, clock, keys=SigningKeys([old])) as site:
        before = await _signed_in(site)
        # The operator adds a key (as a restart with one more signing_keys file would).
        site.tokens.keys = SigningKeys([old, new])
        site.later()
        still = await site.userinfo(before["access_token"])
        after = (await site.sms_login(PHONE, E164)).json()
        published = (await site.api.get("/.well-known/jwks.json")).json()
        claims = await site.verified_claims(after["access_token"])
    assert still.status_code == 200
    assert [key["kid"] for key in published["keys"]] == [new.thumbprint(), old.thumbprint()]
    assert all("d" not in key for key in published["keys"])  # public halves only
    assert claims["sub"] == still.json()["sub"]


async def test_discovery_names_the_endpoints(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        document = (await site.api.get("/.well-known/openid-configuration")).json()
        base = str(site.api.base_url).rstrip("/")
        tokens = await _signed_in(site)
        claims = await site.verified_claims(tokens["id_token"])
    assert document["issuer"] == base == claims["iss"]
    assert document["jwks_uri"] == f"{base}/.well-known/jwks.json"
    assert document["token_endpoint"] == f"{base}/oauth2/token"
    assert document["userinfo_endpoint"] == f"{base}/userinfo"
    assert SMS_GRANT in document["grant_types_supported"]
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]


@pytest.mark.parametrize("body", [b"{", b"[]", b"grant_type=x&grant_type=y"])
async def test_unreadable_bodies_are_invalid_request(
    store: OTPStore, clock: FakeClock, body: bytes
) -> None:
    content_type = "application/x-www-form-urlencoded" if b"=" in body else "application/json"
    async with open_ciam_site(store, clock) as site:
        response = await site.api.post(
            "/oauth2/token", content=body, headers={"Content-Type": content_type}
        )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")


async def test_a_redis_outage_is_503_never_500(private_redis: Any, clock: FakeClock) -> None:
    from otp_flow.stores.redis import RedisStore

    store = RedisStore.from_url(private_redis.url, socket_timeout=1.0)
    try:
        async with open_ciam_site(store, clock) as site:
            tokens = await _signed_in(site)
            private_redis.stop()
            answers = [
                await site.userinfo(tokens["access_token"]),
                await site.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"]),
                await site.api.post(
                    "/oauth2/revoke", json={**BODY_CLIENT, "token": tokens["refresh_token"]}
                ),
            ]
    finally:
        await store.aclose()
    for answer in answers:
        assert answer.status_code == 503
        assert answer.json()["error"] == "temporarily_unavailable"


async def test_auto_signup_runs_the_applications_signup_guards(
    store: OTPStore, clock: FakeClock
) -> None:
    # The pages' before_signup guard ("no account for this address") must also hold when the
    # account would be made by a token grant with auto_signup, not only by a signup code.
    async with open_ciam_site(store, clock) as site:

        @site.hooks.before_signup
        async def no_new_accounts(event: BeforeEvent) -> None:
            raise Refused("Accounts are made by the support desk.")

        refused = await site.sms_login(PHONE, E164, auto_signup=True)
        user = await site.users.find_by_phone(E164)
    assert error(refused) == (
        400,
        {"error": "access_denied", "error_description": "Accounts are made by the support desk."},
    )
    assert user is None
