"""RecordStore on both backends: exact round trip, one copy per document, atomic saves, errors, dossiers, feeds."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from store_builders import all_records, denial_record, ransomware_record, sanction_record, weather_record

from cyberops.ingest.identity import content_id
from cyberops.record import Claim, Entity, Record, Span, Speaker
from cyberops.store import RecordStore, StoreError
from cyberops.store.schema import claims, documents, entities, evidence, incident_types, mentions


@pytest.mark.parametrize("record", all_records(), ids=lambda r: r.id)
def test_a_record_comes_back_exactly_as_saved(store: RecordStore, record: Record):
    result = store.save(record, raw=b"<html>as fetched \xe2\x80\x94 bytes</html>", source="tests")
    assert result.created and result.document_id == record.id
    got = store.get(record.id)
    assert got == record
    assert got.to_dict() == record.to_dict()
    assert store.raw(record.id) == b"<html>as fetched \xe2\x80\x94 bytes</html>"


def test_an_unknown_document_is_none(store: RecordStore):
    assert store.get("nope") is None
    assert store.raw("nope") is None


def test_the_normalized_rows_follow_the_record(store: RecordStore):
    record = denial_record()
    store.save(record)
    with store.engine.connect() as conn:
        kinds = conn.execute(sa.select(claims.c.kind, claims.c.speaker_state).order_by(claims.c.ref)).all()
        spans = conn.execute(sa.select(evidence.c.start, evidence.c.end).order_by(evidence.c.pk)).all()
        mention_rows = conn.execute(sa.select(mentions.c.ref, mentions.c.start)).all()
        types = conn.execute(sa.select(incident_types.c.type)).scalars().all()
    assert kinds == [("attribution", None), ("denial", "CN")]
    assert [tuple(s) for s in spans] == [(s.start, s.end) for s in record.spans() if s not in _mention_spans(record)]
    assert sorted(mention_rows) == [("e1", record.entities[0].mentions[0].start), ("e2", record.entities[1].mentions[0].start)]
    assert types == ["espionage"]
    assert store.check() == []


def _mention_spans(record: Record) -> list[Span]:
    return [m for e in record.entities for m in e.mentions]


def test_the_same_article_twice_is_stored_once(store: RecordStore):
    assert store.save(denial_record()).status == "stored"
    again = store.save(denial_record())
    assert again.status == "duplicate" and again.document_id == "doc-visma"
    assert store.count() == 1
    assert store.check() == []


def test_the_same_url_with_tracking_parameters_is_stored_once(store: RecordStore):
    first = denial_record(url="https://news.example.org/2019/visma?utm_source=rss&utm_medium=feed")
    store.save(first)
    # Another fetch of the page: other tracking parameters, a fragment, a slightly different text.
    second = dataclasses.replace(
        denial_record(record_id="other-id", url="https://NEWS.example.org/2019/visma?fbclid=XYZ#comments"),
        text=first.text + " Updated.",
    )
    result = store.save(second)
    assert result.status == "duplicate" and result.document_id == first.id
    assert store.count() == 1


def test_the_same_text_under_another_id_is_stored_once(store: RecordStore):
    store.save(denial_record(url=None))
    copy = dataclasses.replace(denial_record(record_id="copy", url=None), text=denial_record().text.upper())
    assert store.save(copy).document_id == "doc-visma"
    assert store.count() == 1


def test_has_finds_a_document_by_id_url_or_content_hash(store: RecordStore):
    record = denial_record()
    assert not store.has(record.id)
    store.save(record)
    assert store.has(record.id)
    assert store.has(url="https://news.example.org/2019/visma?gclid=1")
    assert store.has(content_hash=content_id(record.text))
    assert store.find(url="https://news.example.org/2019/visma") == record.id
    assert not store.has("other", url="https://news.example.org/2019/other", content_hash="0" * 16)
    assert not store.has()


def test_replacing_keeps_the_document_and_swaps_the_analysis(store: RecordStore):
    store.save(denial_record(), raw="kept")
    newer = denial_record(record_id="new-id")
    newer.claims = newer.claims[1:]
    newer.analyzer = "cyberops/test-2"
    result = store.save(newer, replace=True)
    assert result.status == "replaced" and result.document_id == "doc-visma"
    got = store.get("doc-visma")
    assert [c.kind for c in got.claims] == ["denial"] and got.analyzer == "cyberops/test-2"
    assert store.raw("doc-visma") == b"kept"
    assert store.search(kind="attribution").total == 0
    assert store.count() == 1 and store.check() == []


def test_a_document_that_fails_half_way_leaves_no_trace(store: RecordStore):
    broken = denial_record()
    # The entity table refuses a nameless entity after the document row is written: all must roll back.
    broken.entities.append(Entity("e3", None, "person", mentions=[Span(0, 5)]))  # type: ignore[arg-type]
    with pytest.raises(sa.exc.IntegrityError):
        store.save(broken)
    assert store.count() == 0
    assert not store.has(broken.id)
    with store.engine.connect() as conn:
        for table in (claims, mentions, evidence, entities):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0
    assert store.save(denial_record()).created


def test_entities_gather_names_across_documents(store: RecordStore):
    store.save(sanction_record())
    later = ransomware_record()
    # A later article knows APT28 under another alias; both articles are found under it.
    later.entities.append(Entity("e2", "APT28", "threat_actor", "RU", ["Strontium"], {"misp": "x"}, [Span(0, 8)]))
    store.save(later)
    assert store.search(actor="strontium").total == 2
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(entities.c.aliases, entities.c.kb).where(entities.c.name == "APT28")).one()
    assert row.aliases == ["Fancy Bear", "Sofacy", "Strontium"]
    assert row.kb == {"mitre": "G0007", "misp": "x"}


def test_a_record_without_url_date_or_title_is_stored(store: RecordStore):
    record = Record(id="bare", text="Just a line of text.")
    store.save(record)
    assert store.get("bare") == record
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(documents.c.canonical_url, documents.c.published)).one()
    assert tuple(row) == (None, None)


def test_errors_are_listed_newest_first_and_counted_when_repeated(store: RecordStore):
    store.record_error("a/empty.txt", "empty document")
    store.record_error("b/image.html", "the bytes are not text")
    store.record_error("a/empty.txt", "empty document")
    errors = store.errors()
    assert [(e.source, e.occurrences) for e in errors] == [("a/empty.txt", 2), ("b/image.html", 1)]
    assert store.errors(limit=1)[0].source == "a/empty.txt"


def test_dossiers_are_saved_listed_filtered_and_updated(store: RecordStore):
    for record in (denial_record(), sanction_record(), ransomware_record()):
        store.save(record)
    dossiers = [
        {"id": "d-visma", "key": "espionage:NO:CN", "title": "Visma intrusion", "document_ids": ["doc-visma"],
         "payload": {"timeline": [{"claim": "denial", "state": "CN"}]}},
        {"id": "d-bundestag", "key": "hack_and_leak:DE:RU", "title": "Bundestag hack",
         "document_ids": ["doc-sanctions"], "payload": {}},
    ]  # fmt: skip
    assert store.save_dossiers(dossiers) == 2
    assert {d.id for d in store.list_dossiers()} == {"d-visma", "d-bundestag"}
    assert [d.id for d in store.list_dossiers(actor="Fancy Bear")] == ["d-bundestag"]
    assert [d.id for d in store.list_dossiers(state="CN")] == ["d-visma"]
    assert store.list_dossiers(state="KP") == []
    got = store.get_dossier("d-visma")
    assert got.payload == {"timeline": [{"claim": "denial", "state": "CN"}]}
    assert got.document_ids == ["doc-visma"]
    # A later correlation adds a report to the dossier.
    store.save_dossiers([{**dossiers[0], "document_ids": ["doc-ransom", "doc-visma"], "title": "Visma (2 reports)"}])
    got = store.get_dossier("d-visma")
    assert got.title == "Visma (2 reports)" and got.document_ids == ["doc-visma", "doc-ransom"]
    assert [d.documents for d in store.list_dossiers() if d.id == "d-visma"] == [2]
    assert store.get_dossier("none") is None


def test_a_dossier_naming_an_unknown_document_is_refused_whole(store: RecordStore):
    store.save(denial_record())
    with pytest.raises(StoreError, match="not stored"):
        store.save_dossiers([
            {"id": "ok", "key": "k", "document_ids": ["doc-visma"]},
            {"id": "bad", "key": "k", "document_ids": ["missing"]},
        ])  # fmt: skip
    assert store.list_dossiers() == []


def test_feed_state_is_kept_for_conditional_requests(store: RecordStore):
    assert store.feed_state("https://example.org/rss") is None
    store.save_feed_state("https://example.org/rss", '"abc"', "Wed, 21 Oct 2015 07:28:00 GMT")
    store.save_feed_state("https://example.org/rss", '"def"', None)
    state = store.feed_state("https://example.org/rss")
    assert (state.etag, state.last_modified) == ('"def"', None) and state.last_polled is not None


def test_claims_with_every_optional_field_survive(store: RecordStore):
    record = weather_record()
    record.claims = [Claim("c1", "cooperation", Speaker(None, None, None), None, None, None, None, False, None, [])]
    store.save(record)
    assert store.get(record.id) == record
