"""HTTP fetching for the poll and fetch stages: SSRF guard, manual redirects, capped bodies."""

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from pipeline.errors import Drop, Retryable
from pipeline.policy import FetchPolicy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
BeforeSend = Callable[[httpx.URL], None]

# Response headers later stages use (caching validators, retry hints); the rest is dropped.
KEPT_HEADERS = ("content-type", "etag", "last-modified", "retry-after", "cache-control", "expires")

# A worker process fetches one item at a time (prefetch 1); a small pool keeps the few
# hot wire hosts warm without hoarding sockets. 30 s outlives a typical poll burst.
_LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=5, keepalive_expiry=30.0)
# Bodies of 304s and redirects up to this size are read and thrown away to keep the connection.
_DRAIN_MAX = 64 * 1024


@dataclass(frozen=True)
class Fetched:
    """One completed GET: where it ended up, the headers we use and the (capped) body."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    charset: str | None = None
    body: bytes = b""
    not_modified: bool = False


def make_client(policy: FetchPolicy, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """Build the HTTP client for one worker process (redirects are followed by fetch_bytes)."""
    timeout = httpx.Timeout(
        connect=policy.connect_timeout,
        read=policy.read_timeout,
        write=policy.read_timeout,  # we only send small GETs; writes never need their own budget
        pool=policy.connect_timeout,
    )
    return httpx.Client(
        timeout=timeout,
        headers={"User-Agent": policy.user_agent},
        follow_redirects=False,  # each hop must pass the SSRF guard, so we follow them ourselves
        limits=_LIMITS,
        transport=transport,
    )


def fetch_bytes(
    client: httpx.Client,
    url: str,
    policy: FetchPolicy,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str | None = None,
    before_send: BeforeSend | None = None,
) -> Fetched:
    """GET a URL within the policy, or raise Drop / Retryable.

    before_send is called with each request's URL (the first and every redirect hop) right
    before it goes out: the caller's politeness turn is taken there, as close to the wire as
    it can be, so that time spent resolving or waiting does not bunch requests up at a host.
    """
    start = _parse_url(url)
    headers = _request_headers(etag, last_modified, accept)
    deadline = time.monotonic() + policy.total_timeout
    hop = _Hop(before_send or _no_turn, headers)
    try:
        return _follow(client, start, url, hop, policy, deadline)
    except httpx.TimeoutException as exc:
        raise Retryable("timeout", str(exc)) from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:  # ConnectError is a NetworkError
        raise _network_failure(exc) from exc
    except httpx.DecodingError as exc:  # a corrupt gzip/deflate body will not heal on retry
        raise Drop("bad-content-encoding", str(exc)) from exc


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an undecorated one is read as UTC
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_blocked_address(address: IPAddress) -> bool:
    """True for addresses a fetcher must not reach: loopback, private, link-local and the like."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback in disguise
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        # catches shared space such as 100.64.0.0/10, where some clouds keep metadata services
        or not address.is_global
    )


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise Drop("bad-url", url) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Drop("bad-url", url)
    return parsed


def _request_headers(
    etag: str | None, last_modified: str | None, accept: str | None
) -> dict[str, str]:
    headers: dict[str, str] = {}
    if accept:
        headers["Accept"] = accept
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


@dataclass(frozen=True)
class _Hop:
    before_send: "BeforeSend"
    headers: dict[str, str]


def _no_turn(_url: httpx.URL) -> None:
    return None


def _follow(
    client: httpx.Client,
    target: httpx.URL,
    url: str,
    hop: _Hop,
    policy: FetchPolicy,
    deadline: float,
) -> Fetched:
    # One request per hop: the first, then up to max_redirects more. A loop (A -> B -> A)
    # simply runs out of hops, so it needs no separate detection.
    for _ in range(policy.max_redirects + 1):
        guard_host(target, policy)
        timeout = _hop_timeout(policy, deadline)
        hop.before_send(target)
        with client.stream("GET", target, headers=hop.headers, timeout=timeout) as response:
            location = _redirect_location(response)
            if location is None:
                return _finish(response, url, policy, deadline)
            _drain(response)
        target = location
    raise Drop("too-many-redirects", url)


