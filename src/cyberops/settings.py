"""One typed settings object, built where the program starts.

Defaults live here and nowhere else; the CLI and the web app override them
from flags and environment variables (``CYBEROPS_*``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs


def _default_cache_dir() -> Path:
    return Path(os.environ.get("CYBEROPS_CACHE_DIR") or platformdirs.user_cache_dir("cyberops"))


@dataclass(frozen=True)
class Settings:
    # Fetching: untrusted URLs get hard caps on size, time and redirects.
    allow_private: bool = False
    fetch_timeout: float = 20.0
    max_redirects: int = 5
    max_bytes: int = 20 * 1024 * 1024
    user_agent: str = "cyberops/0.1 (+https://github.com/cyberops)"
    # Where the compiled knowledge base is cached between runs.
    cache_dir: Path = field(default_factory=_default_cache_dir)
    # spaCy batch size for the sentences that reach the parser.
    batch_size: int = 64

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]
