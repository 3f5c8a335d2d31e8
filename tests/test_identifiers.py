"""Phone numbers and email addresses: what is accepted and how it is normalised."""

from __future__ import annotations

import pytest

from otp_flow import BlockedEmail, IdentifierParser, MalformedEmail, MalformedPhoneNumber


@pytest.mark.parametrize(
    "raw",
    ["13612345678", "+8613612345678", "+86 136 1234 5678", "136-1234-5678", "008613612345678"],
)
def test_mainland_china_mobiles_normalise_to_e164(raw: str) -> None:
    assert IdentifierParser().phone(raw).value == "+8613612345678"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "1361234567",  # ten digits
        "136123456789",  # twelve digits
        "01012345678",  # Beijing landline: cannot receive SMS
        "+14155552671",  # a US number: region not allowed by default
        "not a number",
        "1" * 40,
    ],
)
def test_other_numbers_are_malformed_by_default(raw: str) -> None:
    with pytest.raises(MalformedPhoneNumber):
        IdentifierParser().phone(raw)


def test_allowed_regions_are_configurable() -> None:
    parser = IdentifierParser(allowed_regions=["CN", "US"])
    assert parser.phone("+1 415 555 2671").value == "+14155552671"
    assert parser.phone("13612345678").value == "+8613612345678"  # first region is the default
    with pytest.raises(MalformedPhoneNumber):
        parser.phone("+447400123456")


def test_unknown_region_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="XX"):
        IdentifierParser(allowed_regions=["XX"])


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("MOCK_USERNAME@example.com", "mock_username@example.com"),
        ("  Someone@Example.COM ", "someone@example.com"),
    ],
)
def test_emails_normalise(raw: str, normalised: str) -> None:
    assert IdentifierParser().email(raw).value == normalised


@pytest.mark.parametrize("raw", ["", "plainaddress", "a@", "@example.com", "a@b@c.com", "a" * 300])
def test_malformed_emails(raw: str) -> None:
    with pytest.raises(MalformedEmail):
        IdentifierParser().email(raw)


def test_blocked_domains_and_their_subdomains() -> None:
    parser = IdentifierParser(blocked_email_domains=["mailinator.com"])
    for raw in ("x@mailinator.com", "x@eu.Mailinator.com"):
        with pytest.raises(BlockedEmail):
            parser.email(raw)
    assert parser.email("x@notmailinator.com").value == "x@notmailinator.com"


def test_parse_picks_the_channel_by_shape() -> None:
    parser = IdentifierParser()
    assert parser.parse("a@example.com").channel == "email"
    assert parser.parse("13612345678").channel == "sms"
    with pytest.raises(MalformedPhoneNumber):
        parser.parse("a@example.com", "sms")
