"""Article body text: normalised paragraphs with leftover bylines, tag lists and chrome removed.

The text of an `Article` holds one paragraph per block, paragraphs separated by a blank line
("\\n\\n"); headings and list items are paragraphs of their own. Dateline prefixes stay as
published.
"""

import re
import unicodedata
from itertools import islice

from pipeline.boilerplate import is_boilerplate
from pipeline.wire_facts import remove_credit_lines

# Runs of horizontal white space (tabs, no-break and thin spaces) become one space.
SPACES = re.compile(r"[^\S\n]+")
# A line that is only a byline: "By A and B", "By A, B and C", nothing after the names.
BYLINE = re.compile(r"^(?:by|von|par|por)\s+[^\W\d_][^.!?:;\"“”]{1,120}$", re.IGNORECASE)
BYLINE_SEARCH_LINES = 3  # a byline that leaked in sits right under the title
# A line of a printed tag list: "#Americas", "- #Eastern Europe", "#War #Peace".
TAG_LINE = re.compile(r"^(?:[-•*·]\s*)?#[^\W_][^#\n.!?]{0,40}(?:\s+#[^\W_][^#\n.!?]{0,40})*$")
TAG_RUN = 3  # this many hashtag lines in a row are a tag list even when the page lists no tags


def normalise(text: str) -> list[str]:
    """Split extracted text into NFC paragraphs with spaces collapsed, dropping empty lines."""
    text = unicodedata.normalize("NFC", text)
    lines = (SPACES.sub(" ", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def drop_title(paragraphs: list[str], title: str | None) -> list[str]:
    """Remove a first line that repeats the headline (outlets print it in different wordings)."""
    if title and paragraphs and paragraphs[0].casefold() == " ".join(title.split()).casefold():
        return paragraphs[1:]
    return paragraphs


def split_byline(paragraphs: list[str]) -> tuple[list[str], str | None]:
    """Remove a byline line near the top (tag lists already gone); return the rest and it."""
    for index, paragraph in enumerate(paragraphs[:BYLINE_SEARCH_LINES]):
        if BYLINE.match(paragraph) and len(paragraph.split()) <= 16:
            return paragraphs[:index] + paragraphs[index + 1 :], paragraph
    return paragraphs, None


def drop_chrome(paragraphs: list[str], tags: list[str]) -> list[str]:
    """Remove printed tag lists and boilerplate lines; keep everything else."""
    tag_lines = _tag_lines(paragraphs, {tag.casefold() for tag in tags})
    return [
        paragraph
        for index, paragraph in enumerate(paragraphs)
        if index not in tag_lines and not is_boilerplate(paragraph)
    ]


def printed_tags(paragraphs: list[str]) -> list[str]:
    """Tags of the hashtag lists printed in the text ("- #War", "#War #Peace"), in order."""
    lines = sorted(_tag_lines(paragraphs, set()))
    return [tag.strip() for index in lines for tag in paragraphs[index].split("#")[1:]]


def drop_credits(paragraphs: list[str]) -> list[str]:
    """Remove syndication credit lines, also when glued to the end of a paragraph."""
    stripped = (remove_credit_lines(paragraph).strip() for paragraph in paragraphs)
    return [paragraph for paragraph in stripped if paragraph]


def join(paragraphs: list[str]) -> str:
    """Join paragraphs with a blank line between them."""
    return "\n\n".join(paragraphs)


def count_words(text: str) -> int:
    """Count words: white-space separated tokens, each CJK ideograph or kana counting as one."""
    return len(WORD.findall(text))


def has_words(text: str, least: int) -> bool:
    """Tell whether a text has at least `least` words (counted as `count_words` does)."""
    # Stops at the `least`-th word instead of listing a whole article's words.
    return least <= 0 or next(islice(WORD.finditer(text), least - 1, None), None) is not None


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Chinese and Japanese are written without spaces; counting characters keeps `min_words` usable.
WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")


def _tag_lines(paragraphs: list[str], tags: set[str]) -> set[int]:
    """Indexes of hashtag lines naming a page tag or standing in a run of hashtag lines."""
    hashed = [bool(TAG_LINE.match(paragraph)) for paragraph in paragraphs]
    found = set()
    for index, paragraph in enumerate(paragraphs):
        if not hashed[index]:
            continue
        run = hashed[max(0, index - TAG_RUN + 1) : index + TAG_RUN]
        if paragraph.lstrip("-•*· #").casefold() in tags or _has_run(run):
            found.add(index)
    return found


def _has_run(flags: list[bool]) -> bool:
    """Tell whether TAG_RUN consecutive flags are set."""
    streak = 0
    for flag in flags:
        streak = streak + 1 if flag else 0
        if streak >= TAG_RUN:
            return True
    return False
