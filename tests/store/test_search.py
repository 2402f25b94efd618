"""Search on both backends: full text, each filter, facets, pagination, and hostile query text."""

from __future__ import annotations

import pytest
from store_builders import all_records, denial_record, ransomware_record, weather_record

from cyberops.store import RecordStore, StoreError
from cyberops.store.fulltext import fts5_query, parse_query, tsquery


@pytest.fixture
def filled(store: RecordStore) -> RecordStore:
    for record in all_records():
        store.save(record)
    return store


def ids(result) -> set[str]:
    return {hit.id for hit in result.hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("visma", {"doc-visma"}),  # in the title and the text, any case
        ("TRADE SECRETS", {"doc-visma"}),
        ('"fuel pipeline"', {"doc-ransom"}),
        ('"pipeline fuel"', set()),  # a phrase keeps its order
        ("ransomware OR Bundestag", {"doc-ransom", "doc-sanctions"}),
        ("hackers -visma", set()),
        ("expected -hackers", {"doc-weather"}),
        ("pipe*", {"doc-ransom"}),
        ("apt28 sanctions", {"doc-sanctions"}),
        ("nowhere-to-be-found", set()),
    ],
)
def test_full_text(filled: RecordStore, query: str, expected: set[str]):
    result = filled.search(query)
    assert ids(result) == expected
    assert result.total == len(expected)


@pytest.mark.parametrize(
    "query",
    ['NEAR(a b)', 'visma AND', '"unbalanced', "title:visma", "*", "(", "'; DROP TABLE documents; --", "a\\b", "!:&|"],
)
def test_query_syntax_from_users_never_breaks_the_search(filled: RecordStore, query: str):
    filled.search(query)  # no exception on either backend
    assert filled.count() == 4


def test_punctuation_alone_searches_everything(filled: RecordStore):
    assert filled.search("?!").total == 4


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"state": "CN"}, {"doc-visma"}),
        ({"state": "ru"}, {"doc-sanctions"}),
        ({"state": "US"}, {"doc-ransom"}),
        ({"kind": "denial"}, {"doc-visma", "doc-sanctions"}),
        ({"kind": "response"}, {"doc-sanctions"}),
        # One claim must have both: the EU's response targets RU, but the EU made no denial.
        ({"kind": "denial", "state": "EU"}, set()),
        ({"kind": "response", "state": "EU"}, {"doc-sanctions"}),
        ({"since": "2020-01-01"}, {"doc-sanctions", "doc-ransom"}),
        ({"until": "2020-10-22"}, {"doc-visma", "doc-sanctions"}),  # inclusive
        ({"since": "2019-02-07", "until": "2019-02-07"}, {"doc-visma"}),
        ({"lang": "fr"}, {"doc-sanctions"}),
        ({"actor": "Fancy Bear"}, {"doc-sanctions"}),  # an alias
        ({"actor": "apt10"}, {"doc-visma"}),
        ({"actor": "DarkSide"}, {"doc-ransom"}),
        ({"outlet": "nordic wire"}, {"doc-visma", "doc-ransom"}),
        ({"incident_type": "espionage"}, {"doc-visma", "doc-sanctions"}),
        ({"incident_type": "ransomware", "outlet": "Le Quotidien"}, set()),
        ({"relevant": False}, {"doc-weather"}),
    ],
)
def test_filters(filled: RecordStore, filters: dict, expected: set[str]):
    assert ids(filled.search("", **filters)) == expected


def test_text_and_filters_together(filled: RecordStore):
    assert ids(filled.search("accusations", state="CN", kind="denial", lang="en")) == {"doc-visma"}
    assert ids(filled.search("accusations", lang="fr")) == set()


def test_a_published_time_still_falls_on_its_day(store: RecordStore):
    store.save(denial_record(published="2019-02-07T23:10:00+01:00"))
    assert store.search(until="2019-02-07").total == 1
    assert store.search(since="2019-02-08").total == 0


