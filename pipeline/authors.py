"""Author names from bylines: split, stripped of "By", roles, agencies and organisations."""

import re
import unicodedata

from pipeline.wire_facts import agency_name

# Separators between names: trafilatura's ";", commas, "and"/"&" (and the German/French "und"/"et").
# "Written by A Edited by B" names two people, the second by its role.
SEPARATORS = re.compile(
    r"\s*(?:;|,|\|)\s*|\s+(?:and|&|und|et)\s+|\s+(?:edited|reported|written)\s+by\s+",
    re.IGNORECASE,
)
BY_PREFIX = re.compile(
    r"^(?:(?:view all posts|posts|written|posted|edited|reported)\s+)?"
    r"(?:by|von|par|por)\s*[:\-]?\s+",
    re.IGNORECASE,
)
# Words that make a byline part a role or a desk rather than a person.
ROLE_WORDS = frozenset(
    {
        "staff",
        "correspondent",
        "correspondents",
        "reporter",
        "reporters",
        "editor",
        "editors",
        "writer",
        "writers",
        "contributor",
        "contributors",
        "bureau",
        "desk",
        "newsroom",
        "agency",
        "agencies",
        "wires",
        "team",
        "admin",
        "administrator",
        "author",
        "editorial",
        "redaktion",
    }
)
ORG_WORDS = frozenset(
    {"gmbh", "ltd", "inc", "llc", "plc", "corp", "news", "media", "press", "online", "magazine"}
)
# Words that qualify a trailing role: "Ben Silverman Games Editor", "Jane Doe Senior Writer".
ROLE_QUALIFIERS = frozenset(
    {"senior", "staff", "chief", "deputy", "contributing", "managing", "associate", "executive",
     "political", "foreign", "games", "sports", "business", "tech", "technology", "science",
     "health", "music", "film", "arts", "travel", "opinion", "politics", "entertainment"}
)  # fmt: skip
# Interface labels that extractors pick up as bylines (a log-in menu's "Username").
UI_LABELS = frozenset(
    {"username", "user name", "sign in", "log in", "login", "guest", "anonymous",
     "authority control"}
)  # fmt: skip
MAX_NAME_WORDS = 5  # longer parts are sentences or captions, not names


def split_authors(raw: str | None, site_name: str | None = None) -> list[str]:
    """Split a byline into person names, dropping roles, agencies and the publisher."""
    if not raw:
        return []
    names: list[str] = []
    seen: set[str] = set()
    for part in SEPARATORS.split(BY_PREFIX.sub("", raw.strip())):
        name = _clean_part(part)
        if name is None or len(name) < 2 or not _is_person(name, site_name):
            continue
        if name.casefold() not in seen:  # trafilatura repeats "A; A" when a page gives both
            seen.add(name.casefold())
            names.append(name)
    return names


def _clean_part(part: str) -> str | None:
    """Trim one byline part; title-case names printed in capitals."""
    part = unicodedata.normalize("NFC", " ".join(part.split()))
    name = _strip_role(BY_PREFIX.sub("", part).strip(" .:-–—"))
    if not name:
        return None
    return name.title() if name.isupper() and len(name) > 3 else name


def _strip_role(name: str) -> str:
    """Drop a role printed after a name ("Ben Silverman Games Editor" -> "Ben Silverman")."""
    words = name.split()
    if len(words) < 3 or words[-1].casefold() not in ROLE_WORDS:
        return name
    words.pop()
    while len(words) > 2 and words[-1].casefold() in ROLE_QUALIFIERS:
        words.pop()
    return " ".join(words)


def _is_person(name: str, site_name: str | None) -> bool:
    """Tell whether a byline part looks like a person rather than a role, agency or outlet."""
    words = [word.casefold().strip(".") for word in name.split()]
    if len(words) > MAX_NAME_WORDS or words[0] == "the" or "://" in name or "@" in name:
        return False
    if " ".join(words) in UI_LABELS:
        return False
    if agency_name(name) is not None or any(agency_name(word) for word in name.split()):
        return False
    if ROLE_WORDS.intersection(words) or ORG_WORDS.intersection(words):
        return False
    # A site named by its domain ("cleveland.com") is a publisher; a site named like a person
    # ("Haki Benita") is a personal blog whose author has that name: keep it.
    is_domain = bool(site_name and "." in site_name)
    return not (is_domain and _letters(name) == _letters(site_name or ""))


def _letters(text: str) -> str:
    """Case-folded letters and digits only, so "Cleveland com" matches "cleveland.com"."""
    return re.sub(r"[\W_]+", "", text.casefold())
