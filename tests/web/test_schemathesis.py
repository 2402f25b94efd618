"""Property-based checks of the REST API against its own OpenAPI description: no request, however odd, gets a 500.

schemathesis reads ``/openapi.json`` from the app in-process (no server, no network) and sends requests
generated from it to every operation (valid ones, and ones the description forbids), on a SQLite file and on PostgreSQL (whose text columns refuse NUL
characters, a classic source of 500s), with an analyst token so the write endpoints are reached too.
The example count is small and derandomized: the same requests on every run, a modest cost in CI.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples

from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings
from cyberops.store import RecordStore
from cyberops.web import WebSettings, create_app
from cyberops.web.tokens import create_token

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = 12


def test_no_request_gets_a_server_error(
    web_db_url: str, web_store: RecordStore, dossier_ids: list[str], settings: Settings, analyzer: Analyzer
) -> None:
    app = create_app(settings, WebSettings(), store=web_store, analyzer=analyzer)
    headers = {"Authorization": f"Bearer {create_token(web_store.engine, 'analyst', 'schemathesis')}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # schemathesis' own pytest plugin does not run under this pytest; hypothesis drives each operation instead.
    errors: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the OpenAPI description lists the API's operations"
    modes = [schemathesis.GenerationMode.POSITIVE]
    if web_db_url.startswith("sqlite"):
        # Forbidden requests are refused before any query runs, so one backend is enough for them (they are slow
        # to generate: path parameters past their length limit).
        modes.append(schemathesis.GenerationMode.NEGATIVE)
    for operation, mode in itertools.product(operations, modes):

        @given(case=operation.as_strategy(generation_mode=mode))
        @examples(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} {case.query or ''} -> {response.status_code}: {response.text[:300]}"
            )

        try:
            no_server_error()
        except AssertionError as exc:
            errors.append(str(exc).splitlines()[0])
    assert errors == []
