"""Tests for pipeline.http: SSRF guard, manual redirects, size and time caps, error mapping."""

import gzip
import http.server
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from pipeline.errors import Drop, Retryable
from pipeline.http import fetch_bytes, is_blocked_address, make_client, parse_retry_after
from pipeline.policy import FetchPolicy

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"
PUBLIC_IP = "93.184.215.14"  # any global unicast address will do; nothing connects to it
Handler = Callable[[httpx.Request], httpx.Response]

_real_getaddrinfo = socket.getaddrinfo


@dataclass
class FakeDNS:
    """Names in table resolve to their address, "down.example" fails, the rest really resolve."""

    table: dict[str, str] = field(
        default_factory=lambda: {"a.example": PUBLIC_IP, "b.example": PUBLIC_IP}
    )
    lookups: list[str] = field(default_factory=list)

    def getaddrinfo(self, host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        self.lookups.append(host)
        if host == "down.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if host in self.table:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (self.table[host], port))]
        return _real_getaddrinfo(host, port, *args, **kwargs)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    fake = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


def run(handler: Handler, url: str, policy: FetchPolicy | None = None, **kwargs: Any) -> Any:
    policy = policy or FetchPolicy()
    with make_client(policy, transport=httpx.MockTransport(handler)) as client:
        return fetch_bytes(client, url, policy, **kwargs)


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Type": "text/html; charset=ISO-8859-1"}, text="hi")


def test_make_client_sets_timeouts_user_agent_and_leaves_redirects_to_us() -> None:
    policy = FetchPolicy(connect_timeout=2.0, read_timeout=7.0, user_agent="wire-test/1")
    with make_client(policy) as client:
        assert client.timeout.connect == 2.0
        assert client.timeout.read == 7.0
        assert client.headers["User-Agent"] == "wire-test/1"
        assert client.follow_redirects is False


def test_fetch_returns_body_status_and_the_headers_we_use(dns: FakeDNS) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html; charset=ISO-8859-1", "ETag": '"v1"', "X-Other": "1"}
        return httpx.Response(200, headers=headers, content=b"caf\xe9")

    fetched = run(handler, "https://a.example/page")
    assert (fetched.status, fetched.body, fetched.not_modified) == (200, b"caf\xe9", False)
    assert (fetched.content_type, fetched.charset) == ("text/html", "iso-8859-1")
    assert fetched.headers == {"content-type": "text/html; charset=ISO-8859-1", "etag": '"v1"'}
    assert fetched.url == fetched.final_url == "https://a.example/page"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/feed",
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://192.168.1.1:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
    ],
)
def test_fetch_refuses_loopback_when_private_networks_disallowed(dns: FakeDNS, url: str) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return ok(request)

    with pytest.raises(Drop) as caught:
        run(handler, url, FetchPolicy(allow_private_networks=False))
    assert caught.value.reason == "blocked-address"
    assert sent == []  # the guard runs before anything is sent


def test_fetch_refuses_hostname_resolving_to_private_address(dns: FakeDNS) -> None:
    dns.table["intranet.example"] = "10.1.2.3"
    with pytest.raises(Drop, match="blocked-address"):
        run(ok, "https://intranet.example/")


def test_fetch_allows_private_networks_when_policy_says_so() -> None:
    fetched = run(ok, "http://10.0.0.1/", FetchPolicy(allow_private_networks=True))
    assert fetched.body == b"hi"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://a.example/f",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "/relative",
        "",
        "http://a..b/",
    ],
)
def test_fetch_drops_urls_that_are_not_http(url: str) -> None:
    with pytest.raises(Drop, match="bad-url"):
        run(ok, url)


def test_is_blocked_address_keeps_public_addresses_open() -> None:
    assert not is_blocked_address(ipaddress.ip_address(PUBLIC_IP))
    assert not is_blocked_address(ipaddress.ip_address("2606:4700::1111"))


def test_fetch_follows_redirects_and_checks_each_hop(dns: FakeDNS) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "a.example":
            return httpx.Response(301, headers={"Location": "https://b.example/moved"})
        if request.url.path == "/moved":
            return httpx.Response(302, headers={"Location": "/final?x=1"})  # relative
        return ok(request)

    fetched = run(handler, "http://a.example/start")
    assert fetched.url == "http://a.example/start"
    assert fetched.final_url == "https://b.example/final?x=1"
    assert dns.lookups == ["a.example", "b.example", "b.example"]  # one guard per hop


def test_fetch_refuses_redirect_to_metadata_address(dns: FakeDNS) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    with pytest.raises(Drop, match="blocked-address"):
        run(handler, "https://a.example/")
    assert sent == ["https://a.example/"]


def test_fetch_refuses_redirect_to_non_http_scheme(dns: FakeDNS) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "file:///etc/passwd"})

    with pytest.raises(Drop, match="bad-url"):
        run(handler, "https://a.example/")


def test_fetch_stops_redirect_loop(dns: FakeDNS) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.host)
        other = "b.example" if request.url.host == "a.example" else "a.example"
        return httpx.Response(307, headers={"Location": f"https://{other}/"})

    with pytest.raises(Drop, match="too-many-redirects"):
        run(handler, "https://a.example/", FetchPolicy(max_redirects=3))
    assert len(sent) == 4  # the first request and three redirects, then we give up


