"""`make eval` section classify: topic accuracy on AG News and BBC, country micro-F1 on Reuters.

The three sets are research-only: they are read here for measurement and nothing that ships is
trained or tuned on them (only these aggregate figures are looked at).

Scoring rules, fixed before any measurement:
- AG News (test_odd_rows.csv): the article is title + description. Sports -> medtop:15000000,
  Business -> medtop:04000000, Sci/Tech -> medtop:13000000. "World" has no single IPTC topic: a
  World item is right when the top topic is any subject other than those three. An article with
  no topic at all is wrong whatever its class.
- BBC: first line is the title, the rest the body. business -> 04000000, entertainment ->
  01000000 (arts, culture, entertainment and media), politics -> 11000000, sport -> 15000000,
  tech -> 13000000. Top-1 only.
- Reuters-21578 PLACES: every story with at least one place that maps to a country (below) is
  scored; title, dateline and body go in as the pipeline gets them. Micro-F1 over (story, ISO
  code) pairs. 1987 names map to today's codes: west-germany and east-germany -> DE, ussr -> RU,
  czechoslovakia -> CZ, yugoslavia -> RS, kampuchea -> KH, burma -> MM, zaire -> CD, both yemens
  -> YE, netherlands-antilles -> CW, uk -> GB, usa -> US; a place with no ISO 3166-1 code today
  is dropped from the gold labels.
"""

import csv
import gzip
import html
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.classify import Classifier, classify, load_model

AG_CODES = {"2": "medtop:15000000", "3": "medtop:04000000", "4": "medtop:13000000"}
BBC_CODES = {
    "business": "medtop:04000000",
    "entertainment": "medtop:01000000",
    "politics": "medtop:11000000",
    "sport": "medtop:15000000",
    "tech": "medtop:13000000",
}
# Reuters-21578 place names (all-places-strings.lc.txt) to ISO 3166-1 alpha-2.
PLACES = dict(
    re.findall(
        r"([a-z-]+):([A-Z]{2})",
        """afghanistan:AF albania:AL algeria:DZ american-samoa:AS andorra:AD angola:AO
    anguilla:AI antigua:AG argentina:AR aruba:AW australia:AU austria:AT bahamas:BS bahrain:BH
    bangladesh:BD barbados:BB belgium:BE belize:BZ benin:BJ bermuda:BM bhutan:BT bolivia:BO
    botswana:BW brazil:BR british-virgin-islands:VG brunei:BN bulgaria:BG burkina-faso:BF
    burma:MM burundi:BI cameroon:CM canada:CA cape-verde:CV cayman-islands:KY
    central-african-republic:CF chad:TD chile:CL china:CN colombia:CO congo:CG costa-rica:CR
    cuba:CU cyprus:CY czechoslovakia:CZ denmark:DK djibouti:DJ dominica:DM
    dominican-republic:DO east-germany:DE ecuador:EC egypt:EG el-salvador:SV
    equatorial-guinea:GQ ethiopia:ET fiji:FJ finland:FI france:FR french-guiana:GF gabon:GA
    gambia:GM ghana:GH gibraltar:GI greece:GR grenada:GD guadeloupe:GP guam:GU guatemala:GT
    guinea:GN guinea-bissau:GW guyana:GY haiti:HT honduras:HN hong-kong:HK hungary:HU
    iceland:IS india:IN indonesia:ID iran:IR iraq:IQ ireland:IE israel:IL italy:IT
    ivory-coast:CI jamaica:JM japan:JP jordan:JO kampuchea:KH kenya:KE kuwait:KW laos:LA
    lebanon:LB lesotho:LS liberia:LR libya:LY liechtenstein:LI luxembourg:LU macao:MO
    madagascar:MG malawi:MW malaysia:MY mali:ML malta:MT martinique:MQ mauritania:MR
    mauritius:MU mexico:MX monaco:MC morocco:MA mozambique:MZ namibia:NA nepal:NP
    netherlands:NL netherlands-antilles:CW new-caledonia:NC new-zealand:NZ nicaragua:NI
    niger:NE nigeria:NG north-korea:KP norway:NO oman:OM pakistan:PK panama:PA
    papua-new-guinea:PG paraguay:PY peru:PE philippines:PH poland:PL portugal:PT qatar:QA
    romania:RO rwanda:RW saudi-arabia:SA senegal:SN seychelles:SC sierra-leone:SL
    singapore:SG somalia:SO south-africa:ZA south-korea:KR spain:ES sri-lanka:LK sudan:SD
    suriname:SR swaziland:SZ sweden:SE switzerland:CH syria:SY taiwan:TW tanzania:TZ
    thailand:TH togo:TG tonga:TO trinidad-tobago:TT tunisia:TN turkey:TR uae:AE uganda:UG
    uk:GB uruguay:UY us-virgin-islands:VI usa:US ussr:RU vanuatu:VU vatican:VA venezuela:VE
    vietnam:VN west-germany:DE western-samoa:WS yemen-arab-republic:YE
    yemen-demo-republic:YE yugoslavia:RS zaire:CD zambia:ZM zimbabwe:ZW""",
    )
)
_REUTERS = re.compile(r"<REUTERS[^>]*NEWID=\"(\d+)\"[^>]*>(.*?)</REUTERS>", re.S)
_FIELD = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.S) for name in ("TITLE", "BODY")}


def _top(model: Classifier, title: str, text: str, dateline: str | None = None) -> str | None:
    topics = classify(title, text, dateline, model).topics
    return topics[0].code if topics else None


