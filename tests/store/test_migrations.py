"""Migrations on both backends: an empty database upgrades, and the migrations describe exactly the schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cyberops.store import RecordStore, StoreError, create_engine, current_revision, head_revision, upgrade
from cyberops.store.migrate import alembic_config
from cyberops.store.schema import include_name, metadata


def test_an_empty_database_upgrades_to_the_newest_schema(empty_db_url: str):
    engine = create_engine(empty_db_url)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) == head_revision()
        tables = set(sa.inspect(engine).get_table_names())
        assert {t.name for t in metadata.sorted_tables} <= tables
        assert upgrade(engine) == head_revision()  # a second run has nothing to do
    finally:
        engine.dispose()


def test_the_migrations_match_the_schema_exactly(empty_db_url: str):
    engine = create_engine(empty_db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"target_metadata": metadata, "include_name": include_name, "compare_type": True}
            )
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_a_fresh_database_is_set_up_on_first_use(empty_db_url: str):
    with RecordStore.open(empty_db_url) as store:
        assert store.count() == 0
        assert current_revision(store.engine) == head_revision()


def test_downgrade_removes_everything_and_upgrade_restores_it(empty_db_url: str):
    engine = create_engine(empty_db_url)
    try:
        upgrade(engine)
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        assert upgrade(engine) == head_revision()
    finally:
        engine.dispose()


def test_a_schema_from_a_newer_cyberops_is_refused(empty_db_url: str):
    engine = create_engine(empty_db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
        with pytest.raises(StoreError, match="newer"):
            RecordStore(engine)
    finally:
        engine.dispose()


def test_tables_without_migration_history_are_not_touched(empty_db_url: str):
    engine = create_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE documents (x INTEGER)"))
        with pytest.raises(StoreError, match="no migration history"):
            RecordStore(engine)
    finally:
        engine.dispose()


def test_an_unreachable_server_is_a_clear_error():
    with pytest.raises(StoreError, match="cannot open"):
        RecordStore.open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


@pytest.mark.parametrize("url", ["mysql://localhost/x", "not a url"])
def test_an_unsupported_url_says_what_to_use(url: str):
    with pytest.raises(StoreError, match="sqlite:///"):
        create_engine(url)


def test_sqlite_runs_in_wal_mode(tmp_path):
    with RecordStore.open(f"sqlite:///{tmp_path / 'wal.db'}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_web_token_table_is_described_with_the_store_schema():
    from cyberops.web.tokens import api_tokens

    assert metadata.tables["api_tokens"] is api_tokens


def test_upgrading_from_0002_keeps_feed_states_and_signs_older_documents_on_correlate(empty_db_url: str):
    from store_builders import denial_record

    from cyberops.pipeline import rebuild_dossiers

    engine = create_engine(empty_db_url)
    try:
        assert upgrade(engine, "0002") == "0002"
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO feeds (url, etag) VALUES ('https://wire.example/rss', '\"v1\"')"))
        assert upgrade(engine) == head_revision()
        store = RecordStore(engine)
        assert store.feed_state("https://wire.example/rss").etag == '"v1"'
        assert store.feed_state("https://wire.example/rss").seen == ()
        store.save(denial_record())
        with engine.begin() as conn:  # as if stored before 0003: no signature
            conn.execute(sa.text("DELETE FROM document_signatures"))
        assert rebuild_dossiers(store).documents == 1
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM document_signatures")).scalar_one() == 1
        assert len(store.list_dossiers()) == 1
    finally:
        engine.dispose()
