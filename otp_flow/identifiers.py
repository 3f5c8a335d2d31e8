"""Turning what a person typed into a normalised recipient.

Phones go through phonenumbers (to E.164), emails through email-validator (syntax only by default;
DNS checks are opt-in because they make every send depend on a resolver).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneNumberType

from otp_flow.errors import (
    BlockedEmail,
    MalformedEmail,
    MalformedPhoneNumber,
    PhoneRegionNotAllowed,
)
from otp_flow.types import Channel, Recipient

__all__ = ["IdentifierParser", "limit_key"]

#: Domains whose mailboxes ignore dots in the local part; the second is an alias of the first.
_GMAIL_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}

# SMS only reaches mobiles; FIXED_LINE_OR_MOBILE covers regions (e.g. US) whose ranges overlap.
_SMS_CAPABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


@lru_cache(maxsize=4096)
def _e164_mobile(raw: str, allowed_regions: tuple[str, ...]) -> str:
    """E.164 of a mobile number of an allowed region, else MalformedPhoneNumber.

    Cached: a person's number is parsed at send and again at verify (Yunpian, OnlyID), and
    phonenumbers' parse is the costliest step of a send. Errors are not cached (lru_cache does
    not keep exceptions), so bad input costs the full parse each time.
    """
    try:
        number = phonenumbers.parse(raw, allowed_regions[0])
    except phonenumbers.NumberParseException as exc:
        raise MalformedPhoneNumber(str(exc)) from exc
    # number_type is UNKNOWN for an invalid number, so one call both validates and classifies
    # (is_valid_number would repeat most of its work).
    if phonenumbers.number_type(number) not in _SMS_CAPABLE:
        raise MalformedPhoneNumber("not a valid mobile number")
    region = phonenumbers.region_code_for_number(number)
    if region not in allowed_regions:
        raise PhoneRegionNotAllowed(region or "ZZ", number.country_code or 0)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class IdentifierParser:
    """Parses and normalises phone numbers and email addresses.

    ``allowed_regions``: ISO 3166 codes whose mobile numbers are accepted; the first one is the
    region assumed for numbers written without ``+`` (so ``13612345678`` is read as Chinese),
    unless ``default_region`` (one of them) names another.
    ``blocked_email_domains``: a domain here, or any subdomain of it, is refused with
    ``BlockedEmail``.
    """

    def __init__(
        self,
        *,
        allowed_regions: Iterable[str] = ("CN",),
        default_region: str | None = None,
        blocked_email_domains: Iterable[str] = (),
        check_email_deliverability: bool = False,
    ) -> None:
        self.allowed_regions = tuple(r.upper() for r in allowed_regions)
        if not self.allowed_regions:
            raise ValueError("allowed_regions must name at least one region")
        for region in self.allowed_regions:
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(f"allowed_regions: {region!r} is not a known region code")
        if default_region is not None:
            default = default_region.upper()
            if default not in self.allowed_regions:
                raise ValueError(
                    f"default_region {default_region!r} must be one of allowed_regions "
                    f"{list(self.allowed_regions)}"
                )
            rest = tuple(r for r in self.allowed_regions if r != default)
            self.allowed_regions = (default, *rest)
        self.blocked_email_domains = frozenset(d.lower().strip(".") for d in blocked_email_domains)
        self.check_email_deliverability = check_email_deliverability

    def phone(self, raw: str) -> Recipient:
        if not isinstance(raw, str) or not raw.strip() or len(raw) > 32:
            raise MalformedPhoneNumber("empty or overlong phone number")
        return Recipient("sms", _e164_mobile(raw, self.allowed_regions))

    def email(self, raw: str) -> Recipient:
        if not isinstance(raw, str) or not raw.strip() or len(raw) > 254:
            raise MalformedEmail("empty or overlong email address")
        try:
            info = validate_email(raw.strip(), check_deliverability=self.check_email_deliverability)
        except EmailNotValidError as exc:
            raise MalformedEmail(str(exc)) from exc
        # Lower-cased whole: providers treat local parts case-insensitively in practice, and one
        # person must not hold two accounts (or two rate-limit buckets) by changing case.
        address = info.normalized.lower()
        domain = address.rpartition("@")[2]
        if self._blocked(domain):
            raise BlockedEmail("this email domain is not accepted")
        return Recipient("email", address)

    def parse(self, raw: str, channel: Channel | None = None) -> Recipient:
        """Parse ``raw`` as ``channel``; without one, an ``@`` means email, anything else phone."""
        if channel is None:
            channel = "email" if isinstance(raw, str) and "@" in raw else "sms"
        return self.email(raw) if channel == "email" else self.phone(raw)

    def _blocked(self, domain: str) -> bool:
        parts = domain.split(".")
        return any(".".join(parts[i:]) in self.blocked_email_domains for i in range(len(parts)))


def limit_key(recipient: Recipient) -> str:
    """The key a recipient's limits and codes are kept under: every spelling of one inbox folds
    to one key, so ``+tags``, dots or ``googlemail.com`` cannot multiply a recipient's limits.

    Email: the part of the local part from the first ``+`` on is dropped on every domain (a
    ``+`` sub-address reaches the same inbox almost everywhere); on gmail.com and
    googlemail.com dots are dropped too and the domain becomes gmail.com. Phones are already
    one E.164 string. Codes are still delivered to the address as typed.
    """
    if recipient.channel != "email":
        return recipient.value
    local, _, domain = recipient.value.rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL_DOMAINS:
        local, domain = local.replace(".", "") or local, _GMAIL_DOMAINS[domain]
    return f"{local}@{domain}"
