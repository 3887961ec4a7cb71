"""robots.txt rules (RFC 9309): where they live, how a missing or broken file is read."""

import httpx
import pytest

from pipeline.http import make_client
from pipeline.policy import FetchPolicy
from pipeline.robots import ALLOW_ALL, DISALLOW_ALL, allowed, fetch_rules, robots_url

POLICY = FetchPolicy(allow_private_networks=True)
UA = "wire-ingest/0.1 (+https://example.org)"
RULES = "User-agent: *\nDisallow: /private/\n\nUser-agent: wire-ingest\nDisallow: /no-wire/\n"


def test_robots_url_keeps_scheme_host_and_port() -> None:
    assert robots_url("https://News.example.com:8443/a/b?c=1#d") == (
        "https://News.example.com:8443/robots.txt"
    )


def test_rules_for_our_product_token_apply_to_us() -> None:
    assert allowed(RULES, UA, "https://n.example/news/1")
    assert not allowed(RULES, UA, "https://n.example/no-wire/1")
    assert allowed(RULES, UA, "https://n.example/private/1")  # our group replaces the * group
    assert not allowed(RULES, "otherbot/1.0", "https://n.example/private/1")


def test_empty_rules_allow_everything() -> None:
    assert allowed(ALLOW_ALL, UA, "https://n.example/anything")
    assert not allowed(DISALLOW_ALL, UA, "https://n.example/anything")


def _rules(status: int, body: bytes = b"") -> tuple[str, bool]:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/robots.txt"
        return httpx.Response(status, content=body)

    with make_client(POLICY, transport=httpx.MockTransport(handler)) as client:
        return fetch_rules(client, "https://n.example/news/1", POLICY)


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_an_unavailable_robots_txt_allows_crawling(status: int) -> None:
    assert _rules(status) == (ALLOW_ALL, True)


@pytest.mark.parametrize("status", [500, 503])
def test_an_unreachable_robots_txt_disallows_for_now(status: int) -> None:
    assert _rules(status) == (DISALLOW_ALL, False)


def test_a_served_robots_txt_is_returned_as_text() -> None:
    assert _rules(200, RULES.encode()) == (RULES, True)
