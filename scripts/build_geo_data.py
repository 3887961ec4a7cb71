"""Generate pipeline/data/countries.json and regions.json from the hand-written geo table."""

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TABLE = Path(__file__).resolve().parent / "geo_table.txt"
DATA = ROOT / "pipeline" / "data"
VERSION = "1.0.0"


def words(text: str) -> list[str]:
    """Split a space-separated list written on a few lines."""
    return text.split()


# UN M49 geoscheme: code -> (English name, parent code); the root "World" (001) is left out.
M49: dict[str, tuple[str, str | None]] = {
    "002": ("Africa", None),
    "015": ("Northern Africa", "002"),
    "202": ("Sub-Saharan Africa", "002"),
    "014": ("Eastern Africa", "202"),
    "017": ("Middle Africa", "202"),
    "018": ("Southern Africa", "202"),
    "011": ("Western Africa", "202"),
    "019": ("Americas", None),
    "419": ("Latin America and the Caribbean", "019"),
    "029": ("Caribbean", "419"),
    "013": ("Central America", "419"),
    "005": ("South America", "419"),
    "021": ("Northern America", "019"),
    "142": ("Asia", None),
    "143": ("Central Asia", "142"),
    "030": ("Eastern Asia", "142"),
    "035": ("South-eastern Asia", "142"),
    "034": ("Southern Asia", "142"),
    "145": ("Western Asia", "142"),
    "150": ("Europe", None),
    "151": ("Eastern Europe", "150"),
    "154": ("Northern Europe", "150"),
    "039": ("Southern Europe", "150"),
    "155": ("Western Europe", "150"),
    "009": ("Oceania", None),
    "053": ("Australia and New Zealand", "009"),
    "054": ("Melanesia", "009"),
    "057": ("Micronesia", "009"),
    "061": ("Polynesia", "009"),
}

# The most specific M49 area of each country (Taiwan and Kosovo placed where M49 would put them).
MEMBERS = {
    "015": "DZ EG LY MA SD TN EH",
    "014": "IO BI KM DJ ER ET TF KE MG MW MU YT MZ RE RW SC SO SS UG TZ ZM ZW",
    "017": "AO CM CF TD CG CD GQ GA ST",
    "018": "BW SZ LS NA ZA",
    "011": "BJ BF CV CI GM GH GN GW LR ML MR NE NG SH SN SL TG",
    "029": "AI AG AW BS BB BQ VG KY CU CW DM DO GD GP HT JM MQ MS PR BL KN LC MF VC SX TT TC VI",
    "013": "BZ CR SV GT HN MX NI PA",
    "005": "AR BO BV BR CL CO EC FK GF GY PY PE GS SR UY VE",
    "021": "BM CA GL PM US",
    "143": "KZ KG TJ TM UZ",
    "030": "CN HK MO KP JP MN KR TW",
    "035": "BN KH ID LA MY MM PH SG TH TL VN",
    "034": "AF BD BT IN IR MV NP PK LK",
    "145": "AM AZ BH CY GE IQ IL JO KW LB OM QA SA PS SY TR AE YE",
    "151": "BY BG CZ HU PL MD RO RU SK UA",
    "154": "AX DK EE FO FI GG IS IE IM JE LV LT NO SJ SE GB",
    "039": "AL AD BA HR GI GR VA IT MT ME MK PT SM RS SI ES XK",
    "155": "AT BE FR DE LI LU MC NL CH",
    "053": "AU CX CC HM NZ NF",
    "054": "FJ NC PG SB VU",
    "057": "GU KI MH FM NR MP PW UM",
    "061": "AS CK PF NU PN WS TK TO TV WF",
}

# Dependent territories and uninhabited areas: named, but not in the emerging-market desk group.
TERRITORIES = set(
    words(
        "AX AS AI AQ AW BM BQ BV IO KY CX CC CK CW FK FO GF PF TF GI GL GP GU GG HM HK IM JE MO MQ "
        "YT MS NC NU NF MP PN PR RE BL SH MF PM SX GS SJ TK TC UM VG VI WF EH"
    )
)

