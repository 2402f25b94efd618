"""Which spaCy model serves which language (``models.json``), read without importing spaCy.

The batch driver plans its parse blocks from it (a language with a model costs more to parse)
without loading spaCy; ``Pipelines`` loads the models it names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class ModelTable:
    models: dict[str, str]
    person_labels: frozenset[str]
    organization_labels: frozenset[str]

    @classmethod
    def load(cls) -> ModelTable:
        data = json.loads(resources.files("cyberops.nlp").joinpath("models.json").read_text("utf-8"))
        return cls(
            models=dict(data["models"]),
            person_labels=frozenset(data["person_labels"]),
            organization_labels=frozenset(data["organization_labels"]),
        )
