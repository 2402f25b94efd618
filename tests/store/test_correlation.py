"""Near-duplicates linked at save, dossiers updated at ingest from the queue, re-analysis, rebuild — on both backends."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from store_builders import denial_record, ransomware_record, weather_record

from cyberops.nlp.analyzer import Analyzer
from cyberops.pipeline import correlate_queued, ingest, load_dossier, reanalyze, rebuild_dossiers
from cyberops.record import Article
from cyberops.store import RecordStore
from cyberops.store.schema import correlation_queue, near_duplicates


def wire_copy(record, record_id: str, url: str, outlet: str, lede: str = "Oslo (Wire) - "):
    """The same story as another outlet runs it: a dateline before the body, the rest word for word."""
    at = record.text.index("Reports said")
    data = record.to_dict()
    data.update(id=record_id, url=url, outlet=outlet, text=record.text[:at] + lede + record.text[at:])
    copy = type(record).from_dict(data)
    # Spans after the insertion move with it.

    def move(span):
        return (
            dataclasses.replace(span, start=span.start + len(lede), end=span.end + len(lede))
            if span.start >= at
            else span
        )

    for entity in copy.entities:
        entity.mentions = [move(s) for s in entity.mentions]
    for item in [*copy.incidents, *copy.claims]:
        item.evidence = [move(s) for s in item.evidence]
    return copy


def test_a_wire_copy_is_linked_to_the_first_stored_copy(store: RecordStore):
    original = denial_record()
    store.save(original)
    store.save(wire_copy(original, "doc-visma-copy", "https://other.example/visma", "Other Daily"))
    store.save(wire_copy(original, "doc-visma-copy2", "https://third.example/visma", "Third Post", "Bergen (AP) - "))
    store.save(ransomware_record())
    assert store.canonical_ids(["doc-visma-copy", "doc-visma-copy2", "doc-visma", "doc-ransom"]) == {
        "doc-visma-copy": "doc-visma",
        "doc-visma-copy2": "doc-visma",
    }
    assert store.copies(["doc-visma", "doc-visma-copy", "doc-ransom"]) == {
        "doc-visma": 3,
        "doc-visma-copy": 3,
        "doc-ransom": 1,
    }
    assert store.check() == []


def test_dossiers_are_updated_from_the_queue_and_copies_count_once(store: RecordStore):
    original = denial_record()
    store.save(original)
    store.save(weather_record())
    first = correlate_queued(store)
    assert (first.documents, first.changed) == (2, 1)
    [summary] = store.list_dossiers()
    assert (summary.documents, summary.stories) == (1, 1)

    store.save(wire_copy(original, "doc-visma-copy", "https://other.example/visma", "Other Daily"))
    store.save(ransomware_record())
    second = correlate_queued(store)
    assert second.documents == 2
    summaries = {s.title: s for s in store.list_dossiers()}
    assert len(summaries) == 2
    visma = next(s for s in summaries.values() if "APT10" in (s.title or ""))
    assert (visma.documents, visma.stories) == (2, 1)
    report = load_dossier(store, visma.id)
    assert set(report.dossier.documents) == {"doc-visma", "doc-visma-copy"}
    assert report.copies == {"doc-visma": 2, "doc-visma-copy": 2}
    assert "CN" in report.dossier.denier_states
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(correlation_queue)).scalar_one() == 0
    assert [s.id for s in store.list_dossiers(actor="Stone Panda")] == [visma.id]

    # A rebuild from scratch finds the same grouping.
    before = {frozenset(store.get_dossier(s.id).document_ids) for s in store.list_dossiers()}
    rebuilt = rebuild_dossiers(store)
    assert rebuilt.documents == 4
    assert {frozenset(store.get_dossier(s.id).document_ids) for s in store.list_dossiers()} == before


def test_deleting_a_document_leaves_no_link_or_queue_row(store: RecordStore):
    original = denial_record()
    store.save(original)
    store.save(wire_copy(original, "doc-visma-copy", "https://other.example/visma", "Other Daily"))
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM documents WHERE id = 'doc-visma'"))
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(near_duplicates)).scalar_one() == 0
    assert store.check() == []


def test_reanalysis_replaces_records_keeps_documents_and_recorrelates(store: RecordStore, analyzer: Analyzer, settings):
    text = (
        "China rejects accusations over Visma intrusion\n\n"
        "China's foreign ministry on Thursday rejected accusations that the APT10 group had hacked the Norwegian "
        "software company Visma. Spokeswoman Hua Chunying called the claims groundless."
    )
    ingest([Article("visma-denial", text, url="https://news.example/visma")], store, settings, analyzer=analyzer)
    stored = store.get("visma-denial")
    # Pretend an older analyzer made it and found nothing: the kind of record a new version should fix.
    old = dataclasses.replace(stored, analyzer="cyberops/0.0.1", claims=[], incidents=[], entities=[])
    store.save(old, replace=True)
    correlate_queued(store)
    assert store.list_dossiers() == []
    raw_before = store.raw("visma-denial")

    counts = reanalyze(store, settings, analyzer=analyzer)
    assert (counts.replaced, counts.failed) == (1, 0)
    assert store.get("visma-denial") == stored
    assert store.raw("visma-denial") == raw_before and store.count() == 1
    [dossier] = store.list_dossiers()
    assert dossier.documents == 1
    # Already at this version: nothing to do unless everything is asked for.
    assert reanalyze(store, settings, analyzer=analyzer).replaced == 0
    assert reanalyze(store, settings, everything=True, analyzer=analyzer).replaced == 1
    assert len(store.list_dossiers()) == 1 and store.check() == []
