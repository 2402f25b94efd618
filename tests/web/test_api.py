"""The REST API through the ASGI app, on SQLite and PostgreSQL: shapes, filters, pagination, tokens, errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cyberops.web import WebSettings


def test_search_finds_by_alias_free_text_and_filters_with_chips_and_facets(client: TestClient) -> None:
    found = client.get("/api/search", params={"q": "Equation Group"}).json()
    assert [hit["id"] for hit in found["hits"]] == ["web-beijing"]
    chips = {chip["text"] for chip in found["hits"][0]["claims"]}
    assert {"CN denies", "CN accuses in return US", "unattributed attributes to CN"} <= chips

    denials = client.get("/api/search", params={"kind": "denial", "state": "RU"}).json()
    assert {hit["id"] for hit in denials["hits"]} == {"web-washington", "web-paris"}
    assert denials["facets"]["language"] == {"en": 1, "fr": 1}
    assert denials["facets"]["actor"] == {"APT28": 2}

    french = client.get("/api/search", params={"lang": "fr"}).json()
    assert [hit["id"] for hit in french["hits"]] == ["web-paris"]


def test_search_paginates_newest_first(client: TestClient) -> None:
    first = client.get("/api/documents", params={"limit": 2}).json()
    second = client.get("/api/documents", params={"limit": 2, "offset": 2}).json()
    assert first["total"] == second["total"] == 4
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == ["web-hostile", "web-paris", "web-washington", "web-beijing"]


def test_record_is_the_record_md_shape(client: TestClient) -> None:
    record = client.get("/api/records/web-beijing").json()
    assert set(record) >= {"id", "url", "title", "language", "published", "relevant", "text", "entities", "incidents",
                           "claims"}  # fmt: skip
    denial = next(c for c in record["claims"] if c["kind"] == "denial")
    assert denial["speaker"] == {"name": "Hua Chunying", "role": "foreign ministry spokeswoman", "entity": "e1"}
    start, end = denial["evidence"][0]["start"], denial["evidence"][0]["end"]
    assert record["text"][start:end].startswith("Foreign ministry spokeswoman Hua Chunying rejected")

    document = client.get("/api/documents/web-beijing").json()
    assert document["record"] == record
    assert document["document"]["has_raw"] is True
    assert document["dossiers"], "the article belongs to a dossier"


def test_claim_detail_has_sentence_and_cues(client: TestClient) -> None:
    detail = client.get("/api/records/web-beijing/claims/c2").json()
    assert detail["label"] == "CN denies"
    assert detail["sentences"] == ["Foreign ministry spokeswoman Hua Chunying rejected the accusations as groundless."]
    assert detail["cues"] == ["rejected the accusations"]
    assert detail["incident_record"]["victim_states"] == ["NO"]


def test_claims_incidents_and_entities_filter(client: TestClient) -> None:
    claims = client.get("/api/claims", params={"speaker_state": "US", "kind": "response"}).json()
    assert [(c["document"]["id"], c["measure"]) for c in claims["items"]] == [("web-washington", "sanction")]

    dated = client.get("/api/claims", params={"kind": "denial", "since": "2021-06-11"}).json()
    assert [c["document"]["id"] for c in dated["items"]] == ["web-paris"]

    incidents = client.get("/api/incidents", params={"state": "NO"}).json()
    assert [i["document"]["id"] for i in incidents["items"]] == ["web-beijing"]
    assert incidents["items"][0]["types"] == ["espionage"]
    sabotage = client.get("/api/incidents", params={"type": "sabotage", "state": "RU"}).json()
    assert sabotage["total"] == 2

    by_alias = client.get("/api/entities", params={"name": "fancy bear"}).json()
    assert [(e["name"], e["kb"], e["documents"]) for e in by_alias["items"]] == [("APT28", {"mitre": "G0007"}, 2)]


def test_actor_and_state_views(client: TestClient) -> None:
    actor = client.get("/api/entities/Sofacy").json()
    assert actor["name"] == "APT28"
    assert actor["accusers"] == {"US": 2}
    assert actor["reactions"]["denial"] == {"RU": 2}

    russia = client.get("/api/states/ru").json()
    assert russia["accused_by"] == {"US": 2}
    assert russia["answers"] == {"denial": 2}
    assert russia["responses_against"] == {"US": 1}
    assert [a["name"] for a in russia["actors"]] == ["APT28"]
    assert client.get("/api/states/us").json()["victim_of"] == {"sabotage": 2}


def test_matrix_counts_accusations_and_denials_on_the_diagonal(client: TestClient) -> None:
    matrix = client.get("/api/matrix").json()
    assert matrix["cells"] == {"US": {"RU": 2}, "CN": {"US": 1}}
    assert matrix["denials"] == {"CN": 1, "RU": 2}
    assert set(matrix["states"]) == {"US", "RU", "CN"}
    assert matrix["per_month"]["denial"] == {"2019-02": 1, "2021-06": 2}

    before_2020 = client.get("/api/matrix", params={"until": "2019-12-31"}).json()
    assert before_2020["cells"] == {"CN": {"US": 1}}


def test_dossiers_list_read_and_group_articles_across_languages(client: TestClient, dossier_ids: list[str]) -> None:
    listed = client.get("/api/dossiers").json()
    assert listed["total"] == len(dossier_ids)
    read = [client.get(f"/api/dossiers/{dossier_id}").json() for dossier_id in dossier_ids]
    [pipeline] = [d for d in read if "web-paris" in {doc["id"] for doc in d["documents"]}]
    assert {d["id"] for d in pipeline["documents"]} == {"web-washington", "web-paris"}
    assert pipeline["languages"] == {"en": 1, "fr": 1}
    kinds = [event["kind"] for event in pipeline["timeline"]]
    assert kinds.index("report") < kinds.index("attribution") < kinds.index("denial")
    assert "members" not in pipeline


def test_editing_a_dossier_title_needs_an_analyst_token(
    client: TestClient, dossier_ids: list[str], analyst_token: str, reader_token: str
) -> None:
    path = f"/api/dossiers/{dossier_ids[0]}"
    refused = client.patch(path, json={"title": "Nordsoft breach"})
    assert refused.status_code == 401 and "token" in refused.json()["message"]
    reader = client.patch(path, json={"title": "Nordsoft breach"}, headers={"Authorization": f"Bearer {reader_token}"})
    assert reader.status_code == 403
    wrong = client.patch(path, json={"title": "Nordsoft breach"}, headers={"Authorization": "Bearer cyo_guessed"})
    assert wrong.status_code == 401

    done = client.patch(
        path, json={"title": "  Nordsoft   breach "}, headers={"Authorization": f"Bearer {analyst_token}"}
    )
    assert done.status_code == 200 and done.json()["title"] == "Nordsoft breach"
    assert client.get(path).json()["title"] == "Nordsoft breach"
    missing = client.patch(
        "/api/dossiers/dos-none", json={"title": "x"}, headers={"Authorization": f"Bearer {analyst_token}"}
    )
    assert missing.status_code == 404


def test_reads_can_be_protected_by_a_token(make_client, dossier_ids: list[str], reader_token: str) -> None:
    client = make_client(WebSettings(reads_need_token=True))
    assert client.get("/api/search").status_code == 401
    assert client.get("/search", headers={"accept": "text/html"}).status_code == 401
    assert client.get("/api/search", headers={"Authorization": f"Bearer {reader_token}"}).status_code == 200
    client.cookies.set("cyberops_token", reader_token)
    assert client.get("/search", headers={"accept": "text/html"}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/search?since=2019-02-30", None),
        ("get", "/api/search?since=yesterday", None),
        ("get", "/api/search?kind=gossip", None),
        ("get", "/api/search?limit=0", None),
        ("get", "/api/search?limit=100000", None),
        ("get", "/api/search?offset=-1", None),
        ("get", "/api/claims?speaker_state=CHINA", None),
        ("get", "/api/states/CHN", None),
        ("get", "/api/records/no-such-document", None),
        ("get", "/api/records/web-beijing/claims/c99", None),
        ("get", "/api/dossiers/dos-none", None),
        ("get", "/api/entities/Nobody%20Group", None),
        ("post", "/api/analyze", "not json"),
        ("post", "/api/analyze", {"text": 12, "save": "perhaps"}),
        ("post", "/api/analyze", {}),
        ("post", "/api/analyze", {"url": "ftp://example.org/a"}),
        ("post", "/api/analyze", {"url": "http://127.0.0.1:9/internal"}),
        ("post", "/api/ingest", {"documents": []}),
        ("patch", "/api/dossiers/x", {"title": ""}),
        ("get", "/api/search?q=%22unbalanced%20OR%20-%20*", None),
    ],
)
def test_malformed_requests_get_a_4xx_json_message(client: TestClient, method: str, path: str, body: object) -> None:
    if isinstance(body, str):
        response = client.request(method, path, content=body, headers={"content-type": "application/json"})
    else:
        response = client.request(method, path, json=body)
    if path.startswith("/api/search?q="):
        assert response.status_code == 200  # odd syntax is searched as words, never an error
        return
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["message"]


def test_analyze_by_url_refuses_private_addresses(client: TestClient) -> None:
    response = client.post("/api/analyze", json={"url": "http://127.0.0.1:9/admin"})
    assert response.status_code == 422
    assert "private" in response.json()["message"] or "loopback" in response.json()["message"]


def test_security_headers_on_api_and_pages(client: TestClient) -> None:
    for path in ("/api/search", "/search", "/static/app.css", "/docs"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_openapi_describes_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/search", "/api/documents", "/api/records/{document_id}", "/api/entities", "/api/incidents",
                 "/api/claims", "/api/dossiers", "/api/dossiers/{dossier_id}", "/api/analyze", "/api/ingest"):  # fmt: skip
        assert path in spec["paths"], path
    assert "/search" not in spec["paths"], "pages are not part of the API description"
    docs = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()


ARTICLE = (
    "Estonia blames Russia for cyberattack on ministries\n\n"
    "Estonia's prime minister said on Monday that Russia was behind a cyberattack on the websites of three "
    "ministries. The Russian embassy in Tallinn rejected the accusation as unfounded."
)


def test_analyze_shows_a_record_and_saves_it_only_with_an_analyst_token(
    make_client, analyzer, analyst_token: str, reader_token: str
) -> None:
    client = make_client(analyzer=analyzer)
    shown = client.post("/api/analyze", json={"text": ARTICLE})
    assert shown.status_code == 200, shown.text
    record = shown.json()["record"]
    assert record["title"].startswith("Estonia blames Russia") and shown.json()["saved"] is None
    assert client.get("/api/documents").json()["total"] == 0, "analysis alone stores nothing"

    assert client.post("/api/analyze", json={"text": ARTICLE, "save": True}).status_code == 401
    as_reader = client.post(
        "/api/analyze", json={"text": ARTICLE, "save": True}, headers={"Authorization": f"Bearer {reader_token}"}
    )
    assert as_reader.status_code == 403
    saved = client.post(
        "/api/analyze", json={"text": ARTICLE, "save": True}, headers={"Authorization": f"Bearer {analyst_token}"}
    ).json()["saved"]
    assert saved["status"] == "stored"
    assert client.get(f"/api/records/{saved['id']}").json()["text"] == record["text"]

    again = client.post(
        "/api/ingest",
        json={"documents": [{"text": ARTICLE}, {"url": "http://10.0.0.1/x"}]},
        headers={"Authorization": f"Bearer {analyst_token}"},
    ).json()
    # Counts of what ingest did with each document (ingest may report more, such as dossiers updated).
    assert {k: again[k] for k in ("stored", "skipped", "duplicates", "failed")} == {
        "stored": 0,
        "skipped": 1,
        "duplicates": 0,
        "failed": 1,
    }
