"""robots.txt (RFC 9309): where a site's rules live, fetching them, and judging a URL by them."""

from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx

from pipeline.errors import Drop, Retryable
from pipeline.http import BeforeSend, fetch_bytes
from pipeline.policy import FetchPolicy

ALLOW_ALL = ""  # no rules: a 4xx, or an empty file
DISALLOW_ALL = "User-agent: *\nDisallow: /\n"
MAX_ROBOTS_BYTES = 500_000  # RFC 9309 2.5: crawlers must parse at least 500 KiB


def robots_url(url: str) -> str:
    """The robots.txt URL governing a page URL (same scheme, host and port)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def fetch_rules(
    client: httpx.Client, url: str, policy: FetchPolicy, before_send: BeforeSend | None = None
) -> tuple[str, bool]:
    """The site's rules as text and whether they are final (False: retry soon, disallow now)."""
    limited = replace(policy, max_bytes=MAX_ROBOTS_BYTES)
    accept = "text/plain, */*;q=0.5"
    try:
        fetched = fetch_bytes(
            client, robots_url(url), limited, accept=accept, before_send=before_send
        )
    except Drop as drop:
        if drop.reason.startswith("http-4"):  # RFC 9309 2.3.1.3: unavailable, crawl freely
            return ALLOW_ALL, True
        if drop.reason == "too-large":
            return ALLOW_ALL, True  # RFC 9309 2.5 allows parsing a prefix; a huge file says little
        return DISALLOW_ALL, False
    except Retryable:  # RFC 9309 2.3.1.4: unreachable, assume complete disallow for now
        return DISALLOW_ALL, False
    return fetched.body.decode("utf-8", errors="replace"), True


def allowed(rules: str, user_agent: str, url: str) -> bool:
    """Whether the rules let our user agent fetch the URL."""
    if not rules.strip():
        return True
    parser = RobotFileParser()
    parser.parse(rules.splitlines())
    # The product token is the UA's first word ("wire-ingest/0.1 (...)" -> "wire-ingest").
    token = user_agent.split("/", 1)[0].split(" ", 1)[0]
    return parser.can_fetch(token, url)
