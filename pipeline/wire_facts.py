"""Wire facts read from a story's text: the agency that wrote it and the dateline city."""

import re
from dataclasses import dataclass

# Spelling in copy -> normalised agency name. Acronyms match case-sensitively (so a person
# named "Efe" or "Pa" is not an agency); the long names match case-insensitively.
ACRONYMS = {
    "AP": "AP",
    "AFP": "AFP",
    "DPA": "dpa",
    "dpa": "dpa",
    "PA": "PA",
    "UPI": "UPI",
    "ANSA": "ANSA",
    "EFE": "EFE",
    "TASS": "TASS",
    "AA": "Anadolu",
}
NAMES = {
    "reuters": "Reuters",
    "thomson reuters": "Reuters",
    "associated press": "AP",
    "the associated press": "AP",
    "agence france-presse": "AFP",
    "agence france presse": "AFP",
    "bloomberg": "Bloomberg",
    "bloomberg news": "Bloomberg",
    "deutsche presse-agentur": "dpa",
    "pa media": "PA",
    "press association": "PA",
    "united press international": "UPI",
    "xinhua": "Xinhua",
    "kyodo": "Kyodo",
    "kyodo news": "Kyodo",
    "tass": "TASS",
    "anadolu": "Anadolu",
    "anadolu agency": "Anadolu",
}


def _alternation(aliases: list[str]) -> str:
    """A regex alternation of aliases, longest first so "Bloomberg News" beats "Bloomberg"."""
    return "|".join(re.escape(alias) for alias in sorted(aliases, key=len, reverse=True))


_ALIASES = f"(?i:{_alternation(list(NAMES))})|{_alternation(list(ACRONYMS))}"
# "MOSCOW, April 22 (Reuters) - ", "WASHINGTON (AP) — ", "(Bloomberg) -- ": a city in capitals
# (up to four words, "/" for joint datelines), an optional ", date" or ", country", the agency.
DATELINE = re.compile(
    r"^(?:(?P<city>[^\W\d_][^\W\d_'’.]*(?:[ ./'’-]{1,2}[^\W\d_]+){0,3}\.?)"
    r"(?:,[^()\n]{1,40})?\s*)?"
    rf"\((?P<agency>{_ALIASES})\)\s*(?:[-–—]+|:)\s*"
)
CREDIT_LINE = re.compile(
    r"This (?:article|story|report) (?:was|has been) (?:produced|written|provided) by "
    r"(?:the )?(?P<agency>[^.\n]{2,40}?)(?: news)? agency\.?"
    r"(?:[ \t]*It has not been edited by [^\n]{1,120}?(?:\.|$))?",
    re.IGNORECASE | re.MULTILINE,
)
REUTERS_CREDIT = re.compile(r"\(Reporting by\b|\b[Rr]eporting by\b[^\n]{1,300}?\bEditing by\b")
AP_CREDIT = re.compile(
    r"\bAssociated Press (?:writers?|reporters?|correspondents?)\b[^\n]{1,300}?\bcontributed\b"
)
# Bloomberg's sign-offs: "--With assistance from Jane Doe.", "To contact the reporter".
BLOOMBERG_CREDIT = re.compile(
    r"[-—]\s*With assistance from\b|\bTo contact the reporters? on this story:"
)
# "Copyright 2024 The Associated Press. All rights reserved." / "© 2024 AFP. All rights reserved":
# "All rights reserved" is required, so a photo credit ("© AFP") never names the story's agency.
COPYRIGHT_CREDIT = re.compile(
    r"(?:(?:©|\(c\)|Copyright)\s*)+(?:\d{4}\s+)?(?P<agency>[^\W\d][^.\n©]{1,40}?)\.?\s*"
    r"(?:\d{4}\.?\s*)?All rights reserved",
    re.IGNORECASE,
)
# Every credit pattern above contains one of these (lower-cased): a text without any is skipped
# before the case-insensitive regexes run over a whole page's text.
CREDIT_WORDS = (
    "agency",
    "all rights reserved",
    "reporting by",
    "associated press",
    "with assistance from",
    "to contact the reporter",
)
CREDIT_KEYS = tuple(word.replace(" ", "") for word in CREDIT_WORDS)
DATELINE_SEARCH_PARAGRAPHS = 3  # a title or byline line may precede the lede


@dataclass(frozen=True)
class WireFacts:
    """What a story's text says about its wire origin."""

    agency: str | None = None
    dateline: str | None = None


def agency_name(text: str) -> str | None:
    """Return the normalised agency name for a spelling like "Reuters" or "AP", else None."""
    text = " ".join(text.split()).strip(" .()")
    return ACRONYMS.get(text) or NAMES.get(text.casefold())


def find_wire_facts(text: str, page_text: str = "") -> WireFacts:
    """Find the agency and dateline city in a story's text (one paragraph per line or more).

    `page_text`, the whole page's visible text, is searched for credit lines only: extraction
    tuned for precision may leave out a short closing credit line.
    """
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    for paragraph in paragraphs[:DATELINE_SEARCH_PARAGRAPHS]:
        match = DATELINE.match(paragraph)
        if match and _plausible_city(match["city"]):
            return WireFacts(agency_name(match["agency"]), _city(match["city"]))
    return WireFacts(agency=credited_agency(text) or credited_agency(page_text))


def credited_agency(text: str) -> str | None:
    """Return the agency named by a credit line ("produced by Reuters", "Reporting by ...")."""
    if not may_credit(text):
        return None
    for match in CREDIT_LINE.finditer(text):
        name = agency_name(match["agency"])
        if name:
            return name
    for match in COPYRIGHT_CREDIT.finditer(text):
        name = agency_name(match["agency"])
        if name:
            return name
    return _signed_agency(text)


def may_credit(text: str) -> bool:
    """Tell whether a text could hold a credit line (a cheap test before the regexes)."""
    # White space is ignored: text joined across elements may lose or gain spaces.
    folded = "".join(text.lower().split())
    return any(word in folded for word in CREDIT_KEYS)


def _signed_agency(text: str) -> str | None:
    """Return the agency whose house sign-off closes the story ("(Reporting by ...").)"""
    if REUTERS_CREDIT.search(text):
        return "Reuters"
    if AP_CREDIT.search(text):
        return "AP"
    if BLOOMBERG_CREDIT.search(text):
        return "Bloomberg"
    return None


def remove_credit_lines(text: str) -> str:
    """Remove syndication credit lines ("This article was produced by ... news agency. ...")."""
    return CREDIT_LINE.sub("", text)


def _plausible_city(raw: str | None) -> bool:
    """Tell whether a dateline prefix is a place (capitals or Title Case), not a sentence."""
    if raw is None:
        return True
    return raw.isupper() or all(word[0].isupper() for word in re.split(r"[ /-]+", raw) if word)


def _city(raw: str | None) -> str | None:
    """Title-case a dateline city printed in capitals ("LOS ANGELES" -> "Los Angeles")."""
    if not raw:
        return None
    city = raw.strip(" ,")
    if not city.isupper():
        return city
    return re.sub(r"[^\W\d_]+(?:['’][^\W\d_]+)?", lambda word: word[0].capitalize(), city.lower())