def guard_host(url: httpx.URL, policy: FetchPolicy) -> None:
    """Refuse a URL whose host resolves to a non-public address, unless the policy allows it."""
    if policy.allow_private_networks:
        return
    # Check-then-connect: httpcore resolves the name again when it connects, so a hostile DNS
    # server answering a public address now and 127.0.0.1 a moment later (DNS rebinding) can
    # slip past. Closing that needs pinning the resolved address in a custom transport or an
    # egress firewall; this guard stops the plain cases (internal names, literal IPs, metadata).
    host = url.raw_host.decode("ascii")  # the IDNA form httpcore will connect to
    port = url.port or (443 if url.scheme == "https" else 80)
    for address in _resolve(host, port):
        if is_blocked_address(address):
            raise Drop("blocked-address", f"{host} -> {address}")


def _resolve(host: str, port: int) -> list[IPAddress]:
    # getaddrinfo has no timeout of its own; the resolver's (resolv.conf) bounds it.
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Retryable("dns", f"{host}: {exc}") from exc
    except UnicodeError as exc:  # the idna codec refuses empty or over-long labels ("a..b")
        raise Drop("bad-url", host) from exc
    # An IPv6 sockaddr may carry a zone ("fe80::1%eth0"); the zone does not change the class.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _hop_timeout(policy: FetchPolicy, deadline: float) -> httpx.Timeout:
    # Each phase gets at most what is left of the total budget. A body trickling in just under
    # the read timeout is caught by the per-chunk check in _read_capped, so the total can be
    # overshot by at most one read timeout.
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Retryable("timeout", "total deadline passed")
    connect = min(policy.connect_timeout, remaining)
    read = min(policy.read_timeout, remaining)
    return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


def _redirect_location(response: httpx.Response) -> httpx.URL | None:
    if not response.has_redirect_location:
        return None
    try:
        target = response.url.join(response.headers["location"])
    except httpx.InvalidURL as exc:
        raise Drop("bad-url", response.headers["location"]) from exc
    return _parse_url(str(target))


def _drain(response: httpx.Response) -> None:
    """Read a small body we do not use, so its connection goes back to the pool (keep-alive).

    A response closed unread makes httpcore drop the connection: for a 304 (most polls) or a
    redirect that means a new TCP (and TLS) handshake on every request to that host.
    """
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) <= _DRAIN_MAX:
        response.read()


def _finish(response: httpx.Response, url: str, policy: FetchPolicy, deadline: float) -> Fetched:
    if response.status_code == 304:
        _drain(response)
        return _fetched(response, url, b"", not_modified=True)
    _raise_for_status(response)
    body = _read_capped(response, policy.max_bytes, deadline)
    return _fetched(response, url, body, not_modified=False)


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise Retryable(f"http-{status}", str(response.url), retry_after=retry_after)
    if not 200 <= status < 300:
        raise Drop(f"http-{status}", str(response.url))


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise Drop("too-large", f"content-length {declared} > {max_bytes}")
    body = bytearray()
    # iter_bytes yields decoded content, so the cap also bounds a compression bomb; one raw
    # chunk (64 KiB) can still inflate ~1000x in memory before the check sees it.
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise Drop("too-large", f"body over {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise Retryable("timeout", "total deadline passed while reading the body")
    return bytes(body)


def _fetched(response: httpx.Response, url: str, body: bytes, *, not_modified: bool) -> Fetched:
    content_type = response.headers.get("content-type")
    media_type = content_type.split(";", 1)[0].strip().lower() if content_type else None
    return Fetched(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        headers={name: response.headers[name] for name in KEPT_HEADERS if name in response.headers},
        content_type=media_type or None,
        charset=response.charset_encoding,
        body=body,
        not_modified=not_modified,
    )


def _network_failure(exc: httpx.TransportError) -> Retryable:
    # With the guard off, the name is resolved inside httpcore; its gaierror is in the chain.
    cause: BaseException | None = exc
    for _ in range(8):  # httpx -> httpcore -> OSError is three links; bounded against cycles
        if cause is None:
            break
        if isinstance(cause, socket.gaierror):
            return Retryable("dns", str(cause))
        cause = cause.__cause__ or cause.__context__
    return Retryable("connection", str(exc))