def test_fetch_follows_exactly_max_redirects(dns: FakeDNS) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        hop = int(request.url.path.strip("/") or 0)
        if hop < 2:
            return httpx.Response(308, headers={"Location": f"/{hop + 1}"})
        return ok(request)

    assert run(handler, "https://a.example/", FetchPolicy(max_redirects=2)).status == 200


def test_fetch_caps_body_size_while_streaming(dns: FakeDNS) -> None:
    produced: list[int] = []

    def chunks() -> Iterator[bytes]:
        for index in range(1000):
            produced.append(index)
            yield b"x" * 100

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())  # chunked, no Content-Length

    with pytest.raises(Drop, match="too-large"):
        run(handler, "https://a.example/", FetchPolicy(max_bytes=1000))
    assert len(produced) < 20  # stopped soon after the cap, not after 100 kB


def test_fetch_refuses_declared_content_length_over_cap(dns: FakeDNS) -> None:
    started: list[bool] = []

    def body() -> Iterator[bytes]:
        started.append(True)
        yield b"x" * 2000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "2000"}, content=body())

    with pytest.raises(Drop, match="too-large"):
        run(handler, "https://a.example/", FetchPolicy(max_bytes=1000))
    assert started == []


def test_fetch_caps_decompressed_size_not_wire_size(dns: FakeDNS) -> None:
    bomb = gzip.compress(b"\0" * 200_000)  # ~200 bytes on the wire

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=bomb)

    with pytest.raises(Drop, match="too-large"):
        run(handler, "https://a.example/", FetchPolicy(max_bytes=50_000))


def test_fetch_drops_corrupt_compressed_body(dns: FakeDNS) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip")

    with pytest.raises(Drop, match="bad-content-encoding"):
        run(handler, "https://a.example/")


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [(503, "120", 120.0), (429, "7", 7.0), (502, None, None), (503, "soon", None)],
)
def test_fetch_maps_503_to_retryable_with_retry_after(
    dns: FakeDNS, status: int, retry_after: str | None, expected: float | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers)

    with pytest.raises(Retryable) as caught:
        run(handler, "https://a.example/")
    assert caught.value.reason == f"http-{status}"
    assert caught.value.retry_after == expected


def test_parse_retry_after_reads_http_dates() -> None:
    now = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 60.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now=now) == 0.0  # in the past


@pytest.mark.parametrize("status", [404, 410, 403, 400, 300])
def test_fetch_maps_404_to_drop(dns: FakeDNS, status: int) -> None:
    with pytest.raises(Drop) as caught:
        run(lambda request: httpx.Response(status), "https://a.example/")
    assert caught.value.reason == f"http-{status}"


def test_fetch_sends_validators_and_returns_not_modified(dns: FakeDNS) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["If-None-Match"] == '"v1"'
        assert request.headers["If-Modified-Since"] == "Wed, 21 Oct 2015 07:28:00 GMT"
        return httpx.Response(304, headers={"ETag": '"v1"'})

    fetched = run(
        handler, "https://a.example/", etag='"v1"', last_modified="Wed, 21 Oct 2015 07:28:00 GMT"
    )
    assert (fetched.status, fetched.not_modified, fetched.body) == (304, True, b"")


@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout]
)
def test_fetch_maps_read_timeout_to_retryable(dns: FakeDNS, error: type[Exception]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("timed out", request=request)  # type: ignore[call-arg]

    with pytest.raises(Retryable, match="timeout"):
        run(handler, "https://a.example/")


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError])
def test_fetch_maps_connection_failures_to_retryable(dns: FakeDNS, error: type[Exception]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)  # type: ignore[call-arg]

    with pytest.raises(Retryable) as caught:
        run(handler, "https://a.example/")
    assert caught.value.reason == "connection"


def test_fetch_maps_dns_failure_to_retryable(dns: FakeDNS) -> None:
    with pytest.raises(Retryable) as caught:
        run(ok, "https://down.example/")
    assert caught.value.reason == "dns"


def test_fetch_enforces_total_deadline_over_a_trickling_body(dns: FakeDNS) -> None:
    def trickle() -> Iterator[bytes]:
        for _ in range(50):
            time.sleep(0.02)
            yield b"x"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=trickle())

    with pytest.raises(Retryable, match="timeout"):
        run(handler, "https://a.example/", FetchPolicy(total_timeout=0.1))


# A real socket: proves the guard refuses before connecting, and that the client works end to end.
class _FeedHandler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _FeedHandler.hits.append(self.path)
        body = (FEEDS / "rss_2.0_bbc.xml").read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output quiet
        return


@pytest.fixture
def local_server() -> Iterator[str]:
    _FeedHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_fetch_reads_from_local_server_when_private_networks_allowed(local_server: str) -> None:
    policy = FetchPolicy(allow_private_networks=True)
    with make_client(policy) as client:
        fetched = fetch_bytes(client, local_server, policy)
    assert fetched.body == (FEEDS / "rss_2.0_bbc.xml").read_bytes()
    assert fetched.content_type == "application/rss+xml"


def test_fetch_refuses_local_server_before_connecting(local_server: str) -> None:
    policy = FetchPolicy(allow_private_networks=False)
    with make_client(policy) as client, pytest.raises(Drop, match="blocked-address"):
        fetch_bytes(client, local_server, policy)
    assert _FeedHandler.hits == []
