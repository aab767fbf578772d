"""The client's address, read one way for the audit log and for throttling (issue 8, hole 4).

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only as far as the
installation says it sits behind proxies it runs itself: ``GUITU_TRUSTED_PROXIES`` = the number of
such proxies in front of the application (0 = none, the default without ``GUITU_BEHIND_PROXY``).
With N trusted proxies the client is the N-th address from the right of ``X-Forwarded-For`` — the one
the outermost trusted proxy appended; everything left of it is the client's own claim and ignored.

Every address is validated with :mod:`ipaddress`; anything that is not a plain IPv4/IPv6 address
(garbage, a port, an IPv6 zone id, NUL bytes) falls back to the proxy's own address, so a forged or
malformed header can neither forge the audit IP nor make the database refuse the audit row.
"""

import ipaddress

from django.conf import settings

#: Longest header looked at; a 100 KB header is not parsed hop by hop.
MAX_HEADER_CHARS = 2048


def valid_ip(value: str | None) -> str | None:
    """``value`` as a normalised IP address string, or None when it is not one.

    Accepts ``1.2.3.4``, ``::1``, ``1.2.3.4:5678`` and ``[::1]:80`` (ports are dropped); refuses zone
    ids (``fe80::1%eth0`` — PostgreSQL's ``inet`` rejects them) and everything else.
    """
    if not value or not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1 and "." in text:  # v4:port
        text = text.split(":", 1)[0]
    if "%" in text:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def trusted_proxies() -> int:
    return max(0, int(getattr(settings, "GUITU_TRUSTED_PROXIES", 0) or 0))


def client_ip(request) -> str | None:
    """The client's address as far as it can be trusted; never raises."""
    meta = getattr(request, "META", {}) or {}
    remote = valid_ip(meta.get("REMOTE_ADDR"))
    proxies = trusted_proxies()
    if proxies == 0:
        return remote
    forwarded = meta.get("HTTP_X_FORWARDED_FOR") or ""
    if not isinstance(forwarded, str) or not forwarded or len(forwarded) > MAX_HEADER_CHARS:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    if len(hops) < proxies:
        # Fewer hops than proxies: the request did not pass every trusted proxy; believe only the socket.
        return remote
    return valid_ip(hops[-proxies]) or remote
