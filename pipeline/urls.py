"""URL canonicalisation: one spelling per article, whatever link or tracker led to it."""

import re
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Exact query keys (compared case-folded) that only say how a reader arrived.
TRACKING_KEYS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ocid",
        "cmpid",
        "cmp",
        "smid",
        "smtyp",
        "ref",
        "ref_src",
        "ref_url",
        "taid",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "mkt_tok",
        "s_cid",
        "xtor",
        "_ga",
        "_gl",
        "wt.mc_id",
    }
)
# Key prefixes of analytics families (Google utm_, AT Internet at_, BBC ns_, Piwik/Matomo).
TRACKING_PREFIXES = ("utm_", "at_", "itm_", "ns_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}
AMP_PATH = re.compile(r"/amp(/?)$")
AMP_DOTTED = re.compile(r"\.amp(\.html?)$")


def canonicalize_url(url: str) -> str:
    """Return the canonical spelling of a URL: no trackers, AMP, fragment or default port."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    return urlunsplit((scheme, _netloc(parts, scheme), _path(parts.path), _query(parts.query), ""))


def is_absolute_http(url: str | None) -> bool:
    """Tell whether a URL is an absolute http or https URL with a host."""
    if not url:
        return False
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in DEFAULT_PORTS and bool(parts.hostname)


def _netloc(parts: SplitResult, scheme: str) -> str:
    """Lower-case the host, drop an AMP sub-domain, credentials and the scheme's default port."""
    host = (parts.hostname or "").lower()
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[len("amp.") :]
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: keep the host, the port is unusable anyway
        port = None
    if ":" in host:  # an IPv6 literal needs its brackets back
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return host
    return f"{host}:{port}"


def _path(path: str) -> str:
    """Strip the AMP variants of a path (`/amp`, `/amp/`, `.amp.html`)."""
    path = AMP_PATH.sub(r"\1", path)
    path = AMP_DOTTED.sub(r"\1", path)
    return path or "/"


def _query(query: str) -> str:
    """Drop tracking and AMP parameters and sort the rest, so equal pages compare equal."""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = sorted((key, value) for key, value in pairs if not _is_noise(key, value))
    return urlencode(kept, quote_via=quote)


def _is_noise(key: str, value: str) -> bool:
    """Tell whether a query parameter is a tracker or an AMP switch."""
    folded = key.casefold()
    if folded in TRACKING_KEYS or folded.startswith(TRACKING_PREFIXES):
        return True
    if folded == "amp":
        return True
    return folded in {"outputtype", "output"} and value.casefold() == "amp"
