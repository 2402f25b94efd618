"""The record JSON Schema accepts what Record.to_dict() emits and rejects bad fields."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from cyberops.record import Claim, Entity, Incident, Record, Span, Speaker
from cyberops.schema import record_schema, validate_record


def _valid_record() -> dict[str, Any]:
    text = "La Chine rejette les accusations de cyberespionnage contre Visma."
    record = Record(
        id="doc-1",
        text=text,
        url="https://example.org/a",
        title="La Chine rejette",
        language="fr",
        published="2019-02-19",
        relevant=True,
        entities=[
            Entity(
                id="e1",
                name="Equation Group",
                type="threat_actor",
                state="US",
                aliases=["EQGRP"],
                kb={"mitre": "G0020"},
                mentions=[Span(0, 8)],
            )
        ],
        incidents=[
            Incident(
                id="i1",
                status="reported",
                types=["espionage"],
                victim_states=["NO"],
                attributed_states=["CN"],
                evidence=[Span(0, 20)],
            )
        ],
        claims=[
            Claim(
                id="c1",
                kind="denial",
                speaker=Speaker(name="Hua Chunying", role="porte-parole", entity=None),
                speaker_state="CN",
                subject_state="CN",
                incident="i1",
                evidence=[Span(0, 30)],
                cues=["rejette"],
            ),
            Claim(id="c2", kind="response", measure="sanction", speaker_state="EU", subject_state=None),
        ],
    )
    return record.to_dict()


def test_schema_is_draft_2020_12_and_well_formed() -> None:
    schema = record_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_hand_built_record_passes() -> None:
    validate_record(_valid_record())


def test_empty_irrelevant_record_passes() -> None:
    validate_record(Record(id="x", text="").to_dict())


def test_extra_fields_are_allowed() -> None:
    data = _valid_record()
    data["pipeline_version"] = "1"
    data["claims"][0]["confidence"] = 0.9
    validate_record(data)


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(_valid_record())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(["incidents", 0, "types", 0], "cyberwar", id="wrong-incident-type"),
        pytest.param(["incidents", 0, "status"], "alleged", id="wrong-status"),
        pytest.param(["claims", 0, "speaker_state"], "China", id="state-name-not-code"),
        pytest.param(["claims", 0, "subject_state"], "cn", id="lowercase-state-code"),
        pytest.param(["incidents", 0, "victim_states", 0], "NOR", id="alpha-3-state-code"),
        pytest.param(["entities", 0, "state"], "us", id="entity-state-lowercase"),
        pytest.param(["entities", 0, "type"], "apt", id="wrong-entity-type"),
        pytest.param(["claims", 0, "kind"], "accusation", id="wrong-claim-kind"),
        pytest.param(["claims", 1, "measure"], "tariff", id="wrong-measure"),
        pytest.param(["entities", 0, "mentions", 0, "start"], -1, id="negative-span"),
        pytest.param(["claims", 0, "evidence", 0, "end"], "30", id="span-not-integer"),
        pytest.param(["published"], "19 février 2019", id="published-not-iso"),
        pytest.param(["relevant"], "yes", id="relevant-not-boolean"),
        pytest.param(["claims", 0, "hedged"], None, id="hedged-null"),
    ],
)
def test_invalid_field_is_rejected(path: list[Any], value: Any) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate_record(_broken(path, value))


@pytest.mark.parametrize("field", ["id", "text", "entities", "claims", "published"])
def test_missing_required_field_is_rejected(field: str) -> None:
    data = _valid_record()
    del data[field]
    with pytest.raises(jsonschema.ValidationError):
        validate_record(data)
