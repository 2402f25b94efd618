"""The shortcuts that keep search fast keep its answers: bounded facets, one ranking for every page, snippets."""

from __future__ import annotations

import pytest
from store_builders import ransomware_record

from cyberops.store import RecordStore
from cyberops.store.search import SearchFilters, run_search


@pytest.fixture
def editions(store: RecordStore) -> RecordStore:
    """Seven copies of the ransomware story, 2010-2016, the newest from another outlet; one says it thrice."""
    for year in range(2010, 2017):
        record = ransomware_record(record_id=f"v{year}", published=f"{year}-01-01")
        record.text += f" Edition {year}." + (" Ransomware, ransomware, ransomware." if year == 2012 else "")
        record.url = f"https://wire.example.com/colonial/{year}"
        record.outlet = "Late Wire" if year == 2016 else record.outlet
        store.save(record)
    return store


def search(store: RecordStore, query: str = "", facet_sample: int = 2000, **kwargs):
    limit, offset = kwargs.pop("limit", 20), kwargs.pop("offset", 0)
    with store.engine.connect() as conn:
        return run_search(conn, query, SearchFilters(**kwargs), limit=limit, offset=offset, facet_sample=facet_sample)


@pytest.mark.parametrize("query", ["", "ransomware"])
def test_facets_are_exact_while_the_result_is_within_the_sample(editions: RecordStore, query: str):
    result = search(editions, query, facet_sample=7)
    assert (result.total, result.facets_over) == (7, 7)
    assert result.facets["outlet"] == {"Nordic Wire": 6, "Late Wire": 1}


def test_above_the_sample_facets_count_the_best_matches_and_say_so(editions: RecordStore):
    newest = search(editions, facet_sample=3)
    assert (newest.total, newest.facets_over) == (7, 3)  # the total stays exact
    assert newest.facets["outlet"] == {"Late Wire": 1, "Nordic Wire": 2}  # 2016, 2015, 2014
    best = search(editions, "ransomware", facet_sample=1)
    assert best.facets_over == 1
    assert best.hits[0].id == "v2012"
    assert best.facets["outlet"] == {"Nordic Wire": 1}


@pytest.mark.parametrize("query", ["", "ransomware"])
def test_pages_beyond_the_facet_sample_continue_the_same_order(editions: RecordStore, query: str):
    whole = [hit.id for hit in search(editions, query, limit=7).hits]
    pages = [hit.id for offset in range(0, 7, 2) for hit in search(editions, query, 2, limit=2, offset=offset).hits]
    assert pages == whole
    assert len(set(whole)) == 7


def test_every_hit_of_a_text_search_has_its_snippet_and_a_filter_applies_before_ranking(editions: RecordStore):
    result = search(editions, "ransomware", outlet="late wire")
    assert [hit.id for hit in result.hits] == ["v2016"]
    assert result.total == 1
    assert "«" in result.hits[0].snippet
    assert all(hit.snippet for hit in search(editions, "ransomware", limit=7).hits)


def test_a_page_past_the_end_is_empty_but_keeps_the_total(editions: RecordStore):
    result = search(editions, "ransomware", limit=5, offset=10)
    assert (result.hits, result.total) == ([], 7)
