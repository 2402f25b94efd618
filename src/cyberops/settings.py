"""One typed settings object, built where the program starts.

Defaults live here and nowhere else; the CLI and the web app override them
from flags and environment variables (``CYBEROPS_*``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs


def _default_cache_dir() -> Path:
    return Path(os.environ.get("CYBEROPS_CACHE_DIR") or platformdirs.user_cache_dir("cyberops"))


def _default_kb_overlay() -> Path:
    data_dir = os.environ.get("CYBEROPS_DATA_DIR") or platformdirs.user_data_dir("cyberops")
    return Path(os.environ.get("CYBEROPS_KB_OVERLAY") or Path(data_dir) / "kb-overlay.json")


def _default_database_url() -> str:
    # The embedded default: a SQLite file in the user's data directory, no set-up.
    path = Path(platformdirs.user_data_dir("cyberops")) / "cyberops.db"
    return os.environ.get("CYBEROPS_DB") or f"sqlite:///{path}"


@dataclass(frozen=True)
class Settings:
    # Fetching: untrusted URLs get hard caps on size, time and redirects.
    allow_private: bool = False
    fetch_timeout: float = 20.0
    max_redirects: int = 5
    max_bytes: int = 20 * 1024 * 1024
    user_agent: str = "cyberops/0.1 (+https://github.com/cyberops)"
    # Politeness: seconds between two requests to the same host, and retries of transient failures
    # (connect errors, 5xx, 429) after fetch_backoff * 2**attempt seconds, or the server's Retry-After
    # when it asks for no more than max_retry_after.
    host_delay: float = 1.0
    fetch_retries: int = 3
    fetch_backoff: float = 1.0
    max_retry_after: float = 120.0
    # Where the compiled knowledge base is cached between runs.
    cache_dir: Path = field(default_factory=_default_cache_dir)
    # Entities imported from STIX bundles (cyberops import stix), merged into the KB when it is built.
    kb_overlay: Path = field(default_factory=_default_kb_overlay)
    # spaCy batch size for the sentences that reach the parser.
    batch_size: int = 64
    # The store: sqlite:///path.db or postgresql://user@host/db (env CYBEROPS_DB).
    database_url: str = field(default_factory=_default_database_url)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
