"""The knowledge base: link mentions in article text to canonical entities and to states.

``load_kb()`` returns a :class:`KnowledgeBase`, compiling the MISP galaxies and the curated
files in ``data/`` on first use into one cached artifact (see ``build.py``).
"""

from __future__ import annotations

import pickle

from cyberops.errors import KnowledgeBaseError
from cyberops.kb.build import artifact_path, build_kb
from cyberops.kb.knowledge_base import KnowledgeBase
from cyberops.kb.model import KBEntry, KBMatch, StateTerm
from cyberops.settings import Settings

__all__ = ["KBEntry", "KBMatch", "KnowledgeBase", "StateTerm", "build_kb", "load_kb"]


def load_kb(settings: Settings | None = None) -> KnowledgeBase:
    """Load the compiled KB from ``settings.cache_dir``, building it first if it is missing."""
    settings = settings or Settings()
    path = artifact_path(settings)
    if not path.exists():
        path = build_kb(settings)
    try:
        with path.open("rb") as artifact:
            tables = pickle.load(artifact)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
        raise KnowledgeBaseError(
            f"cannot load the KB artifact {path}: {exc}; delete it and it will be rebuilt"
        ) from exc
    return KnowledgeBase(tables)
