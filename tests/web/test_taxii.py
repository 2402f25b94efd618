"""The TAXII 2.1 API under /taxii2/: details through the ASGI app, the whole walk with taxii2-client over uvicorn.

Every test stores its own small records in a real store (a SQLite file; the
PostgreSQL server too where marked) and reads them back as STIX over TAXII.
Documents from the outlet "Partner CERT" are TLP:AMBER and those from
"Community List" TLP:GREEN, by the same environment variables an operator sets.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from stix2validator import ValidationOptions, validate_string
from taxii2client.exceptions import AccessError
from taxii2client.v21 import Server, as_pages

from cyberops.export.stix import tlp_marking
from cyberops.record import Claim, Entity, Incident, Record, Span, Speaker
from cyberops.settings import Settings
from cyberops.store import RecordStore
from cyberops.web.app import create_app
from cyberops.web.config import WebSettings
from cyberops.web.taxii import accepts_taxii
from cyberops.web.tokens import create_token

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/cyberops/"
AMBER_OUTLET = "Partner CERT"
GREEN_OUTLET = "Community List"


# -- example records -----------------------------------------------------------------------


def make_record(record_id: str, outlet: str = "Harbour Gazette", actor: str = "APT28", title: str = "") -> Record:
    """A short article of our own: a state blamed for an intrusion, and its denial."""
    text = (
        f"Investigators said the group {actor} broke into the port authority's mail servers. "
        f"Moscow denied any involvement in the intrusion (dispatch {record_id})."
    )
    actor_at = text.index(actor)
    first = Span(0, text.index(".") + 1)
    second = Span(first.end + 1, len(text))
    return Record(
        id=record_id,
        text=text,
        url=f"https://harbour.example/{record_id}",
        title=title or f"Port authority breached ({record_id})",
        language="en",
        published="2024-03-02",
        relevant=True,
        outlet=outlet,
        entities=[Entity("e1", actor, "threat_actor", "RU", mentions=[Span(actor_at, actor_at + len(actor))])],
        incidents=[
            Incident("i1", "reported", ["espionage"], ["NO"], [], ["RU"], [actor], evidence=[first]),
        ],
        claims=[
            Claim("c1", "denial", Speaker(name=None), "RU", "RU", incident="i1", evidence=[second]),
        ],
    )


# -- the store, the app, the server --------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    with RecordStore.open(f"sqlite:///{tmp_path / 'taxii.db'}") as opened:
        yield opened


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    """The same tests on a SQLite file and on a fresh database of the web tests' PostgreSQL server (conftest):
    the two hand times back differently (naive on SQLite)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'taxii.db'}"
    else:
        url = request.getfixturevalue("web_postgres").create_database()
    with RecordStore.open(url) as opened:
        yield opened


@pytest.fixture(autouse=True)
def tlp_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CYBEROPS_TAXII_TLP_BY_OUTLET", json.dumps({AMBER_OUTLET: "amber", GREEN_OUTLET: "green"}))


def make_app(store: RecordStore, **web: object) -> FastAPI:
    return create_app(Settings(database_url="sqlite://"), WebSettings(**web), store=store)


def fill(store: RecordStore) -> None:
    store.save(make_record("pub-1"))
    store.save(make_record("pub-2", actor="Sandworm"))
    store.save(make_record("green-1", outlet=GREEN_OUTLET, actor="Turla"))
    store.save(make_record("amber-1", outlet=AMBER_OUTLET, actor="Gamaredon", title="Partner-only: the quiet breach"))


@pytest.fixture
def client(store: RecordStore) -> TestClient:
    fill(store)
    return TestClient(make_app(store), headers={"Accept": TAXII})


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"taxii:{token}".encode()).decode()}


def objects_url(alias: str) -> str:
    return f"{ROOT}collections/{alias}/objects/"