# Desk groupings as news desks use them (Reuters-style region codes), listed by member.
EU = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
# Former Soviet republics but the Baltic states: the desk's "CIS" beat, wider than the treaty.
CIS = "AM AZ BY GE KZ KG MD RU TJ TM UA UZ"
EAST_EUROPE = "AL BA BG BY CZ EE HR HU LT LV MD ME MK PL RO RS RU SI SK UA XK"
WEST_EUROPE = (
    "AD AT BE CH CY DE DK ES FI FO FR GB GG GI GR IE IM IS IT JE LI LU MC MT NL NO PT SE SM VA"
)
MIDDLE_EAST = "AE BH IQ IR IL JO KW LB OM PS QA SA SY TR YE"
# Developed markets; every other sovereign state counts as emerging (or frontier) on the desk.
DEVELOPED = "US CA GB IE FR DE IT ES PT NL BE LU AT CH SE NO DK FI IS AU NZ JP SG IL AD MC LI SM VA"

# Phrases that contain a country word but do not name a country: matched and ignored.
BLOCKED = [
    "Latin America",
    "Latin American",
    "South America",
    "South American",
    "North America",
    "North American",
    "Central America",
    "Central American",
    "Indian Ocean",
    "American Indian",
    "Native American",
    "Native Americans",
    "Persian Gulf",
    "English Channel",
    "South China Sea",
    "East China Sea",
    "Gulf of Mexico",
    "North Pole",
    "South Pole",
    "Irish Sea",
    "Arabian Sea",
    "Jordan River",
    "Jordan Valley",
    "French Open",
    "US Open",
    "U.S. Open",
    "Australian Open",
    "New Guinea",
    "Great Dane",
]

# Names that are also people's names: a mention preceded by a given name, or followed by a
# capitalised surname, is a person ("Michael Jordan", "Chad Johnson", "Denzel Washington").
PERSON_LIKE = {
    "Jordan": ["before", "after"],
    "Chad": ["before", "after"],
    "Washington": ["before"],
    "Georgia": ["after"],
    "Paris": ["after"],
    "Virginia": ["after"],
    "Kingston": ["before"],
}

# Given names that precede the person-like surnames above (a short list is enough: the rule
# only needs the names that precede those few surnames in news copy).
GIVEN_NAMES = words(
    "Michael Mike Eddie Vernon DeAndre Jordan Chad Denzel George Booker Kerry Harold Grover "
    "Martha Dinah Ella Kevin Brian Ryan Justin Tyler Jason Jim James John Paul Mark Bill Tom "
    "Robert David Daniel Chris Matt Josh Jake Zach Kyle Sean Scott Steve Joe Will Sam Ben Eric "
    "Anthony Gary Jeff Greg Jon Tim Tony Nick Jack Paris Drew Alan Alex Andrew Kim Ashley Carl"
)

# Georgia the US state versus the country: cue words counted in the text decide which.
GEORGIA_US_CUES = words(
    "Atlanta Savannah Augusta Macon Columbus Athens Alabama Florida Tennessee Carolina "
    "Peach Kemp Raffensperger Fulton Gwinnett Ga Falcons Braves Hawks Bulldogs Dekalb"
)
GEORGIA_GE_CUES = words("Tbilisi Georgian Georgians Caucasus Abkhazia Ossetia Batumi Kobakhidze")

# "Turkey" the bird: kitchen and holiday cues, unless the country's own cues are present.
TURKEY_FOOD_CUES = words(
    "thanksgiving roast roasted roasting oven stuffing gravy recipe carve carving cranberry "
    "drumstick brine basting baste butterball gobble leftovers sandwich"
)
TURKEY_TR_CUES = words("Ankara Istanbul Turkish Turks Erdogan Erdoğan Türkiye Turkiye Izmir")


def split(field: str) -> list[str]:
    """Split a ';'-separated table field."""
    return [part.strip() for part in field.split(";") if part.strip()]


def with_plurals(demonyms: list[str]) -> list[str]:
    """Add plurals for demonyms that take an -s ("Russians", "Israelis", "Filipinos")."""
    plurals = [d + "s" for d in demonyms if d.endswith(("n", "i", "o")) and " " not in d]
    return demonyms + [p for p in plurals if p not in demonyms]


def area_of(code: str) -> str | None:
    """The most specific M49 area code of a country."""
    for area, members in MEMBERS.items():
        if code in members.split():
            return area
    return None


