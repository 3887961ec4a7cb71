"""The classify stage: topics, countries, regions and organisations from canned texts."""

from pathlib import Path

import pytest

from pipeline.classify import Classifier, classify, load_model
from pipeline.lexicon import PhraseIndex
from pipeline.records import Classification, Label

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seed" / "kremlin-nato-body.txt"
SEED_TITLE = "Kremlin says U.S. position ruling out NATO membership for Ukraine gives satisfaction"
CONFLICT, POLITICS = "medtop:16000000", "medtop:11000000"
ECONOMY, SPORT = "medtop:04000000", "medtop:15000000"
ARTS = "medtop:01000000"

JORDAN_BASKETBALL = (
    "Michael Jordan scored 39 points as the Chicago Bulls beat the Utah Jazz to win the NBA "
    "championship. Jordan, named the finals' most valuable player, hit the winning shot with "
    "five seconds left. Coach Phil Jackson said Jordan was the best player he had ever coached."
)
TURKEY_RECIPE = (
    "Turkey is the centrepiece of most Thanksgiving dinners. Brine the bird overnight, then "
    "roast it in a hot oven and baste it every half hour. Turkey breast dries out fast, so "
    "check it often. Serve with stuffing, gravy and cranberry sauce, and keep the leftovers "
    "for sandwiches."
)
ATLANTA_STORM = (
    "Severe thunderstorms knocked out power to thousands of homes in Atlanta, Georgia, on "
    "Tuesday. Georgia's governor declared a state of emergency in 20 counties. Forecasters "
    "said more rain was expected across Georgia and neighbouring Alabama."
)
TBILISI_PROTEST = (
    "Thousands marched in Tbilisi against the government of Georgia. Georgian police used "
    "water cannon to clear the avenue outside parliament. Georgia applied to join the "
    "European Union in 2022."
)
FOOTBALL = (
    "The home side won the cup final 2-1 on Saturday. Their striker scored twice in the "
    "second half and the goalkeeper saved a penalty. The coach praised his players after a "
    "tense match in front of 80,000 fans, and the captain lifted the trophy."
)
MARKETS = (
    "Stocks fell as inflation data pushed bond yields higher. Investors expect the central "
    "bank to raise interest rates again. The dollar gained against the euro and the yen, "
    "while oil prices dropped. Company earnings were mixed, with profit warnings from two "
    "retailers."
)


@pytest.fixture(scope="module")
def model() -> Classifier:
    return load_model()


@pytest.fixture(scope="module")
def seed(model: Classifier) -> Classification:
    return classify(SEED_TITLE, SEED.read_text(encoding="utf-8"), None, model)


def codes(labels: list[Label]) -> list[str]:
    return [label.code for label in labels]


def test_seed_story_names_russia_ukraine_and_the_us(seed: Classification) -> None:
    assert {"RU", "UA", "US"} <= set(codes(seed.countries))


def test_seed_story_leaves_out_a_country_mentioned_once_in_passing(
    seed: Classification,
) -> None:
    assert "GE" not in codes(seed.countries)


def test_seed_story_names_nato_and_the_us_president(seed: Classification) -> None:
    assert "org:nato" in codes(seed.organizations)
    assert seed.organizations[0].code == "org:nato"
    assert "role:us-president" in codes(seed.organizations)


def test_seed_story_is_about_conflict_or_politics(seed: Classification) -> None:
    top = codes(seed.topics)[:2]
    assert CONFLICT in top or POLITICS in top
    assert {CONFLICT, POLITICS} <= set(codes(seed.topics))


def test_seed_topic_labels_carry_iptc_names(seed: Classification) -> None:
    names = {label.code: label.name for label in seed.topics}
    assert names[CONFLICT] == "conflict, war and peace"
    assert names[POLITICS] == "politics"


def test_seed_story_regions_include_eastern_europe_and_europe(seed: Classification) -> None:
    regions = {label.code: label.name for label in seed.regions}
    assert regions["m49:151"] == "Eastern Europe"
    assert regions["m49:150"] == "Europe"
    assert regions["m49:021"] == "Northern America"
    assert {"group:cis", "group:east-europe"} <= set(regions)


def test_model_field_is_the_classifier_version(seed: Classification, model: Classifier) -> None:
    assert seed.model == model.version
    assert model.version.startswith("lexicon-")


@pytest.mark.parametrize("field", ["topics", "countries", "regions", "organizations"])
def test_scores_are_in_unit_interval_and_sorted_descending(
    seed: Classification, field: str
) -> None:
    scores = [label.score for label in getattr(seed, field)]
    assert scores
    assert all(0 < score <= 1 for score in scores)
    assert scores == sorted(scores, reverse=True)


def test_michael_jordan_story_does_not_yield_jordan(model: Classifier) -> None:
    result = classify("Jordan leads Bulls to sixth title", JORDAN_BASKETBALL, None, model)
    assert "JO" not in codes(result.countries)
    assert codes(result.topics)[0] == SPORT


def test_thanksgiving_turkey_recipe_does_not_yield_turkey(model: Classifier) -> None:
    result = classify("How to roast a Thanksgiving turkey", TURKEY_RECIPE, None, model)
    assert "TR" not in codes(result.countries)


