"""Alembic migrations shipped in the package: upgrade, current revision, and the first-use check.

A fresh database is upgraded on first use so that the embedded default needs
no set-up; a database that is behind or ahead of this cyberops is refused with
a message that says what to run, because migrating a shared server silently
is not ours to decide.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cyberops.store.engine import StoreError, create_engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "cyberops.store:migrations")
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except sa.exc.OperationalError as exc:
        raise StoreError(f"cannot open the database {engine.url!r}: {exc.orig}") from exc


def upgrade_database(url: str) -> tuple[str | None, str | None]:
    """Migrate the database at ``url`` to the newest schema; the revisions before and after."""
    engine = create_engine(url)
    try:
        before = current_revision(engine)
        return before, upgrade(engine)
    finally:
        engine.dispose()


def upgrade(engine: sa.Engine, revision: str = "head") -> str | None:
    """Run the migrations up to ``revision``; return the revision the database is at afterwards."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return current_revision(engine)


def ensure_schema(engine: sa.Engine) -> None:
    """Upgrade a fresh database; refuse one whose schema this version does not know."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        with engine.connect() as connection:
            if sa.inspect(connection).has_table("documents"):
                raise StoreError(f"{engine.url!r} has tables but no migration history; point --db at an empty database")
        upgrade(engine)
        return
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current in known:
        raise StoreError(f"the database schema is at {current}, older than {head}; run `cyberops db upgrade`")
    raise StoreError(f"the database schema {current} is newer than this cyberops knows; upgrade cyberops")
