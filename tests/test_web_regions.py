"""Whose phone numbers the pages take (``allowed_regions`` / ``default_region``) and which
languages they speak (``locales``), over real HTTP."""

from __future__ import annotations

import pytest

from otp_flow import IdentifierParser, PhoneRegionNotAllowed
from otp_flow.stores.base import OTPStore
from tests.conftest import FakeClock
from tests.live_server import open_live_site

US_MOBILE = "+14155550101"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


async def test_a_number_of_another_region_is_refused_with_a_clear_message(
    store: OTPStore, clock: FakeClock
) -> None:
    async with open_live_site(store, clock) as site:
        refused = await site.post("/auth/signup", {"identifier": US_MOBILE})
        assert refused.status_code == 422
        assert "Mobile numbers from this country or region (+1) cannot be used here." in (
            refused.text
        )
        zh = await site.post("/auth/signup", {"identifier": US_MOBILE}, headers=ZH)
        assert "此处不能使用该国家或地区（+1）的手机号码。" in zh.text
        assert await site.messages() == []


async def test_allowed_regions_and_default_region(store: OTPStore, clock: FakeClock) -> None:
    async with open_live_site(
        store, clock, allowed_regions=["CN", "US"], default_region="US"
    ) as site:
        await site.send_code("signup", US_MOBILE)
        site.later()
        await site.send_code("login", "415 555 0102")  # no "+": read as a US number
        assert [m["recipient"] for m in await site.messages() if m["code"]] == [US_MOBILE]
        # The login code went nowhere (no account), but the number was accepted as US:
        login_page = await site.client.get("/auth/login/code")
        assert "+14155550102" in login_page.text
        await site.send_code("signup", "+8613612345678")  # China still allowed


def test_default_region_must_be_allowed() -> None:
    parser = IdentifierParser(allowed_regions=["CN", "US"], default_region="us")
    assert parser.allowed_regions == ("US", "CN")
    with pytest.raises(ValueError, match="default_region 'GB' must be one of"):
        IdentifierParser(allowed_regions=["CN"], default_region="GB")
    with pytest.raises(PhoneRegionNotAllowed) as refused:
        IdentifierParser().parse(US_MOBILE)
    assert (refused.value.region, refused.value.calling_code) == ("US", 1)


async def test_an_english_only_site_answers_a_chinese_browser_in_english(
    store: OTPStore, clock: FakeClock
) -> None:
    async with open_live_site(store, clock, locales=["en"]) as site:
        site.client.headers.update(ZH)
        page = await site.client.get("/auth/login")
        assert 'lang="en"' in page.text
        wrong = await site.post("/auth/login", {"identifier": "not an address"})
        assert wrong.status_code == 422
        assert "Enter a valid mobile number or email address." in wrong.text


def test_locales_are_checked(clock: FakeClock) -> None:
    from otp_flow.web._i18n import Translator

    for bad in ([], ["qaa"], "en"):  # qaa: never shipped
        with pytest.raises(ValueError, match="locales"):
            Translator(locales=bad)  # type: ignore[arg-type]
    assert Translator(locales=["zh-CN"]).negotiate("en-US") == "zh-CN"
