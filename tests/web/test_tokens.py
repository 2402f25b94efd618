"""API tokens: made by the CLI, stored hashed, checked by role."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner

from cyberops.cli.main import app
from cyberops.store import RecordStore
from cyberops.web.tokens import api_tokens, check_token, create_token


def test_tokens_are_stored_hashed_and_carry_their_role(web_store: RecordStore) -> None:
    token = create_token(web_store.engine, "reader", "alice")
    with web_store.engine.connect() as conn:
        stored = conn.execute(sa.select(api_tokens.c.token_hash, api_tokens.c.role)).all()
    assert [role for _, role in stored] == ["reader"]
    assert token not in stored[0].token_hash
    info = check_token(web_store.engine, token)
    assert info is not None and info.allows("reader") and not info.allows("analyst")
    assert check_token(web_store.engine, token + "x") is None
    assert check_token(web_store.engine, "") is None


def test_token_create_command_prints_a_working_token(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(app, ["token", "create", "--role", "analyst", "--db", url])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    with RecordStore.open(url) as store:
        info = check_token(store.engine, token)
    assert info is not None and info.allows("analyst")
    refused = CliRunner().invoke(app, ["token", "create", "--role", "admin", "--db", url])
    assert refused.exit_code == 2
