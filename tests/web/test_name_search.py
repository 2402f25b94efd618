"""A search for a name the store knows finds the articles mentioning that entity under any of its names."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("EQGRP", ["web-beijing"], id="an-alias-the-text-never-uses"),
        pytest.param('"tilded team"', ["web-beijing"], id="a-quoted-alias-in-another-case"),
        pytest.param("EQGRP -nothing", [], id="operators-mean-full-text"),
        pytest.param("Tilded", [], id="part-of-a-name-is-full-text"),
    ],
)
def test_search_by_entity_name(client, query: str, expected: list[str]) -> None:
    found = client.get("/api/search", params={"q": query}).json()
    assert [hit["id"] for hit in found["hits"]] == expected
    page = client.get("/search", params={"q": query})
    assert page.status_code == 200
    assert ("/articles/web-beijing" in page.text) == bool(expected)