def test_a_bad_date_says_how_to_write_it(filled: RecordStore):
    with pytest.raises(StoreError, match="YYYY-MM-DD"):
        filled.search(since="last week")


def test_facets_count_documents_in_the_result(filled: RecordStore):
    facets = filled.search("").facets
    assert facets["language"] == {"en": 3, "fr": 1}
    assert facets["claim_kind"] == {"denial": 2, "attribution": 2, "response": 1}
    assert facets["incident_type"] == {"espionage": 2, "hack_and_leak": 1, "ransomware": 1}
    assert facets["speaker_state"] == {"CN": 1, "EU": 1, "RU": 1, "US": 1}
    assert facets["subject_state"] == {"CN": 1, "RU": 1}
    assert facets["actor"] == {"APT10": 1, "APT28": 1, "DarkSide": 1}
    assert facets["outlet"] == {"Nordic Wire": 2, "Le Quotidien": 1}
    narrowed = filled.search("", kind="denial").facets
    assert narrowed["language"] == {"en": 1, "fr": 1}
    assert narrowed["outlet"] == {"Le Quotidien": 1, "Nordic Wire": 1}


def test_hits_carry_headline_outlet_date_and_claim_chips(filled: RecordStore):
    [hit] = filled.search("visma").hits
    assert (hit.title, hit.outlet, hit.published, hit.language) == (
        "China rejects Visma hacking accusations", "Nordic Wire", "2019-02-07", "en",
    )  # fmt: skip
    assert [str(chip) for chip in hit.claims] == ["attribution ?→CN (hedged)", "denial CN→CN"]
    assert hit.incident_types == ["espionage"]
    assert "«Visma»" in hit.snippet or "«visma»" in hit.snippet.lower()


def test_without_text_newest_first_and_pages_do_not_overlap(store: RecordStore):
    for year in range(2010, 2017):
        record = ransomware_record(record_id=f"v{year}", published=f"{year}-01-01")
        record.text += f" Edition {year}."  # another text, another URL: another document
        record.url = f"https://wire.example.com/colonial/{year}"
        store.save(record)
    store.save(weather_record())  # no date: last
    first = store.search("", limit=3)
    second = store.search("", limit=3, offset=3)
    last = store.search("", limit=3, offset=6)
    assert [h.id for h in first.hits] == ["v2016", "v2015", "v2014"]
    assert [h.id for h in second.hits] == ["v2013", "v2012", "v2011"]
    assert [h.id for h in last.hits] == ["v2010", "doc-weather"]
    assert first.total == second.total == 8


def test_best_match_first(store: RecordStore):
    many = ransomware_record(record_id="many")
    many.url = "https://wire.example.com/colonial-again"
    many.text += " Ransomware again: ransomware, ransomware and ransomware."
    store.save(ransomware_record(record_id="once", published="2022-01-01"))
    store.save(many)
    assert [h.id for h in store.search("ransomware").hits][0] == "many"


def test_the_result_serializes_to_json_shape(filled: RecordStore):
    data = filled.search("visma").to_dict()
    assert data["total"] == 1
    assert data["hits"][0]["claims"][1] == {
        "kind": "denial", "speaker_state": "CN", "subject_state": "CN", "subject_actor": None, "hedged": False,
        "label": "denial CN→CN",
    }  # fmt: skip


def test_both_backends_read_the_same_query_language():
    parsed = parse_query('cyber* "state security" OR espionage -weather')
    assert [[t.words for t in clause] for clause in parsed.clauses] == [[("cyber",)], [("state", "security"), ("espionage",)]]
    assert fts5_query('cyber* "state security" OR espionage -weather') == (
        '(("cyber" *) AND ("state security" OR "espionage")) NOT "weather"'
    )
    assert tsquery('cyber* "state security" OR espionage -weather') == (
        "(('cyber':*)) & (('state' <-> 'security') | ('espionage')) & !('weather')"
    )
