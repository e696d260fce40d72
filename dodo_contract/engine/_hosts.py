"""The one judge of a target URL: canonicalise it as the HTTP client will, and refuse Dodo's live host.

Every entry point that may send a request (option resolution, ``check_implementation``, the transport, ``replay``,
the plugin's ``dodo_client``) calls ``guard_target``. The URL is parsed by ``httpx.URL``, the very parser the client
uses to connect, so a spelling that the client would normalise to the live host (IDNA full stops such as
``live。dodopayments。com``, case, a trailing dot, a port of 443) is judged after that normalisation, and anything
the parser reads differently from a person (userinfo before an ``@``, backslashes, percent-escapes or other
characters in the host, whitespace or control characters inside) is refused outright. The result is one canonical
``scheme://host[:port][/path]`` string; the transport sends to exactly that string, so the host checked is the
host connected to.

The guard judges names, not addresses: a raw IP address or another DNS name of Dodo's live servers is not
recognised (no DNS lookups are made here).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any

from ..errors import ConfigError

__all__ = [
    "DODO_DOMAIN",
    "LIVE_HOSTS",
    "canonical_base_url",
    "guard_target",
    "host_of",
    "is_dodo_host",
    "is_live_host",
    "is_loopback",
    "live_host_refusal",
]

LIVE_HOSTS = frozenset({"live.dodopayments.com"})
DODO_DOMAIN = "dodopayments.com"
# A host name as DNS knows it once IDNA has run: letters, digits, hyphens, underscores, dots. Nothing else.
_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")


def canonical_base_url(raw: Any, *, where: str = "base_url") -> str:
    """Return the canonical form of an http(s) base URL, or raise ``ConfigError`` saying what is wrong with it.

    Leading and trailing whitespace is dropped; then the URL must parse with ``httpx.URL`` as an absolute
    ``http``/``https`` URL with a plain host (a DNS name, an IPv4 or a bracketed IPv6 address), an optional port
    in 1..65535 and an optional path; no credentials, query or fragment. The host comes back lower-case, in its
    IDNA (ASCII) form, without trailing dots; the path without its trailing slash.
    """
    import httpx

    if not isinstance(raw, str):
        raise ConfigError(f"{where}: must be an http(s) URL, got {type(raw).__name__}")
    text = raw.strip()
    example = "such as http://127.0.0.1:8000 or https://test.dodopayments.com"
    if not text:
        raise ConfigError(f"{where}: must be an absolute http(s) URL {example}, got an empty string")
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:  # IDNA errors are UnicodeError subclasses
        raise ConfigError(f"{where}: is not a URL the HTTP client can use ({_reason(exc)}), got {text!r}") from None
    if url.scheme not in ("http", "https") or not url.raw_host:
        raise ConfigError(f"{where}: must be an absolute http(s) URL {example}, got {text!r}")
    if "@" in text.split("//", 1)[-1].split("/", 1)[0] or url.userinfo:
        raise ConfigError(f"{where}: must not carry credentials; pass the API key with --api-key or DODO_API_KEY")
    if url.query or url.fragment or "?" in text or "#" in text:
        raise ConfigError(f"{where}: must not have a query or fragment, got {text!r}")
    host = _plain_host(url.raw_host.decode("ascii", "replace"), text, where)
    port = url.port
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(f"{where}: has an invalid port, got {text!r}")
    path = url.raw_path.decode("ascii", "replace").rstrip("/")
    if any(ch in path for ch in "\\;") or any(not ch.isprintable() for ch in path):
        raise ConfigError(f"{where}: has characters the path cannot carry, got {text!r}")
    shown = f"[{host}]" if ":" in host else host
    canonical = f"{url.scheme}://{shown}{'' if port is None else f':{port}'}{path}"
    again = httpx.URL(canonical)
    # The transport parses this string again: it must land on the same host and port, or nothing is proven.
    if again.raw_host.decode("ascii", "replace") != host or again.port != port:  # pragma: no cover - parser drift
        raise ConfigError(f"{where}: the URL does not parse to one stable host, got {text!r}")
    return canonical


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _plain_host(host: str, text: str, where: str) -> str:
    if ":" in host:  # an IPv6 literal (httpx already checked the brackets)
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            raise ConfigError(f"{where}: has an invalid IPv6 address, got {text!r}") from None
    name = host.lower().rstrip(".")
    if not name or not _NAME.fullmatch(name):
        raise ConfigError(f"{where}: the host must be a plain DNS name or IP address, got {text!r}")
    return name


def host_of(url: str) -> str:
    """Return the host of a canonical URL (lower-case, no brackets, no trailing dot)."""
    rest = url.split("://", 1)[-1].split("/", 1)[0]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    return rest.rsplit(":", 1)[0] if ":" in rest else rest


def is_live_host(url: str) -> bool:
    """True when ``url`` (after canonicalisation) names Dodo's live-mode API, which moves real money.

    A URL that cannot be canonicalised is not a live host here; ``guard_target`` refuses it anyway.
    """
    try:
        host = host_of(canonical_base_url(url))
    except ConfigError:
        return False
    return host in LIVE_HOSTS or any(host.endswith("." + live) for live in LIVE_HOSTS)


def is_dodo_host(url: str) -> bool:
    """True when ``url`` names one of Dodo's own hosts (``*.dodopayments.com``)."""
    try:
        host = host_of(canonical_base_url(url))
    except ConfigError:
        return False
    return host == DODO_DOMAIN or host.endswith("." + DODO_DOMAIN)


def is_loopback(url: str) -> bool:
    """True when ``url`` names this machine (``localhost``, ``*.localhost`` or a loopback address)."""
    try:
        host = host_of(canonical_base_url(url))
    except ConfigError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:  # the resolver also reads legacy IPv4 spellings such as 127.1 or 2130706433
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def live_host_refusal() -> ConfigError:
    """Return the one error every entry point raises for the live host without an explicit allowance."""
    return ConfigError(
        f"refusing to test Dodo's live host {min(LIVE_HOSTS)}: live mode creates real payments. Use the test host "
        "https://test.dodopayments.com, or allow it explicitly (--allow-live, pytest --dodo-allow-live, "
        "allow_live=True) to send only a few canonical, fixture-built requests"
    )


def guard_target(url: Any, *, allow_live: bool, where: str = "base_url") -> str:
    """Return the canonical form of ``url``; raise ``ConfigError`` if it is unusable, or live and not allowed."""
    canonical = canonical_base_url(url, where=where)
    if is_live_host(canonical) and allow_live is not True:
        raise live_host_refusal()
    return canonical
