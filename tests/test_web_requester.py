"""Who is asking: the client address, believed through trusted proxies only."""

from __future__ import annotations

from typing import Any

import pytest

from otp_flow.web._requester import ClientAddress


def scope(client: str | None, *headers: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "client": (client, 50000) if client else None,
        "headers": [(k.encode(), v.encode()) for k, v in headers],
    }


def test_the_client_address_is_the_key() -> None:
    assert ClientAddress()(scope("203.0.113.7")) == "203.0.113.7"


def test_forwarded_headers_from_untrusted_peers_are_ignored() -> None:
    key = ClientAddress(trusted_proxies=["10.0.0.0/8"])
    forged = scope("203.0.113.7", ("x-forwarded-for", "198.51.100.1"))
    assert key(forged) == "203.0.113.7"
    assert ClientAddress()(scope("10.0.0.1", ("x-forwarded-for", "198.51.100.1"))) == "10.0.0.1"


def test_trusted_hops_are_skipped_right_to_left() -> None:
    key = ClientAddress(trusted_proxies=["10.0.0.0/8", "192.0.2.9"])
    # The client wrote the first entry itself; the proxies appended the rest.
    header = ("x-forwarded-for", "1.2.3.4, 198.51.100.1, 192.0.2.9")
    assert key(scope("10.1.2.3", header)) == "198.51.100.1"
    # Several header lines read as one list.
    lines = scope("10.1.2.3", ("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "198.51.100.2"))
    assert key(lines) == "198.51.100.2"
    # Every hop trusted: the leftmost one.
    assert key(scope("10.1.2.3", ("x-forwarded-for", "10.9.9.9, 10.8.8.8"))) == "10.9.9.9"
    # Garbage from a trusted hop counts as that hop.
    assert key(scope("10.1.2.3", ("x-forwarded-for", "1.2.3.4, unknown"))) == "10.1.2.3"


def test_the_forwarded_header_is_read_too() -> None:
    key = ClientAddress(trusted_proxies=["10.0.0.1"])
    header = ("forwarded", 'for=1.2.3.4;proto=https, for="[2001:db8:cafe::17]:4711"')
    assert key(scope("10.0.0.1", header)) == "2001:db8:cafe::/64"
    assert key(scope("10.0.0.1", ("forwarded", "For=198.51.100.3:8080"))) == "198.51.100.3"


def test_ipv6_is_grouped_by_its_64() -> None:
    key = ClientAddress()
    first = key(scope("2001:db8:1:2:aaaa::1"))
    assert first == key(scope("2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::/64"
    assert key(scope("2001:db8:1:3::1")) != first
    assert key(scope("::ffff:203.0.113.7")) == "203.0.113.7"


def test_a_connection_without_an_ip_has_one_key() -> None:
    assert ClientAddress()(scope(None)) == "unknown"
    assert ClientAddress()(scope("testclient")) == "testclient"


@pytest.mark.parametrize("proxies", [["not an address"], "10.0.0.1", ["10.0.0.0/33"]])
def test_bad_trusted_proxies_are_refused(proxies: Any) -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        ClientAddress(trusted_proxies=proxies)


def test_a_bad_proxy_is_named_as_the_configuration_names_it() -> None:
    with pytest.raises(ValueError, match=r"^trusted_proxies: 'nope' does not appear to be an IPv4"):
        ClientAddress(trusted_proxies=["nope"])
