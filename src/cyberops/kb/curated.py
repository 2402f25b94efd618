"""Load and validate the curated data files in ``kb/data/``."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from cyberops.errors import KnowledgeBaseError
from cyberops.kb.galaxies import Cluster
from cyberops.kb.model import StateForm

DATA_FILES = ("states.json", "bodies.json", "operations.json", "persons.json", "aliases.json", "sectors.json")
STATE_FORMS: dict[str, StateForm] = {"names": "name", "demonyms": "demonym", "metonyms": "metonym"}


def data_dir() -> Path:
    return Path(str(resources.files("cyberops.kb") / "data"))


def read_data(name: str) -> dict[str, Any]:
    path = data_dir() / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KnowledgeBaseError(f"cannot read KB data file {path}: {exc}; fix the JSON or restore the file") from exc
    if not isinstance(data, dict):
        raise KnowledgeBaseError(f"{path}: expected a JSON object at the top level")
    return data


def _fail(path: str, where: str, what: str) -> KnowledgeBaseError:
    return KnowledgeBaseError(f"kb/data/{path}: {where}: {what}")


def _str_list(value: Any, path: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, where, "expected a list of non-empty strings")
    return value


def load_states() -> dict[str, Any]:
    """``states.json`` checked: alpha-2 (or EU) codes, form lists per language."""
    data = read_data("states.json")
    states = data.get("states")
    if not isinstance(states, dict) or not states:
        raise _fail("states.json", "states", "expected an object keyed by ISO alpha-2 code")
    for code, state in states.items():
        if not (len(code) == 2 and code.isupper()):
            raise _fail("states.json", code, "state keys are ISO 3166-1 alpha-2 codes in upper case")
        if not isinstance(state.get("name"), str):
            raise _fail("states.json", code, "missing 'name'")
        for form in STATE_FORMS:
            for lang, forms in state.get(form, {}).items():
                _str_list(forms, "states.json", f"{code}.{form}.{lang}")
    _str_list(data.get("exact_case", []), "states.json", "exact_case")
    if not isinstance(data.get("ambiguous", {}), dict):
        raise _fail("states.json", "ambiguous", "expected an object: form -> list of context words")
    return data


def _entries(name: str, etype: str) -> list[Cluster]:
    entries = read_data(name).get("entries")
    if not isinstance(entries, list):
        raise _fail(name, "entries", "expected a list")
    clusters = []
    for i, entry in enumerate(entries):
        where = f"entries[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise _fail(name, where, "every entry needs a 'name'")
        state = entry.get("state")
        if state is not None and not (isinstance(state, str) and len(state) == 2 and state.isupper()):
            raise _fail(name, where, f"state {state!r} is not an ISO alpha-2 code, 'EU' or null")
        clusters.append(
            Cluster(
                source=f"curated:{name}",
                type=etype,
                name=entry["name"],
                synonyms=list(_str_list(entry.get("aliases", []), name, where)),
                state=state,
                malware_kind=entry.get("kind"),
                role=entry.get("role"),
                context=tuple(_str_list(entry.get("context", []), name, where)),
                needs_context=tuple(_str_list(entry.get("needs_context", []), name, where)),
            )
        )
    return clusters


def load_curated_clusters() -> list[Cluster]:
    """Operations, state bodies and persons, in that order."""
    return (
        _entries("operations.json", "operation")
        + _entries("bodies.json", "organization")
        + _entries("persons.json", "person")
    )


def load_alias_policy() -> dict[str, Any]:
    data = read_data("aliases.json")
    lists = ("never", "always", "english_word_keep", "group_keywords", "cyber_cues", "attached_prefixes")
    for key in (*lists, "not_mentions", "acronyms_keep_case"):
        _str_list(data.get(key, []), "aliases.json", key)
    for key in ("drop", "add"):
        for entity, aliases in data.get(key, {}).items():
            _str_list(aliases, "aliases.json", f"{key}.{entity}")
    for key in ("common_word_zipf", "english_word_zipf", "cue_window", "group_window", "title_case_acronym_min"):
        if not isinstance(data.get(key), int | float):
            raise _fail("aliases.json", key, "expected a number")
    if not isinstance(data.get("name_family_galaxy"), str):
        raise _fail("aliases.json", "name_family_galaxy", "expected a galaxy file stem")
    return data


def load_sectors() -> dict[str, dict[str, list[str]]]:
    data = read_data("sectors.json").get("sectors")
    if not isinstance(data, dict):
        raise _fail("sectors.json", "sectors", "expected an object: sector -> language -> cue words")
    for sector, langs in data.items():
        for lang, cues in langs.items():
            _str_list(cues, "sectors.json", f"{sector}.{lang}")
    return data
