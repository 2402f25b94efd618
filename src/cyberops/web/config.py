"""The web app's own settings, beside the core :class:`cyberops.settings.Settings` it also takes."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class WebSettings:
    # Reads (pages and GET endpoints) open to anyone who reaches the server, or only with a reader token.
    reads_need_token: bool = False
    page_size: int = 20
    max_page_size: int = 100
    # Pasted text above this many characters is refused: an article, not a book.
    max_analyze_chars: int = 200_000
    # Documents one ingest request may carry.
    max_ingest_documents: int = 100

    @classmethod
    def from_env(cls, **overrides: object) -> WebSettings:
        """Defaults, then ``CYBEROPS_WEB_READS_NEED_TOKEN``, then explicit overrides that are not None."""
        values: dict[str, object] = {"reads_need_token": _flag("CYBEROPS_WEB_READS_NEED_TOKEN")}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
