"""Dossiers over the gold records of the dev corpus: they form, and they do not chain."""

from __future__ import annotations

import json

import pytest

from cyberops.correlate import build_dossiers, find_near_duplicates
from cyberops.record import Record


def gold_records(paths) -> list[Record]:
    """Gold lines as Records: gold items carry no ids and no spans, so ids are numbered here."""
    records = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            data = json.loads(line)
            for field, prefix in (("entities", "e"), ("incidents", "i"), ("claims", "c")):
                data[field] = [{**item, "id": f"{prefix}{n}"} for n, item in enumerate(data.get(field) or [], 1)]
            records.append(Record.from_dict(data))
    return records


@pytest.mark.corpus
def test_dev_gold_records_form_sane_dossiers(corpus):
    records = gold_records(sorted((corpus / "dev").glob("*.jsonl")))
    dossiers = build_dossiers(records)

    reported = {r.id for r in records if any(i.status == "reported" for i in r.incidents)}
    placed = {doc for d in dossiers for doc in d.documents}
    assert reported <= placed, "every document reporting an incident lands in a dossier"
    assert not placed - {r.id for r in records if r.relevant}, "irrelevant documents make no dossier"

    multi = [d for d in dossiers if len(d.documents) > 1]
    assert len(multi) >= 3, "some operations are reported by several articles"
    assert max(len(d.documents) for d in dossiers) <= len(records) // 10, "no dossier swallows the corpus"
    for dossier in multi:
        # Members agree on who is accused: an attribution never chains two opposite stories.
        attributed = [set(m.attributed_states) for m in dossier.members if m.attributed_states]
        assert all(a & b for a in attributed for b in attributed), dossier.title
    for dossier in dossiers:
        dated = [e.date for e in dossier.timeline if e.date]
        assert dated == sorted(dated)
        assert dossier.title and dossier.id.startswith("dos-")

    again = build_dossiers(list(reversed(records)))
    assert [d.id for d in again] == [d.id for d in dossiers], "ids do not depend on input order"


@pytest.mark.corpus
def test_dev_corpus_has_no_false_near_duplicates(corpus):
    records = gold_records(sorted((corpus / "dev").glob("*.jsonl")))
    # The dev articles are all distinct stories, several on the same events.
    assert find_near_duplicates(records) == []
