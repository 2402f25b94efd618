"""Gold loading, the analyzer loop, per-language figures, JSON output and the tables."""

from __future__ import annotations

import io
import json

import pytest
from eval_builders import claim, gold_line, prediction
from rich.console import Console

import cyberops.eval
from cyberops.errors import GoldFormatError
from cyberops.eval import evaluate, load_gold, render_errors, render_table, scores_from_records
from cyberops.record import Record

EXPECTED_FIELDS = {"published", "relevant", "entities", "incidents", "claims", "notes"}


def as_record(gold) -> Record:
    """The gold expectation turned into a predicted Record (ids added, speaker strings become objects)."""
    expected = gold.expected

    def with_ids(items, prefix):
        return [{**item, "id": f"{prefix}{i}"} for i, item in enumerate(items)]

    return Record.from_dict(
        {
            "id": gold.id,
            "text": gold.input.get("text") or "",
            "published": expected["published"],
            "relevant": expected["relevant"],
            "entities": with_ids(expected["entities"], "e"),
            "incidents": with_ids(expected["incidents"], "i"),
            "claims": with_ids(expected["claims"], "c"),
        }
    )


def test_public_api_is_pinned():
    assert set(cyberops.eval.__all__) == {
        "EvalReport",
        "GoldDocument",
        "evaluate",
        "load_gold",
        "render_errors",
        "render_table",
        "scores_from_records",
    }


def test_gold_input_never_carries_expected_fields(make_gold):
    (gold,) = make_gold({**gold_line(claims=[claim("denial", "CN", "CN")]), "title": "T", "casie": {"date": "x"}})
    assert set(gold.input) == {"id", "url", "outlet", "language", "text", "title"}
    assert not EXPECTED_FIELDS & set(gold.input)
    assert gold.expected["claims"] == [claim("denial", "CN", "CN")]


def test_bad_json_names_file_and_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(gold_line()) + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(GoldFormatError, match=r"broken\.jsonl:3"):
        load_gold([path])


def test_unknown_claim_kind_is_a_gold_format_error(make_gold):
    with pytest.raises(GoldFormatError, match="claim kind 'blame'"):
        make_gold(gold_line(claims=[claim("blame", "US", "CN")]))


def test_analyzer_gets_inputs_and_failures_count_as_empty_irrelevant(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(
        "\n".join(json.dumps(gold_line(id=i, claims=[claim("denial", "CN", "CN")])) for i in ("a", "b")),
        encoding="utf-8",
    )
    seen: list[dict] = []

    def analyze_docs(inputs):
        seen.extend(inputs)
        return [prediction(id="a", claims=[claim("denial", "CN", "CN")]), None]

    report = evaluate([path], analyze_docs)
    assert [d["id"] for d in seen] == ["a", "b"]
    assert all(not EXPECTED_FIELDS & set(d) for d in seen)
    assert report.overall["claims"].tp == 1
    assert report.overall["relevance"].fn == 1
    assert [d.failed for d in report.documents] == [False, True]


def test_predictions_out_of_order_are_refused(make_gold):
    golds = make_gold(gold_line(id="a"), gold_line(id="b"))
    with pytest.raises(ValueError, match="input order"):
        scores_from_records(golds, [prediction(id="b"), prediction(id="a")])


def test_scores_are_split_by_gold_language(make_gold):
    golds = make_gold(
        gold_line(id="a", language="fr", claims=[claim("denial", "CN", "CN")]),
        gold_line(id="b", language="en", claims=[claim("denial", "RU", "RU")]),
    )
    predictions = [prediction(id="a", claims=[claim("denial", "CN", "CN")]), prediction(id="b")]
    by_language = scores_from_records(golds, predictions).by_language
    assert by_language["fr"]["claims"].f1 == 1.0
    assert by_language["en"]["claims"].f1 == 0.0


def test_skip_removes_metrics_and_unknown_names_are_refused(make_gold):
    golds = make_gold(gold_line())
    report = scores_from_records(golds, [prediction()], skip={"published", "persons"})
    assert "published" not in report.overall
    assert "persons" not in report.to_dict()["overall"]
    with pytest.raises(ValueError, match="choose among"):
        scores_from_records(golds, [prediction()], skip={"date"})


def test_json_output_round_trips(make_gold):
    golds = make_gold(
        gold_line(
            claims=[claim("attribution", None, "KP")],
            entities=[{"name": "Lazarus Group", "type": "threat_actor", "state": "KP", "aliases": []}],
        )
    )
    predicted = Record.from_dict(prediction(claims=[claim("attribution", "US", "KP"), claim("denial", "KP", "KP")]))
    data = scores_from_records(golds, [predicted]).to_dict()
    assert json.loads(json.dumps(data)) == data
    document = data["documents"][0]
    assert document["claims"]["matched"][0]["predicted"]["speaker_state"] == "US"
    assert document["claims"]["spurious"] == [
        {"kind": "denial", "speaker": None, "speaker_state": "KP", "subject_state": "KP"}
    ]
    assert document["actors"]["missed"][0]["name"] == "Lazarus Group"


def test_table_and_errors_render_within_100_columns(make_gold):
    golds = make_gold(
        gold_line(id="a", language="fr", claims=[claim("denial", "CN", "CN")]),
        gold_line(id="b", language="en", published="2020-01-02"),
    )
    predictions = [prediction(id="a", claims=[claim("counter_accusation", "CN", None)]), None]
    report = scores_from_records(golds, predictions)
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None)
    render_table(report, console)
    render_errors(report, console, limit=2)
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "incident types" in text
    assert "missed claim   denial CN->CN" in text
    assert "more error lines not shown" in text


@pytest.mark.corpus
def test_gold_converted_to_records_scores_perfectly_on_dev(dev_gold_paths):
    golds = load_gold(dev_gold_paths)
    report = scores_from_records(golds, [as_record(g) for g in golds])
    for name, score in report.overall.items():
        headline = score.accuracy if name == "published" else score.f1
        assert headline == 1.0, name
    for scores in report.by_language.values():
        assert all(getattr(s, "f1", None) in (1.0, None) for n, s in scores.items() if n != "published")
    assert {d.language for d in report.documents} >= {"en", "fr", "zh"}