def read_countries() -> list[dict[str, Any]]:
    """Parse the geo table into country records."""
    countries = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, name, variants, demonyms, cities = line.split("|")
        countries.append(
            {
                "code": code,
                "name": name,
                "names": [name, *split(variants)],
                "demonyms": with_plurals(split(demonyms)),
                "cities": split(cities),
                "m49": area_of(code),
                "sovereign": code not in TERRITORIES,
            }
        )
    return countries


def groups(countries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The desk groupings with their member codes."""
    africa = [c["code"] for c in countries if c["m49"] in {"015", "014", "017", "018", "011"}]
    sovereign = [c["code"] for c in countries if c["sovereign"]]
    emerging = [code for code in sovereign if code not in DEVELOPED.split()]
    # Asia-Pacific as desks use it: East, South-East and South Asia and Oceania.
    apac = [
        c["code"]
        for c in countries
        if c["m49"] in {"030", "035", "034", "053", "054", "057", "061"}
    ]
    table = {
        "group:european-union": ("European Union", EU.split()),
        "group:cis": ("CIS Countries", CIS.split()),
        "group:east-europe": ("East European Countries", EAST_EUROPE.split()),
        "group:west-europe": ("Western Europe", WEST_EUROPE.split()),
        "group:middle-east-africa": (
            "Middle East and Africa",
            sorted(MIDDLE_EAST.split() + africa),
        ),
        "group:emerging-markets": ("Emerging Market Countries", sorted(emerging)),
        "group:middle-east": ("Middle East", sorted([*MIDDLE_EAST.split(), "EG"])),
        "group:gulf": ("Gulf States", ["AE", "BH", "KW", "OM", "QA", "SA"]),
        "group:nordic": ("Nordic Countries", ["DK", "FI", "IS", "NO", "SE"]),
        "group:asia-pacific": ("Asia-Pacific", sorted(apac)),
        "group:g7": ("G7 Countries", ["CA", "DE", "FR", "GB", "IT", "JP", "US"]),
    }
    return {code: {"name": name, "members": members} for code, (name, members) in table.items()}


# Region names written in text, mapped to M49 areas (desk groups come only from countries).
REGION_ALIASES = {
    "Europe": "150",
    "European": "150",
    "Africa": "002",
    "African": "002",
    "Asia": "142",
    "Asian": "142",
    "Americas": "019",
    "Latin America": "419",
    "Latin American": "419",
    "South America": "005",
    "Central America": "013",
    "Caribbean": "029",
    "North America": "021",
    "Central Asia": "143",
    "East Asia": "030",
    "Southeast Asia": "035",
    "South Asia": "034",
    "Middle East": "145",
    "Eastern Europe": "151",
    "Western Europe": "155",
    "Balkans": "039",
    "Scandinavia": "154",
    "Nordic": "154",
    "Sahel": "011",
    "Oceania": "009",
    "Pacific Islands": "009",
    "Horn of Africa": "014",
    "West Africa": "011",
    "East Africa": "014",
    "Southern Africa": "018",
    "North Africa": "015",
    "Sub-Saharan Africa": "202",
}


def main() -> None:
    """Write the two data files."""
    countries = read_countries()
    missing = [c["code"] for c in countries if c["m49"] is None and c["code"] != "AQ"]
    if missing:
        raise SystemExit(f"no M49 area for {missing}")
    ambiguity = {
        "person_like": PERSON_LIKE,
        "given_names": GIVEN_NAMES,
        "georgia": {"us_cues": GEORGIA_US_CUES, "ge_cues": GEORGIA_GE_CUES},
        "turkey": {"food_cues": TURKEY_FOOD_CUES, "tr_cues": TURKEY_TR_CUES},
    }
    payload = {"version": VERSION, "countries": countries, "blocked": BLOCKED, **ambiguity}
    regions = {
        "version": VERSION,
        "m49": {code: {"name": name, "parent": parent} for code, (name, parent) in M49.items()},
        "groups": groups(countries),
        "aliases": REGION_ALIASES,
    }
    for name, data in (("countries.json", payload), ("regions.json", regions)):
        text = json.dumps(data, ensure_ascii=False, indent=1)
        (DATA / name).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {DATA / name}")


if __name__ == "__main__":
    main()