def _confusion(pairs: Counter[tuple[str, str | None]], gold: str) -> dict[str, int]:
    """Counts of the top topics given to one gold class, most frequent first (aggregate only)."""
    given = {
        (top or "none").removeprefix("medtop:"): n for (g, top), n in pairs.items() if g == gold
    }
    return dict(sorted(given.items(), key=lambda item: (-item[1], item[0])))


def ag_news(model: Classifier, path: Path) -> dict[str, Any]:
    """Top-1 accuracy on AG News, overall and per class, and what each class was given."""
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    pairs: Counter[tuple[str, str | None]] = Counter()
    with path.open(encoding="utf-8", newline="") as handle:
        for label, title, desc in csv.reader(handle):
            text = html.unescape(desc.replace("\\n", "\n").replace("#39;", "'"))
            top = _top(model, html.unescape(title), text)
            gold = AG_CODES.get(label)
            ok = top is not None and (top == gold if gold else top not in AG_CODES.values())
            seen[label] += 1
            right[label] += ok
            pairs[(label, top)] += 1
    names = {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}
    per = {names[k]: round(right[k] / seen[k], 4) for k in sorted(seen)}
    confusion = {names[k]: _confusion(pairs, k) for k in sorted(seen)}
    return {"accuracy": round(sum(right.values()) / sum(seen.values()), 4), "per_class": per,
            "n": sum(seen.values()), "confusion": confusion}  # fmt: skip


def bbc(model: Classifier, root: Path) -> dict[str, Any]:
    """Top-1 accuracy on the BBC set, overall and per class, plus articles per second."""
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    pairs: Counter[tuple[str, str | None]] = Counter()
    # CPU time of this process, so other work on a shared machine does not count against us.
    started = time.process_time()
    for category, code in BBC_CODES.items():
        for path in sorted((root / category).glob("*.txt")):
            title, _, body = path.read_text(encoding="utf-8", errors="replace").partition("\n")
            top = _top(model, title.strip(), body.strip())
            seen[category] += 1
            right[category] += top == code
            pairs[(category, top)] += 1
    elapsed = time.process_time() - started
    n = sum(seen.values())
    per = {k: round(right[k] / seen[k], 4) for k in sorted(seen)}
    confusion = {k: _confusion(pairs, k) for k in sorted(seen)}
    return {"accuracy": round(sum(right.values()) / n, 4), "per_class": per, "n": n,
            "articles_per_second": round(n / elapsed, 1), "confusion": confusion}  # fmt: skip


def reuters_stories(corpus: Path) -> Iterator[tuple[str, str, str | None, set[str]]]:
    """(title, body, dateline, gold ISO codes) of each Reuters story with a mapped place."""
    labels = {}
    for line in (corpus / "regions" / "reuters_labels_open.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        gold = {PLACES[p] for p in row["places"] if p in PLACES}
        if gold:
            labels[str(row["newid"])] = (row["dateline"], gold)
    for path in sorted((corpus / "topics" / "reuters21578").glob("reut2-*.sgm.gz")):
        raw = gzip.decompress(path.read_bytes()).decode("latin-1")
        for newid, block in _REUTERS.findall(raw):
            if newid not in labels:
                continue
            title, body = (_clean_sgml(_FIELD[f].search(block)) for f in ("TITLE", "BODY"))
            dateline, gold = labels[newid]
            yield title, body, dateline, gold


def _clean_sgml(match: re.Match[str] | None) -> str:
    if match is None:
        return ""
    return html.unescape(match.group(1)).replace("\x03", "").strip()


def reuters(model: Classifier, corpus: Path) -> dict[str, Any]:
    """Micro-F1 of predicted countries against the Reuters-21578 PLACES."""
    tp = fp = fn = n = 0
    for title, body, dateline, gold in reuters_stories(corpus):
        found = {label.code for label in classify(title, body, dateline, model).countries}
        tp += len(found & gold)
        fp += len(found - gold)
        fn += len(gold - found)
        n += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"micro_f1": round(f1, 4), "precision": round(precision, 4),
            "recall": round(recall, 4), "n": n}  # fmt: skip


def run(corpus: Path, out: dict[str, Any], model: Classifier | None = None) -> None:
    """Evaluate the classifier (the default one unless given) and print a table."""
    model = model or load_model()
    out["model"] = model.version
    out["ag_news"] = ag_news(model, corpus / "topics" / "ag_news" / "test_odd_rows.csv")
    out["bbc"] = bbc(model, corpus / "topics" / "bbc")
    out["reuters_countries"] = reuters(model, corpus)
    print(f"model {model.version}")
    print(f"{'set':<22}{'figure':<16}{'value':>8}{'n':>8}  target")
    print(f"{'AG News':<22}{'top-1 accuracy':<16}{out['ag_news']['accuracy']:>8.4f}"
          f"{out['ag_news']['n']:>8}  0.85")  # fmt: skip
    print(f"{'BBC':<22}{'top-1 accuracy':<16}{out['bbc']['accuracy']:>8.4f}"
          f"{out['bbc']['n']:>8}  0.90")  # fmt: skip
    rc = out["reuters_countries"]
    print(f"{'Reuters-21578 places':<22}{'micro-F1':<16}{rc['micro_f1']:>8.4f}{rc['n']:>8}  0.80")
    print(f"  AG per class {out['ag_news']['per_class']}")
    print(f"  BBC per class {out['bbc']['per_class']}")
    for name in ("ag_news", "bbc"):
        for gold, given in out[name]["confusion"].items():
            print(f"  {name} {gold} given {given}")
    print(f"  Reuters precision {rc['precision']} recall {rc['recall']}")
    print(f"  articles per CPU second on BBC {out['bbc']['articles_per_second']}")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from eval import corpus_dir

    run(corpus_dir(), {})
