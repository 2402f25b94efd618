"""Small hand-written gold lines and predictions for the eval tests."""

from __future__ import annotations

from typing import Any


def gold_line(
    id: str = "doc-1",
    language: str = "en",
    relevant: bool = True,
    published: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    incidents: list[dict[str, Any]] | None = None,
    claims: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "url": None,
        "outlet": None,
        "language": language,
        "text": "some article text",
        "published": published,
        "relevant": relevant,
        "entities": entities or [],
        "incidents": incidents or [],
        "claims": claims or [],
        "notes": "hand-written for a test",
    }


def prediction(
    id: str = "doc-1",
    relevant: bool = True,
    published: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    incidents: list[dict[str, Any]] | None = None,
    claims: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A predicted record dict; claims get the speaker object of RECORD.md."""
    return {
        "id": id,
        "text": "some article text",
        "published": published,
        "relevant": relevant,
        "entities": [{"id": f"e{i}", "aliases": [], **e} for i, e in enumerate(entities or [])],
        "incidents": [{"id": f"i{i}", "status": "reported", **x} for i, x in enumerate(incidents or [])],
        "claims": [
            {"id": f"c{i}", "speaker": {"name": None, "role": None, "entity": None}, **c}
            for i, c in enumerate(claims or [])
        ],
    }


def claim(kind: str, speaker_state: str | None, subject_state: str | None) -> dict[str, Any]:
    return {"kind": kind, "speaker_state": speaker_state, "subject_state": subject_state}
