"""Reading and writing feed lists: YAML, OPML and one URL a line."""

from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, tostring

import yaml
from defusedxml.ElementTree import fromstring

from pipeline.errors import Drop


def read_yaml(path: Path) -> list[str]:
    """The feed URLs of a YAML file: a list, or a mapping with a `feeds` list."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("feeds", []) if isinstance(data, dict) else data or []
    urls = [item["url"] if isinstance(item, dict) else item for item in items]
    return [str(u).strip() for u in urls if str(u).strip()]


def read_opml(data: bytes) -> list[str]:
    """The xmlUrl of every outline of an OPML document (entities refused)."""
    try:
        root = fromstring(data)
    except Exception as exc:  # defusedxml raises several types; all mean "not OPML we accept"
        raise Drop("bad-opml", str(exc)) from exc
    return [o.attrib["xmlUrl"].strip() for o in root.iter("outline") if o.attrib.get("xmlUrl")]


def read_lines(text: str) -> list[str]:
    """One URL a line; blank lines and # comments skipped."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def read_feed_list(path: Path) -> list[str]:
    """Feed URLs from an OPML, YAML or plain list file, by content."""
    data = path.read_bytes()
    head = data.lstrip()[:200].lower()
    if head.startswith(b"<?xml") or b"<opml" in head:
        return read_opml(data)
    if path.suffix in (".yaml", ".yml"):
        return read_yaml(path)
    return read_lines(data.decode("utf-8"))


def write_opml(urls: list[tuple[str, str | None]]) -> bytes:
    """An OPML 2.0 document listing (url, title) feeds."""
    opml = Element("opml", version="2.0")
    SubElement(SubElement(opml, "head"), "title").text = "wire-ingest feeds"
    body = SubElement(opml, "body")
    for url, title in urls:
        SubElement(body, "outline", type="rss", text=title or url, xmlUrl=url)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(opml)
