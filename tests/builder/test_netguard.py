"""SSRF guard and format sniffing."""

import asyncio

import pytest

from pixcrawler.builder.net._netguard import NetworkGuard, is_public_address, redirect_target
from pixcrawler.builder.net._sniff import robots_forbid_ai, sniff_image_type
from pixcrawler.errors import BadRequestError, PolicyError


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fe80::1",
     "0.0.0.0", "::ffff:127.0.0.1", "100.64.0.1", "224.0.0.1"],
)  # fmt: skip
def test_private_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/a.jpg", "http://169.254.169.254/latest/meta-data", "http://[::1]/x",
     "http://localhost/x"],
)  # fmt: skip
def test_guard_refuses_private_targets(url: str) -> None:
    guard = NetworkGuard(allow_private=False)
    with pytest.raises(PolicyError, match="private network address refused"):
        asyncio.run(guard.check(url))


def test_guard_allows_private_when_told() -> None:
    asyncio.run(NetworkGuard(allow_private=True).check("http://127.0.0.1/x"))


@pytest.mark.parametrize("url", ["ftp://h/x", "not a url", "http:///nohost", "http://h:99999/"])
def test_malformed_urls_are_bad_requests(url: str) -> None:
    with pytest.raises(BadRequestError):
        asyncio.run(NetworkGuard(allow_private=True).check(url))


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x1cftypavif", "image/avif"),
        (b"<!doctype html><html>", None),
        (b"", None),
    ],
)
def test_sniffing(head: bytes, mime: str | None) -> None:
    assert sniff_image_type(head) == mime


@pytest.mark.parametrize(
    ("values", "found"),
    [(["noai"], "noai"), (["noindex, noimageai"], "noimageai"), (["otherbot: noai"], "noai"),
     (["noindex"], None), ([], None)],
)  # fmt: skip
def test_robots_opt_out(values: list[str], found: str | None) -> None:
    assert robots_forbid_ai(values) == found


@pytest.mark.parametrize(
    "address",
    ["::127.0.0.1", "::10.0.0.1", "64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::c0a8:101",
     "2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::"],
)  # fmt: skip
def test_ipv6_forms_embedding_a_private_ipv4_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["::8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1"])
def test_ipv6_forms_embedding_a_public_ipv4_are_judged_by_it(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    ["http://example.com/a\x00b.jpg", "http://example.com/a\tb.jpg", "http://exa\x01mple.com/x",
     "http://example.com/" + "a" * 70_000, "http://[::1/x.jpg"],
)  # fmt: skip
def test_urls_httpx_cannot_send_are_bad_requests(url: str) -> None:
    with pytest.raises(BadRequestError, match=r"^bad url \("):
        asyncio.run(NetworkGuard(allow_private=True).check(url))


def test_a_malformed_redirect_location_is_a_bad_request() -> None:
    with pytest.raises(BadRequestError, match=r"^bad url \(redirect Location"):
        redirect_target("http://example.com/a.jpg", "http://[::1/b.jpg")
    with pytest.raises(BadRequestError, match=r"^bad url \("):
        redirect_target("http://example.com/a.jpg", "/b\x00.jpg")
    assert redirect_target("http://example.com/a/b.jpg", "../c.jpg") == "http://example.com/c.jpg"