def test_turkey_with_country_context_yields_turkey(model: Classifier) -> None:
    text = "Turkey raised interest rates. The Turkish lira fell and Ankara blamed speculators."
    assert "TR" in codes(classify(None, text, None, model).countries)


def test_atlanta_georgia_yields_us_not_georgia(model: Classifier) -> None:
    result = classify("Storms hit Atlanta", ATLANTA_STORM, "ATLANTA", model)
    assert codes(result.countries) == ["US"]


def test_tbilisi_georgia_yields_the_country(model: Classifier) -> None:
    result = classify("Protest in Tbilisi", TBILISI_PROTEST, None, model)
    assert codes(result.countries)[0] == "GE"
    assert "m49:145" in codes(result.regions)


def test_niger_and_nigeria_are_told_apart(model: Classifier) -> None:
    text = "Nigeria sent envoys to Lagos talks. Nigeria and its neighbours met in Abuja."
    assert codes(classify(None, text, None, model).countries) == ["NG"]


def test_dateline_alone_makes_a_country_a_subject(model: Classifier) -> None:
    result = classify(None, "Thousands gathered in the capital.", "MOSCOW, April 14", model)
    assert codes(result.countries) == ["RU"]
    assert result.countries[0].score == 1.0


def test_sport_text_yields_sport_topic(model: Classifier) -> None:
    result = classify("Cup final goes to the home side", FOOTBALL, None, model)
    assert codes(result.topics)[0] == SPORT


def test_economy_text_yields_economy_topic(model: Classifier) -> None:
    result = classify("Shares fall as inflation rises", MARKETS, None, model)
    assert codes(result.topics)[0] == ECONOMY


def test_words_near_the_cues_give_a_topic_no_cue_names(model: Classifier) -> None:
    # None of these words is a hand-written cue or an IPTC term: they come from the cues'
    # GloVe neighbours (scripts/topic_neighbours.json).
    text = (
        "The vocalist and the guitar trio wrote lyrics for the indie duo, and the "
        "philharmonic performer joined them."
    )
    assert codes(classify(None, text, None, model).topics) == [ARTS]


def test_a_neighbour_never_outweighs_a_curated_cue(model: Classifier) -> None:
    # Two neighbours of sport cues (team names) against one economy cue: each neighbour weighs
    # at most a quarter of a cue, so the cue wins.
    result = classify(None, "Sonics and Thrashers watched the central bank.", None, model)
    assert codes(result.topics) == [ECONOMY, SPORT]


def test_text_without_evidence_gets_no_labels(model: Classifier) -> None:
    result = classify(None, "It was there.", None, model)
    assert result.topics == result.countries == result.regions == result.organizations == []


def test_shouted_words_are_not_read_as_acronyms(model: Classifier) -> None:
    result = classify(None, "WHO IS GOING TO PAY FOR IT?", None, model)
    assert result.organizations == []


def test_org_aliases_map_to_one_label(model: Classifier) -> None:
    text = "The IMF and the International Monetary Fund staff met the World Health Organization."
    result = classify(None, text, None, model)
    assert codes(result.organizations) == ["org:imf", "org:who"]
    assert result.organizations[0].score == 1.0


def test_load_model_is_cached_per_process() -> None:
    assert load_model() is load_model()


def test_seed_story_gets_second_level_topics_under_its_parents(seed: Classification) -> None:
    topics = codes(seed.topics)
    assert "medtop:20000638" in topics  # international relations, under politics
    assert "medtop:20000056" in topics  # armed conflict, under conflict, war and peace


def test_second_level_topic_never_outranks_or_appears_without_its_parent(
    seed: Classification, model: Classifier
) -> None:
    scores = {label.code: label.score for label in seed.topics}
    for code, score in scores.items():
        if code in model.topics.sub_parents:
            parent = model.topics.sub_parents[code][1]
            assert parent in scores
            assert score <= scores[parent]
    assert seed.topics[0].code in model.topics.names


def test_weak_evidence_gives_no_second_level_topic(model: Classifier) -> None:
    result = classify("Cup final goes to the home side", FOOTBALL, None, model)
    assert all(code in model.topics.names for code in codes(result.topics))


def test_central_banks_and_roles_are_named(model: Classifier) -> None:
    text = (
        "The Bank of Japan held rates while the Fed Chair spoke in Washington. British Prime "
        "Minister officials met the OECD in Paris."
    )
    found = codes(classify(None, text, None, model).organizations)
    assert {"org:boj", "role:fed-chair", "role:uk-prime-minister", "org:oecd"} <= set(found)


def test_desk_groupings_follow_the_countries(model: Classifier) -> None:
    text = "Saudi Arabia and Qatar met in Riyadh. Saudi officials said Qatar agreed."
    regions = codes(classify(None, text, None, model).regions)
    assert {"group:gulf", "group:middle-east", "group:middle-east-africa", "m49:145"} <= set(
        regions
    )
    assert "group:nordic" not in regions


def test_phrase_index_prefers_the_longest_match_then_single_words() -> None:
    index = PhraseIndex({"new york": "city", "new": "adjective", "york": "county"})
    tokens = ["new", "york", "and", "new", "york", "new"]
    assert list(index.scan(tokens)) == [(0, 2, "city"), (3, 2, "city"), (5, 1, "adjective")]
    assert list(index.scan(["york", "new"])) == [(0, 1, "county"), (1, 1, "adjective")]
