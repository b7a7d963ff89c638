"""HTTP plumbing shared by discovery and downloads: client pool, SSRF guard, sniffing."""

from pixcrawler.builder.net._body import read_body
from pixcrawler.builder.net._clients import ClientPool
from pixcrawler.builder.net._httpx_errors import classify_network_error, classify_response
from pixcrawler.builder.net._netguard import HostSlots, NetworkGuard, redirect_target
from pixcrawler.builder.net._sniff import SNIFF_BYTES, robots_forbid_ai, sniff_image_type

__all__ = [
    "SNIFF_BYTES",
    "ClientPool",
    "HostSlots",
    "NetworkGuard",
    "classify_network_error",
    "classify_response",
    "read_body",
    "redirect_target",
    "robots_forbid_ai",
    "sniff_image_type",
]
