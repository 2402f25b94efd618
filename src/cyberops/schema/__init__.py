"""The JSON Schema of the extraction record, and a validator over it.

``record.schema.json`` describes exactly what :meth:`cyberops.record.Record.to_dict`
emits (shared/spec/RECORD.md): listed fields are strictly typed, extra fields
are allowed because RECORD.md lets producers add them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["record_schema", "validate_record"]


@cache
def record_schema() -> dict[str, Any]:
    """The record schema (draft 2020-12), read from the package on first call."""
    text = (resources.files(__name__) / "record.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = record_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_record(data: dict[str, Any]) -> None:
    """Check a record dict against the schema.

    Raises ``jsonschema.ValidationError`` for the most relevant problem; its
    ``json_path`` (e.g. ``$.incidents[0].types[0]``) says which field to fix.
    """
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        raise error
