"""The TAXII logic without HTTP: collections and who reads them, TLP of documents, versions, filters and paging."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from export_builders import make_record

from cyberops.errors import CyberopsError
from cyberops.export import ExportError
from cyberops.export.stix import tlp_marking
from cyberops.export.taxii import (
    COLLECTIONS,
    MEDIA_STIX,
    CollectionCache,
    CollectionIndex,
    ObjectFilter,
    StoredDocument,
    TaxiiConfig,
    TaxiiError,
    TlpPolicy,
    build_indexes,
    can_read,
    collection_entries,
    find_collection,
    list_entries,
    load_documents,
    manifest_envelope,
    objects_envelope,
    parse_limit,
    stix_timestamp,
    versions_resource,
)
from cyberops.store import RecordStore

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def doc(record_id: str, first_seen: datetime, updated: datetime | None = None, **where: str) -> StoredDocument:
    return StoredDocument(make_record(record_id), first_seen, updated or first_seen, **where)


def ids_of(entries) -> list[str]:
    return [e.id for e in entries]


# -- collections and access ------------------------------------------------------------------


def test_one_collection_per_tlp_level_with_fixed_uuid_ids_and_aliases():
    assert [c.level for c in COLLECTIONS] == ["clear", "green", "amber", "amber+strict", "red"]
    for collection in COLLECTIONS:
        assert uuid.UUID(collection.id)
        assert find_collection(collection.id) is collection
        assert find_collection(collection.alias) is collection
    assert find_collection("tlp-amber").title == "TLP:AMBER"
    assert find_collection("tlp-purple") is None


@pytest.mark.parametrize(
    ("grants", "readable"),
    [
        (set(), {"clear"}),
        ({"reader"}, {"clear", "green"}),
        ({"reader", "analyst"}, {"clear", "green", "amber", "amber+strict", "red"}),
    ],
    ids=["anonymous", "reader", "analyst"],
)
def test_anonymous_reads_clear_reader_adds_green_analyst_reads_all(grants, readable):
    assert {c.level for c in COLLECTIONS if can_read(c, grants)} == readable


def test_collection_resource_is_read_only_and_says_who_reads_it():
    resource = find_collection("tlp-green").resource(readable=False)
    assert resource["can_read"] is False and resource["can_write"] is False
    assert resource["media_types"] == [MEDIA_STIX]
    assert "reader" in resource["description"]


# -- TLP of a document -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outlet", "source", "level"),
    [
        ("Example News", "feeds/public.xml", "clear"),
        ("Partner CERT", "feeds/public.xml", "amber"),
        ("Example News", "/shares/partner/a.html", "red"),
        # both rules match: the more restrictive level wins
        ("Partner CERT", "/shares/partner/a.html", "red"),
        (None, None, "clear"),
    ],
)
def test_tlp_policy_default_outlet_and_source_rules_most_restrictive_wins(outlet, source, level):
    policy = TlpPolicy(by_outlet={"Partner CERT": "TLP:AMBER"}, by_source={"/shares/partner/": "red"})
    assert policy.level(outlet, source) == level


def test_tlp_policy_default_can_be_raised_and_white_reads_as_clear():
    assert TlpPolicy(default="green").level("Anything", None) == "green"
    assert TlpPolicy(default="white", by_outlet={"X": "TLP:WHITE"}).level("X", None) == "clear"
    with pytest.raises(ExportError, match="unknown TLP level"):
        TlpPolicy(by_outlet={"X": "orange"})


def test_config_from_environment_reads_json_rules_and_rejects_bad_json():
    config = TaxiiConfig.from_env(
        {"CYBEROPS_TAXII_DEFAULT_TLP": "green", "CYBEROPS_TAXII_TLP_BY_OUTLET": '{"Partner CERT": "amber"}'}
    )
    assert config.policy.default == "green"
    assert config.policy.level("Partner CERT", None) == "amber"
    assert TaxiiConfig.from_env({}).policy == TlpPolicy()
    with pytest.raises(CyberopsError, match="CYBEROPS_TAXII_TLP_BY_SOURCE is not JSON"):
        TaxiiConfig.from_env({"CYBEROPS_TAXII_TLP_BY_SOURCE": "/shares=red"})
    with pytest.raises(CyberopsError, match="JSON object of TLP levels"):
        TaxiiConfig.from_env({"CYBEROPS_TAXII_TLP_BY_OUTLET": '["amber"]'})


# -- objects and versions --------------------------------------------------------------------


def test_document_objects_carry_its_store_times_and_one_version_per_id():
    entries = collection_entries([doc("a", T0)], "clear")
    report = next(e for e in entries if e.type == "report")
    assert report.object["created"] == report.object["modified"] == "2024-05-01T12:00:00.123Z"
    assert report.date_added == T0  # to the microsecond
    assert report.version == datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert len(ids_of(entries)) == len(set(ids_of(entries)))


def test_shared_object_is_created_when_first_seen_and_versioned_by_the_newest_document():
    early, late = T0, T0 + timedelta(days=3)
    entries = {e.id: e for e in collection_entries([doc("b", late), doc("a", early)], "clear")}
    intrusion_set = next(e for e in entries.values() if e.type == "intrusion-set")
    assert intrusion_set.object["created"] == stix_timestamp(early)
    assert intrusion_set.object["modified"] == stix_timestamp(late)
    assert intrusion_set.date_added == late
    reports = sorted((e for e in entries.values() if e.type == "report"), key=lambda e: e.date_added)
    assert [r.object["x_cyberops_document_id"] for r in reports] == ["a", "b"]


def test_reanalyzed_document_keeps_ids_and_moves_modified_forward():
    before = collection_entries([doc("a", T0)], "clear")
    after = collection_entries([doc("a", T0, T0 + timedelta(hours=5))], "clear")
    assert sorted(ids_of(before)) == sorted(ids_of(after))
    old, new = {e.id: e for e in before}, {e.id: e for e in after}
    report_id = next(i for i in old if i.startswith("report--"))
    assert new[report_id].object["created"] == old[report_id].object["created"]
    assert new[report_id].version > old[report_id].version
    assert new[report_id].date_added == T0 + timedelta(hours=5)


def test_fixed_definitions_keep_their_own_timestamps():
    entries = {e.id: e for e in collection_entries([doc("a", T0)], "amber")}
    marking = entries[tlp_marking("amber").id]
    assert "modified" not in marking.object
    assert marking.version == datetime.fromisoformat(marking.object["created"])
    assert marking.date_added == T0


def test_each_document_goes_to_its_levels_collection_marked_with_that_level():
    policy = TlpPolicy(by_outlet={"Partner CERT": "amber"})
    indexes = build_indexes([doc("pub", T0, outlet="Example News"), doc("partner", T0, outlet="Partner CERT")], policy)
    assert {level for level, index in indexes.items() if len(index)} == {"clear", "amber"}
    for level in ("clear", "amber"):
        reports = [e.object for e in indexes[level].entries if e.type == "report"]
        assert [r["x_cyberops_document_id"] for r in reports] == (["pub"] if level == "clear" else ["partner"])
        marking = tlp_marking(level).id
        for entry in indexes[level].entries:
            if entry.type not in ("marking-definition", "extension-definition"):
                assert entry.object["object_marking_refs"] == [marking], entry.id


# -- listing -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index() -> CollectionIndex:
    return build_indexes([doc("a", T0), doc("b", T0 + timedelta(minutes=1))], TlpPolicy())["clear"]


def test_pages_follow_next_and_cover_every_object_once_in_date_added_order(index):
    seen, cursor, pages = [], None, 0
    while True:
        page = list_entries(index, ObjectFilter(), limit=7, cursor=cursor)
        seen += page.entries
        pages += 1
        if not page.more:
            assert page.next is None
            break
        assert len(page.entries) == 7
        cursor = page.next
    assert ids_of(seen) == ids_of(index.entries)
    assert [e.key for e in seen] == sorted(e.key for e in seen)
    assert pages == -(-len(index) // 7)


def test_a_cursor_stays_valid_when_objects_are_added_meanwhile(index):
    first = list_entries(index, ObjectFilter(), limit=5)
    grown = build_indexes(
        [doc("a", T0), doc("b", T0 + timedelta(minutes=1)), doc("c", T0 + timedelta(hours=1))], TlpPolicy()
    )
    rest = list_entries(grown["clear"], ObjectFilter(), cursor=first.next)
    assert not set(ids_of(first.entries)) & set(ids_of(rest.entries))
    assert any(e.object.get("x_cyberops_document_id") == "c" for e in rest.entries)


def test_added_after_is_strictly_after(index):
    later = list_entries(index, ObjectFilter(added_after=T0))
    assert later.entries and all(e.date_added > T0 for e in later.entries)
    reports = [e.object["x_cyberops_document_id"] for e in later.entries if e.type == "report"]
    assert reports == ["b"]
    assert list_entries(index, ObjectFilter(added_after=index.entries[-1].date_added)).entries == []


def test_page_headers_give_first_and_last_date_added(index):
    page = list_entries(index, ObjectFilter(), limit=3)
    assert page.headers == {
        "X-TAXII-Date-Added-First": stix_timestamp(page.entries[0].date_added, 6),
        "X-TAXII-Date-Added-Last": stix_timestamp(page.entries[-1].date_added, 6),
    }
    assert list_entries(index, ObjectFilter(added_after=T0 + timedelta(days=9))).headers == {}


def test_match_filters_by_id_type_version_and_spec_version(index):
    report = next(e for e in index.entries if e.type == "report")
    by_id = list_entries(index, ObjectFilter.from_params({"match[id]": [f"{report.id},indicator--nope"]}))
    assert ids_of(by_id.entries) == [report.id]
    types = list_entries(index, ObjectFilter.from_params({"match[type]": ["report,opinion"]}))
    assert {e.type for e in types.entries} == {"report", "opinion"}
    assert len([e for e in types.entries if e.type == "report"]) == 2
    exact = ObjectFilter.from_params({"match[version]": [stix_timestamp(report.version)], "match[id]": [report.id]})
    assert ids_of(list_entries(index, exact).entries) == [report.id]
    other = ObjectFilter.from_params({"match[version]": ["2001-01-01T00:00:00Z"], "match[id]": [report.id]})
    assert list_entries(index, other).entries == []
    for keyword in ("first", "last", "all"):
        assert len(list_entries(index, ObjectFilter.from_params({"match[version]": [keyword]})).entries) == len(index)
    assert list_entries(index, ObjectFilter.from_params({"match[spec_version]": ["2.0"]})).entries == []


@pytest.mark.parametrize(
    ("params", "title"),
    [
        ({"added_after": ["yesterday"]}, "Invalid timestamp"),
        ({"added_after": ["2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"]}, "Invalid added_after"),
        ({"match[version]": ["newest"]}, "Invalid timestamp"),
    ],
)
def test_bad_filters_are_400_with_a_title(params, title):
    with pytest.raises(TaxiiError) as caught:
        ObjectFilter.from_params(params)
    assert caught.value.status == 400 and caught.value.title == title


@pytest.mark.parametrize("cursor", ["not-a-cursor", "!!!", "bm9waXBl"])
def test_a_cursor_this_server_did_not_make_is_400(index, cursor):
    with pytest.raises(TaxiiError, match="Invalid next") as caught:
        list_entries(index, ObjectFilter(), cursor=cursor)
    assert caught.value.body()["http_status"] == "400"


def test_limit_defaults_caps_and_refuses_nonsense():
    config = dataclasses.replace(TaxiiConfig(), page_size=50, max_page_size=200)
    assert parse_limit([], config) == 50
    assert parse_limit(["7"], config) == 7
    assert parse_limit(["100000"], config) == 200
    for bad in ("0", "-3", "ten"):
        with pytest.raises(TaxiiError, match="Invalid limit"):
            parse_limit([bad], config)


def test_envelopes_manifest_and_versions_shapes(index):
    page = list_entries(index, ObjectFilter(), limit=2)
    envelope = objects_envelope(page)
    assert envelope["more"] is True and envelope["next"] == page.next
    assert [o["id"] for o in envelope["objects"]] == ids_of(page.entries)
    manifest = manifest_envelope(page)["objects"][0]
    assert set(manifest) == {"id", "date_added", "version", "media_type"}
    assert manifest["media_type"] == MEDIA_STIX
    assert manifest["version"] == stix_timestamp(page.entries[0].version)
    assert versions_resource(page)["versions"] == [stix_timestamp(e.version) for e in page.entries]
    empty = list_entries(index, ObjectFilter(ids=frozenset({"report--nothing"})))
    assert objects_envelope(empty) == {"more": False}


# -- the cache over a real store ---------------------------------------------------------------


def _snapshot(index: CollectionIndex) -> list[tuple]:
    return [(e.id, e.date_added, e.version, json.dumps(e.object, sort_keys=True)) for e in index.entries]


def _article(record_id: str, outlet: str = "Example News"):
    """The example record as a separate article: its own text and URL, so the store does not merge it."""
    record = make_record(record_id)
    record.text += f" Dispatch {record_id}."
    record.url = f"https://news.example/{record_id}"
    record.outlet = outlet
    return record


def _opinions(entries) -> set[str]:
    return {e.id for e in entries if e.type == "opinion"}


def test_cache_adds_new_articles_as_a_rebuild_would_and_rebuilds_after_a_reanalysis(tmp_path):
    policy = TlpPolicy(by_outlet={"Partner CERT": "amber"})
    cache = CollectionCache(policy)
    with RecordStore.open(f"sqlite:///{tmp_path / 'cache.db'}") as store:
        assert len(cache.index(store.engine, "clear")) == 0
        store.save(_article("a"))
        first = cache.index(store.engine, "clear")
        assert cache.index(store.engine, "clear") is first  # unchanged store: nothing rebuilt
        store.save(_article("b"))
        store.save(_article("p", outlet="Partner CERT"))
        incremental = {level: cache.index(store.engine, level) for level in ("clear", "amber")}
        documents, count, all_new = load_documents(store.engine)
        assert (count, all_new) == (3, True)
        rebuilt = build_indexes(documents, policy)
        for level in ("clear", "amber"):
            assert _snapshot(incremental[level]) == _snapshot(rebuilt[level])

        # Analyzed again without its claims: b's opinions are gone, not left behind; a's stay.
        opinions_of_b = _opinions(collection_entries([doc("b", T0)], "clear"))
        assert opinions_of_b <= _opinions(incremental["clear"].entries)
        again = _article("b")
        again.claims = []
        store.save(again, replace=True)
        after = cache.index(store.engine, "clear")
        assert _opinions(after.entries) == _opinions(first.entries)
        assert not opinions_of_b & _opinions(after.entries)
