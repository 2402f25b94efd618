"""Compile the knowledge base once into one pickle in the cache directory."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from importlib import metadata
from pathlib import Path

from cyberops.errors import KnowledgeBaseError
from cyberops.kb.curated import DATA_FILES, data_dir
from cyberops.kb.galaxies import GALAXIES, galaxy_dir
from cyberops.kb.overlay import overlay_clusters, read_overlay
from cyberops.settings import Settings

# Packages whose data or behaviour shape the artifact: a new version means a new build.
_PACKAGES = ("pymispgalaxies", "pyahocorasick", "wordfreq", "spacy", "pycountry")


def artifact_path(settings: Settings) -> Path:
    """Where the artifact for the current inputs lives; the name changes when any input does."""
    digest = hashlib.sha256()
    for name in DATA_FILES:
        digest.update((data_dir() / name).read_bytes())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    for stem in GALAXIES:
        stat = (galaxy_dir() / f"{stem}.json").stat()
        digest.update(f"{stem}:{stat.st_size}".encode())
    for package in _PACKAGES:
        digest.update(f"{package}=={metadata.version(package)}".encode())
    overlay = Path(settings.kb_overlay)
    if overlay.exists():  # imported entities: a changed overlay is a new artifact
        digest.update(b"overlay:" + overlay.read_bytes())
    return Path(settings.cache_dir) / f"kb-{digest.hexdigest()[:16]}.pickle"


def build_kb(settings: Settings) -> Path:
    """Compile the KB and write it atomically (temp file + rename); returns the artifact path."""
    from cyberops.kb.compile import compile_kb  # heavy imports (wordfreq, spaCy) only when building

    path = artifact_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KnowledgeBaseError(
            f"cannot create the cache directory {path.parent}: {exc}; set CYBEROPS_CACHE_DIR to a writable folder"
        ) from exc
    tables = compile_kb(overlay_clusters(read_overlay(Path(settings.kb_overlay))))
    fd, tmp = tempfile.mkstemp(prefix=".kb-", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as out:
            pickle.dump(tables, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # concurrent builders each write whole files; the last rename wins
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