def report_documents(body: dict) -> set[str]:
    return {o["x_cyberops_document_id"] for o in body.get("objects", []) if o["type"] == "report"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(store: RecordStore) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread of this process."""
    fill(store)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


# -- discovery, API root, collections ------------------------------------------------------


def test_discovery_names_the_api_root_in_the_taxii_media_type(client):
    response = client.get("/taxii2/")
    assert response.status_code == 200
    assert response.headers["content-type"] == TAXII
    body = response.json()
    assert body["title"]
    assert body["api_roots"] == ["http://testserver/taxii2/cyberops/"]
    assert body["default"] == body["api_roots"][0]


def test_api_root_speaks_taxii_21_and_takes_no_writes(client):
    body = client.get(ROOT).json()
    assert body["versions"] == [TAXII]
    assert body["max_content_length"] == 0


@pytest.mark.parametrize(
    ("role", "readable"),
    [(None, {"tlp-clear"}), ("reader", {"tlp-clear", "tlp-green"}), ("analyst", None)],
    ids=["anonymous", "reader", "analyst"],
)
def test_collections_are_listed_per_tlp_level_with_can_read_for_the_caller(client, store, role, readable):
    headers = basic(create_token(store.engine, role)) if role else {}
    collections = client.get(f"{ROOT}collections/", headers=headers).json()["collections"]
    assert [c["alias"] for c in collections] == ["tlp-clear", "tlp-green", "tlp-amber", "tlp-amber+strict", "tlp-red"]
    expected = readable or {c["alias"] for c in collections}
    assert {c["alias"] for c in collections if c["can_read"]} == expected
    assert not any(c["can_write"] for c in collections)


def test_a_collection_is_found_by_id_or_alias_and_an_unknown_one_is_a_taxii_404(client):
    listed = client.get(f"{ROOT}collections/").json()["collections"][2]
    by_id = client.get(f"{ROOT}collections/{listed['id']}/").json()
    assert by_id == client.get(f"{ROOT}collections/tlp-amber/").json() == listed
    response = client.get(f"{ROOT}collections/tlp-purple/objects/")
    assert response.status_code == 404
    assert response.headers["content-type"] == TAXII
    assert response.json()["http_status"] == "404"
    assert set(response.json()) == {"title", "http_status", "description"}


# -- TLP and roles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "alias", "status"),
    [
        (None, "tlp-clear", 200),
        (None, "tlp-green", 401),
        (None, "tlp-amber", 401),
        ("reader", "tlp-green", 200),
        ("reader", "tlp-amber", 403),
        ("reader", "tlp-red", 403),
        ("analyst", "tlp-green", 200),
        ("analyst", "tlp-amber", 200),
    ],
)
def test_nothing_above_clear_is_served_without_a_token_of_the_right_role(client, store, role, alias, status):
    headers = basic(create_token(store.engine, role)) if role else {}
    for endpoint in ("objects/", "manifest/"):
        response = client.get(f"{ROOT}collections/{alias}/{endpoint}", headers=headers)
        assert response.status_code == status, (endpoint, response.text)
        assert response.headers["content-type"] == TAXII
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Basic")
        if status != 200:
            assert response.json()["http_status"] == str(status)
            assert "Gamaredon" not in response.text


def test_each_collection_holds_only_its_levels_documents_marked_with_that_level(client, store):
    analyst = basic(create_token(store.engine, "analyst"))
    clear = client.get(objects_url("tlp-clear")).json()
    green = client.get(objects_url("tlp-green"), headers=analyst).json()
    amber = client.get(objects_url("tlp-amber"), headers=analyst).json()
    assert report_documents(clear) == {"pub-1", "pub-2"}
    assert report_documents(green) == {"green-1"}
    assert report_documents(amber) == {"amber-1"}
    # The amber article's actor never reaches the clear collection, not even as a shared object.
    assert "Gamaredon" not in json.dumps(clear)
    for body, level in ((clear, "clear"), (amber, "amber")):
        for obj in body["objects"]:
            if obj["type"] not in ("marking-definition", "extension-definition"):
                assert obj["object_marking_refs"] == [tlp_marking(level).id]


@pytest.mark.parametrize(
    "scheme",
    ["basic-password", "basic-user", "bearer", "token"],
)
def test_tokens_are_taken_as_basic_password_or_user_bearer_or_token(client, store, scheme):
    token = create_token(store.engine, "analyst")
    header = {
        "basic-password": basic(token)["Authorization"],
        "basic-user": "Basic " + base64.b64encode(f"{token}:".encode()).decode(),
        "bearer": f"Bearer {token}",
        "token": f"Token {token}",
    }[scheme]
    response = client.get(objects_url("tlp-amber"), headers={"Authorization": header})
    assert response.status_code == 200
    assert report_documents(response.json()) == {"amber-1"}


@pytest.mark.parametrize("header", ["Bearer cyo_wrong", "Basic bm90LWJhc2U2NA==", "Basic !!!", "Digest abc"])
def test_an_unknown_or_malformed_token_is_refused_not_read_as_anonymous(client, header):
    response = client.get(objects_url("tlp-clear"), headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


def test_when_reads_need_a_token_even_discovery_needs_one(store):
    fill(store)
    client = TestClient(make_app(store, reads_need_token=True), headers={"Accept": TAXII})
    assert client.get("/taxii2/").status_code == 401
    assert client.get(objects_url("tlp-clear")).status_code == 401
    reader = basic(create_token(store.engine, "reader"))
    assert client.get("/taxii2/", headers=reader).status_code == 200
    assert report_documents(client.get(objects_url("tlp-clear"), headers=reader).json()) == {"pub-1", "pub-2"}


# -- objects, paging, filters --------------------------------------------------------------


def test_objects_page_with_limit_and_next_and_date_added_headers(any_store):
    fill(any_store)
    client = TestClient(make_app(any_store), headers={"Accept": TAXII})
    everything = client.get(objects_url("tlp-clear")).json()
    assert everything["more"] is False and "next" not in everything
    seen, params, headers_seen = [], {"limit": "4"}, []
    while True:
        response = client.get(objects_url("tlp-clear"), params=params)
        body = response.json()
        assert len(body["objects"]) <= 4
        seen += body["objects"]
        headers_seen.append((response.headers["x-taxii-date-added-first"], response.headers["x-taxii-date-added-last"]))
        if not body["more"]:
            break
        params = {"limit": "4", "next": body["next"]}
    assert [o["id"] for o in seen] == [o["id"] for o in everything["objects"]]
    assert len({o["id"] for o in seen}) == len(seen)
    flat = [t for pair in headers_seen for t in pair]
    assert flat == sorted(flat)


def test_added_after_the_last_date_added_returns_only_what_came_later(any_store):
    fill(any_store)
    client = TestClient(make_app(any_store), headers={"Accept": TAXII})
    first = client.get(objects_url("tlp-clear"))
    last = first.headers["x-taxii-date-added-last"]
    assert client.get(objects_url("tlp-clear"), params={"added_after": last}).json() == {"more": False}
    any_store.save(make_record("pub-3", actor="APT28"))
    later = client.get(objects_url("tlp-clear"), params={"added_after": last}).json()
    assert report_documents(later) == {"pub-3"}
    # APT28 appeared in pub-1 already: the newer article brings a new version of it
    apt28 = next(o for o in later["objects"] if o["type"] == "intrusion-set")
    assert apt28["name"] == "APT28" and apt28["modified"] > apt28["created"]


def test_reingested_article_updates_its_objects_in_place(any_store):
    any_store.save(make_record("pub-1"))
    client = TestClient(make_app(any_store), headers={"Accept": TAXII})
    before = {o["id"]: o for o in client.get(objects_url("tlp-clear")).json()["objects"]}
    any_store.save(make_record("pub-1", title="Port authority breached, ministry confirms"), replace=True)
    after = {o["id"]: o for o in client.get(objects_url("tlp-clear")).json()["objects"]}
    assert set(after) == set(before)
    report_id = next(i for i in after if i.startswith("report--"))
    assert after[report_id]["name"] == "Port authority breached, ministry confirms"
    assert after[report_id]["created"] == before[report_id]["created"]
    assert after[report_id]["modified"] > before[report_id]["modified"]
    versions = client.get(f"{objects_url('tlp-clear')}{report_id}/versions/").json()
    assert versions == {"more": False, "versions": [after[report_id]["modified"]]}


def test_match_type_id_and_version_filter_objects(client):
    url = objects_url("tlp-clear")
    reports = client.get(url, params={"match[type]": "report"}).json()["objects"]
    assert {o["type"] for o in reports} == {"report"} and len(reports) == 2
    two = client.get(url, params={"match[type]": "opinion,intrusion-set"}).json()["objects"]
    assert {o["type"] for o in two} == {"opinion", "intrusion-set"}
    one = client.get(url, params={"match[id]": reports[0]["id"]}).json()["objects"]
    assert [o["id"] for o in one] == [reports[0]["id"]]
    exact = {"match[id]": reports[0]["id"], "match[version]": reports[0]["modified"]}
    assert client.get(url, params=exact).json()["objects"] == one
    stale = {"match[id]": reports[0]["id"], "match[version]": "2001-01-01T00:00:00.000Z"}
    assert client.get(url, params=stale).json() == {"more": False}


def test_an_object_by_id_its_versions_and_a_missing_one(client):
    url = objects_url("tlp-clear")
    report = client.get(url, params={"match[type]": "report"}).json()["objects"][0]
    response = client.get(f"{url}{report['id']}/")
    assert response.status_code == 200
    assert response.json()["objects"] == [report]
    assert response.headers["x-taxii-date-added-first"] == response.headers["x-taxii-date-added-last"]
    assert client.get(f"{url}{report['id']}/versions/").json()["versions"] == [report["modified"]]
    for missing in (f"{url}report--00000000-0000-5000-8000-000000000000/", f"{url}not-an-id/versions/"):
        response = client.get(missing)
        assert response.status_code == 404
        assert response.json()["title"] == "Object not found"


def test_an_amber_object_is_not_found_in_the_clear_collection(client, store):
    analyst = basic(create_token(store.engine, "analyst"))
    amber = client.get(objects_url("tlp-amber"), params={"match[type]": "report"}, headers=analyst).json()
    report_id = amber["objects"][0]["id"]
    assert client.get(f"{objects_url('tlp-clear')}{report_id}/").status_code == 404
    assert client.get(f"{objects_url('tlp-amber')}{report_id}/").status_code == 401


def test_manifest_lists_id_date_added_version_and_media_type(client):
    objects = client.get(objects_url("tlp-clear")).json()["objects"]
    response = client.get(f"{ROOT}collections/tlp-clear/manifest/", params={"limit": "3"})
    manifest = response.json()
    assert manifest["more"] is True
    assert [m["id"] for m in manifest["objects"]] == [o["id"] for o in objects[:3]]
    for entry, obj in zip(manifest["objects"], objects, strict=False):
        assert entry["version"] == obj.get("modified", obj.get("created"))
        assert entry["media_type"] == "application/stix+json;version=2.1"
    assert manifest["objects"][0]["date_added"] == response.headers["x-taxii-date-added-first"]


def test_a_collection_is_a_valid_stix_bundle(client):
    objects = client.get(objects_url("tlp-clear")).json()["objects"]
    bundle = {"type": "bundle", "id": "bundle--6f3a0c1e-2b7d-4e8a-9c51-0d2e4f6a8b1c", "objects": objects}
    result = validate_string(json.dumps(bundle), ValidationOptions(version="2.1", silent=True))
    assert result.is_valid, [str(e) for r in result.object_results for e in r.errors]


# -- media types and errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "ok"),
    [
        (TAXII, True),
        ("application/taxii+json", True),
        ("application/taxii+json; version=2.1", True),
        ("*/*", True),
        ("text/html,application/xhtml+xml,*/*;q=0.8", True),
        (None, True),
        ("application/json", False),
        ("application/taxii+json;version=2.0", False),
        ("application/vnd.oasis.taxii+json; version=2.0", False),
        ("text/html", False),
        ("application/taxii+json;version=2.1;q=0", False),
    ],
)
def test_accept_is_negotiated_and_unsupported_types_get_406(store, accept, ok):
    client = TestClient(make_app(store))
    headers = {"Accept": accept} if accept is not None else {}
    assert accepts_taxii(accept) is ok
    response = client.get(objects_url("tlp-clear"), headers=headers)
    assert response.status_code == (200 if ok else 406)
    assert response.headers["content-type"] == TAXII
    if not ok:
        assert response.json()["title"] == "Not Acceptable"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "many"},
        {"added_after": "last tuesday"},
        {"next": "bogus"},
        {"match[version]": "newest"},
    ],
)
def test_bad_parameters_get_400_taxii_errors(client, params):
    response = client.get(objects_url("tlp-clear"), params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == TAXII
    body = response.json()
    assert body["http_status"] == "400" and body["title"] and body["description"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_the_api_is_read_only(client, method):
    response = client.request(method, objects_url("tlp-clear"), json={"objects": []})
    assert response.status_code == 405
    assert response.json()["http_status"] == "405"


def test_unknown_paths_and_status_are_taxii_404s(client):
    for path in ("/taxii2/other-root/", f"{ROOT}status/abc/", f"{ROOT}collections/tlp-clear/nothing/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == TAXII
    # TAXII URLs end with a slash; a hand-typed one without is led there, query and all.
    response = client.get(f"{ROOT}collections/tlp-clear/objects", params={"limit": "2"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/taxii2/cyberops/collections/tlp-clear/objects/?limit=2")


# -- the real client against the served app -----------------------------------------------


def test_taxii2_client_walks_discovery_root_collections_objects_and_manifest(served, store):
    server = Server(f"{served}/taxii2/")
    assert server.title == "cyberops TAXII 2.1"
    root = server.default
    assert root.versions == [TAXII]
    clear = next(c for c in root.collections if c.alias == "tlp-clear")
    assert clear.can_read and not clear.can_write

    pages = list(as_pages(clear.get_objects, per_request=5))
    assert len(pages) > 2
    pulled = [o for page in pages for o in page.get("objects", [])]
    assert len({o["id"] for o in pulled}) == len(pulled)
    assert {o["x_cyberops_document_id"] for o in pulled if o["type"] == "report"} == {"pub-1", "pub-2"}

    manifest = [m for page in as_pages(clear.get_manifest, per_request=5) for m in page.get("objects", [])]
    assert [m["id"] for m in manifest] == [o["id"] for o in pulled]

    newest = max(m["date_added"] for m in manifest)
    assert clear.get_objects(added_after=newest) == {"more": False}
    store.save(make_record("pub-3", actor="Sandworm"))
    fresh = clear.get_objects(added_after=newest)
    assert {o["x_cyberops_document_id"] for o in fresh["objects"] if o["type"] == "report"} == {"pub-3"}


@pytest.mark.parametrize("role", [None, "reader"])
def test_taxii2_client_without_an_analyst_token_gets_no_amber_objects(served, store, role):
    credentials = {"user": "taxii", "password": create_token(store.engine, role)} if role else {}
    root = Server(f"{served}/taxii2/", **credentials).default
    amber = next(c for c in root.collections if c.alias == "tlp-amber")
    assert amber.can_read is False
    with pytest.raises(AccessError):
        amber.get_objects()
    # The client checks can_read itself; the server refuses as well when asked directly.
    auth = ("taxii", credentials["password"]) if role else None
    response = requests.get(amber.objects_url, headers={"Accept": TAXII}, auth=auth, timeout=30)
    assert response.status_code == (403 if role else 401)
    assert "Gamaredon" not in response.text


def test_taxii2_client_with_an_analyst_token_pulls_amber(served, store):
    root = Server(f"{served}/taxii2/", user="taxii", password=create_token(store.engine, "analyst")).default
    amber = next(c for c in root.collections if c.alias == "tlp-amber")
    objects = [o for page in as_pages(amber.get_objects, per_request=3) for o in page.get("objects", [])]
    reports = [o for o in objects if o["type"] == "report"]
    assert [r["name"] for r in reports] == ["Partner-only: the quiet breach"]
    assert all(tlp_marking("amber").id in o.get("object_marking_refs", [tlp_marking("amber").id]) for o in objects)
