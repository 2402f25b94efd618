"""TAXII 2.1 collections over the store: one collection per TLP level, paged listings of its STIX objects.

The logic the ``/taxii2/`` routes call, kept free of HTTP: which TLP level a
stored document has (:class:`TlpPolicy`), who may read which collection
(:func:`can_read`), the STIX objects of a collection with their TAXII
``date_added`` and version (:func:`build_indexes`), and the filters,
``next`` cursors and envelopes of the objects, manifest and versions
endpoints. :class:`CollectionCache` is the only part that reads the store.
Rules and choices are stated in ``docs/taxii.md``.

Objects come from :func:`cyberops.export.stix.to_stix_bundle`, so their ids
are deterministic: an article analyzed again (stored with ``replace``) gives
the same ids with a later ``modified``, i.e. a new version of each object.
The store keeps only a document's latest analysis, so a collection holds
one version per object: its newest.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from cyberops.errors import CyberopsError
from cyberops.export.common import TLP_LEVELS, ExportOptions, normalize_tlp
from cyberops.export.ids import stable_uuid
from cyberops.record import Record

MEDIA_TAXII = "application/taxii+json;version=2.1"
MEDIA_STIX = "application/stix+json;version=2.1"
API_ROOT = "cyberops"

# Who may read a level: None is anyone the server lets in; "reader" and "analyst" are the
# roles of cyberops API tokens (an analyst token also holds the reader role). TLP:GREEN is
# for a community, not the public; AMBER and RED are need-to-know, so analysts only.
REQUIRED_ROLE: dict[str, str | None] = {
    "clear": None,
    "green": "reader",
    "amber": "analyst",
    "amber+strict": "analyst",
    "red": "analyst",
}


class TaxiiError(CyberopsError):
    """A TAXII request that cannot be answered; the routes turn it into a TAXII error body."""

    def __init__(self, status: int, title: str, description: str) -> None:
        super().__init__(f"{title}: {description}")
        self.status = status
        self.title = title
        self.description = description

    def body(self) -> dict[str, str]:
        # TAXII 2.1 (section 3.6.1) types http_status as a string.
        return {"title": self.title, "http_status": str(self.status), "description": self.description}


# -- collections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionInfo:
    """One TAXII collection: the documents of one TLP level."""

    level: str

    @property
    def id(self) -> str:
        # Fixed forever: clients keep collection ids in their configuration.
        return stable_uuid("taxii-collection", self.level)

    @property
    def alias(self) -> str:
        return f"tlp-{self.level}"

    @property
    def title(self) -> str:
        return f"TLP:{self.level.upper()}"

    @property
    def required_role(self) -> str | None:
        return REQUIRED_ROLE[self.level]

    def resource(self, readable: bool) -> dict[str, Any]:
        """The TAXII collection resource (section 5.2.1); this server never accepts writes."""
        who = {None: "anyone", "reader": "reader and analyst tokens", "analyst": "analyst tokens"}[self.required_role]
        return {
            "id": self.id,
            "title": self.title,
            "description": f"STIX 2.1 objects of the articles marked {self.title}; readable with {who}.",
            "alias": self.alias,
            "can_read": readable,
            "can_write": False,
            "media_types": [MEDIA_STIX],
        }


COLLECTIONS: tuple[CollectionInfo, ...] = tuple(CollectionInfo(level) for level in TLP_LEVELS)


def find_collection(key: str) -> CollectionInfo | None:
    """The collection with this id or alias (``tlp-amber``), if any."""
    for collection in COLLECTIONS:
        if key in (collection.id, collection.alias):
            return collection
    return None


def can_read(collection: CollectionInfo, grants: Iterable[str]) -> bool:
    """Whether a caller holding the roles ``grants`` (none when anonymous) may read ``collection``."""
    role = collection.required_role
    return role is None or role in set(grants)


# -- TLP of a stored document --------------------------------------------------------------


@dataclass(frozen=True)
class TlpPolicy:
    """The TLP level of a stored document, from where it came; records carry no TLP themselves.

    ``by_source`` maps a prefix of the document's source (the path or URL it was
    ingested from) to a level, ``by_outlet`` an outlet name. When several rules
    match, the most restrictive level wins, so that a rule can never leak a
    document another rule protects; with no matching rule, ``default``.
    """

    default: str = "clear"
    by_outlet: Mapping[str, str] = field(default_factory=dict)
    by_source: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "default", normalize_tlp(self.default))
        object.__setattr__(self, "by_outlet", {k: normalize_tlp(v) for k, v in self.by_outlet.items()})
        object.__setattr__(self, "by_source", {k: normalize_tlp(v) for k, v in self.by_source.items()})

    def level(self, outlet: str | None, source: str | None) -> str:
        matched = [level for prefix, level in self.by_source.items() if source and source.startswith(prefix)]
        if outlet and outlet in self.by_outlet:
            matched.append(self.by_outlet[outlet])
        if not matched:
            return self.default
        return max(matched, key=TLP_LEVELS.index)


@dataclass(frozen=True)
class TaxiiConfig:
    """TAXII server choices: the TLP policy and page sizes."""

    policy: TlpPolicy = field(default_factory=TlpPolicy)
    page_size: int = 100
    max_page_size: int = 1000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TaxiiConfig:
        """Defaults, then ``CYBEROPS_TAXII_DEFAULT_TLP`` and the JSON objects ``CYBEROPS_TAXII_TLP_BY_OUTLET``
        (``{"outlet name": "amber"}``) and ``CYBEROPS_TAXII_TLP_BY_SOURCE`` (``{"/data/partner/": "red"}``)."""
        env = os.environ if environ is None else environ
        policy = TlpPolicy(
            default=env.get("CYBEROPS_TAXII_DEFAULT_TLP") or "clear",
            by_outlet=_json_map(env, "CYBEROPS_TAXII_TLP_BY_OUTLET"),
            by_source=_json_map(env, "CYBEROPS_TAXII_TLP_BY_SOURCE"),
        )
        return cls(policy=policy)


def _json_map(env: Mapping[str, str], name: str) -> dict[str, str]:
    text = env.get(name, "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CyberopsError(f'{name} is not JSON ({exc}); write it as {{"name": "amber"}}') from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise CyberopsError(f'{name} must be a JSON object of TLP levels, like {{"name": "amber"}}')
    return {str(k): v for k, v in value.items()}


# -- objects of a collection -----------------------------------------------------------------


@dataclass(frozen=True)
class StoredDocument:
    """A record with what the store knows of it: when it was first stored and last (re)analyzed."""

    record: Record
    first_seen: datetime
    updated: datetime
    outlet: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Entry:
    """One object version in a collection, as TAXII lists it."""

    date_added: datetime
    id: str
    version: datetime
    object: dict[str, Any]

    @property
    def type(self) -> str:
        return self.id.split("--", 1)[0]

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.date_added, self.id)


class CollectionIndex:
    """The entries of one collection sorted by ``date_added`` then id: the order of every listing."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = sorted(entries, key=lambda e: e.key)
        self.keys = [e.key for e in self.entries]
        self.by_id = {e.id: e for e in self.entries}

    def __len__(self) -> int:
        return len(self.entries)


def utc(moment: datetime) -> datetime:
    """Store times as aware UTC datetimes (SQLite hands them back naive, in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _ms(moment: datetime) -> datetime:
    # STIX created/modified are precise to the millisecond.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def stix_timestamp(moment: datetime, digits: int = 3) -> str:
    """RFC 3339 in UTC with ``Z``: 3 fraction digits for STIX, 6 for TAXII's date_added."""
    moment = utc(moment)
    fraction = f"{moment.microsecond:06d}"[:digits]
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + "Z"


def parse_timestamp(text: str, what: str) -> datetime:
    """A TAXII timestamp (``2024-05-01T12:00:00.000Z``) as an aware datetime, or a 400 saying what is wrong."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TaxiiError(
            400, "Invalid timestamp", f"{what}={text!r} is not a timestamp like 2024-05-01T12:00:00Z"
        ) from None
    return utc(moment)


def _object_version(obj: Mapping[str, Any]) -> datetime:
    # TAXII 2.1 section 3.4.1: an object without modified is versioned by created.
    return parse_timestamp(obj.get("modified") or obj["created"], "version")


def _document_objects(document: StoredDocument, level: str) -> list[dict[str, Any]]:
    from cyberops.export.stix import to_stix_bundle

    options = ExportOptions(tlp=level, timestamp=_ms(utc(document.updated)))
    return json.loads(to_stix_bundle([document.record], options).serialize())["objects"]


class CollectionObjects:
    """The objects of one level's documents, one version per id, to which documents can be added.

    Each document's objects are stamped with its store times: ``created`` is
    when the object was first seen in any document, ``modified`` (the version)
    when the newest document holding it was stored, and that newest document's
    copy is served. An object whose timestamps are fixed by its definition (TLP
    marking, extension definition) keeps them. ``date_added`` is when the
    served version entered the store, to the microsecond. Documents must be
    added in the order of their ``updated`` time.
    """

    def __init__(self, level: str) -> None:
        self.level = level
        self.objects: dict[str, dict[str, Any]] = {}
        self.first_seen: dict[str, datetime] = {}
        self.added: dict[str, datetime] = {}

    def add(self, document: StoredDocument) -> None:
        updated, seen = utc(document.updated), utc(document.first_seen)
        for obj in _document_objects(document, self.level):
            object_id = obj["id"]
            self.first_seen[object_id] = min(self.first_seen.get(object_id, seen), seen)
            if _object_version(obj) == _ms(updated):
                self.objects[object_id] = obj
                self.added[object_id] = updated
            else:
                self.objects.setdefault(object_id, obj)

    def entries(self) -> list[Entry]:
        entries = []
        for object_id, obj in self.objects.items():
            if object_id in self.added:
                obj["created"] = stix_timestamp(self.first_seen[object_id])
                obj["modified"] = stix_timestamp(self.added[object_id])
                date_added = self.added[object_id]
            else:
                date_added = self.first_seen[object_id]
            entries.append(Entry(date_added, object_id, _object_version(obj), obj))
        return entries


def collection_entries(documents: Iterable[StoredDocument], level: str) -> list[Entry]:
    """The entries of one level's documents (see :class:`CollectionObjects`)."""
    merged = CollectionObjects(level)
    for document in sorted(documents, key=lambda d: utc(d.updated)):
        merged.add(document)
    return merged.entries()


def build_indexes(documents: Iterable[StoredDocument], policy: TlpPolicy) -> dict[str, CollectionIndex]:
    """Every collection's index: each document goes to the collection of its TLP level."""
    return CollectionSet(policy).add(documents).indexes()


class CollectionSet:
    """Every level's :class:`CollectionObjects`; documents go to the level the policy gives them."""

    def __init__(self, policy: TlpPolicy) -> None:
        self.policy = policy
        self.levels = {c.level: CollectionObjects(c.level) for c in COLLECTIONS}

    def add(self, documents: Iterable[StoredDocument]) -> CollectionSet:
        for document in sorted(documents, key=lambda d: utc(d.updated)):
            self.levels[self.policy.level(document.outlet, document.source)].add(document)
        return self

    def indexes(self) -> dict[str, CollectionIndex]:
        return {level: CollectionIndex(merged.entries()) for level, merged in self.levels.items()}


# -- filters, pages and envelopes ------------------------------------------------------------


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """Comma-separated values of a parameter that may also be repeated; each is an OR."""
    return [v.strip() for raw in params.get(name, ()) for v in raw.split(",") if v.strip()]


@dataclass(frozen=True)
class ObjectFilter:
    """``added_after`` and the ``match[...]`` filters of TAXII 2.1 section 3.4."""

    added_after: datetime | None = None
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    # match[version] timestamps; None stands for "last" (the default), "first" or "all", which
    # select the same version here since one version per object is kept.
    versions: frozenset[datetime] | None = None
    spec_versions: frozenset[str] = frozenset()

    @classmethod
    def from_params(cls, params: Mapping[str, Sequence[str]]) -> ObjectFilter:
        after = _values(params, "added_after")
        if len(after) > 1:
            raise TaxiiError(400, "Invalid added_after", "give added_after once, as one timestamp")
        named = _values(params, "match[version]")
        versions = None
        if named and not {"first", "last", "all"} & set(named):
            versions = frozenset(parse_timestamp(v, "match[version]") for v in named)
        return cls(
            added_after=parse_timestamp(after[0], "added_after") if after else None,
            ids=frozenset(_values(params, "match[id]")),
            types=frozenset(_values(params, "match[type]")),
            versions=versions,
            spec_versions=frozenset(_values(params, "match[spec_version]")),
        )

    def accepts(self, entry: Entry) -> bool:
        if self.ids and entry.id not in self.ids:
            return False
        if self.types and entry.type not in self.types:
            return False
        if self.spec_versions and entry.object.get("spec_version", "2.1") not in self.spec_versions:
            return False
        return self.versions is None or entry.version in self.versions


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    more: bool
    next: str | None

    @property
    def headers(self) -> dict[str, str]:
        """``X-TAXII-Date-Added-First``/``-Last`` of the page; none for an empty page."""
        if not self.entries:
            return {}
        return {
            "X-TAXII-Date-Added-First": stix_timestamp(self.entries[0].date_added, 6),
            "X-TAXII-Date-Added-Last": stix_timestamp(self.entries[-1].date_added, 6),
        }


def encode_cursor(entry: Entry) -> str:
    """An opaque ``next`` value: the position after ``entry`` in the collection's order.

    A position, not an offset, so that objects added while a client pages
    through do not shift what it has not read yet (they sort last).
    """
    raw = f"{stix_timestamp(entry.date_added, 6)}|{entry.id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
        moment, object_id = raw.split("|", 1)
        return parse_timestamp(moment, "next"), object_id
    except (ValueError, binascii.Error, TaxiiError):
        raise TaxiiError(400, "Invalid next", "next must be a value returned in an envelope's next") from None


def parse_limit(values: Sequence[str], config: TaxiiConfig) -> int:
    """The page size asked for, capped at the server's maximum; a missing limit is the default size."""
    if not values:
        return config.page_size
    try:
        limit = int(values[-1])
    except ValueError:
        raise TaxiiError(400, "Invalid limit", f"limit={values[-1]!r} is not a positive integer") from None
    if limit < 1:
        raise TaxiiError(400, "Invalid limit", "limit must be at least 1")
    return min(limit, config.max_page_size)


def list_entries(
    index: CollectionIndex, filters: ObjectFilter, limit: int | None = None, cursor: str | None = None
) -> Page:
    """The entries that pass ``filters``, after ``cursor``, at most ``limit`` of them, in collection order."""
    after: tuple[datetime, str] | None = None
    if filters.added_after is not None:
        # Strictly after: keys are (date_added, id), and "~" sorts after every STIX id.
        after = (filters.added_after, "~")
    if cursor:
        position = decode_cursor(cursor)
        after = max(after, position) if after else position
    if filters.ids:
        # Named ids are looked up, not scanned for.
        named = sorted((index.by_id[i] for i in filters.ids if i in index.by_id), key=lambda e: e.key)
        pool = [e for e in named if after is None or e.key > after]
    else:
        pool = index.entries[bisect.bisect_right(index.keys, after) if after else 0 :]
    chosen: list[Entry] = []
    more = False
    for entry in pool:
        if not filters.accepts(entry):
            continue
        if limit is not None and len(chosen) == limit:
            more = True
            break
        chosen.append(entry)
    return Page(chosen, more, encode_cursor(chosen[-1]) if more else None)


def _envelope(page: Page, key: str, items: list[Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"more": page.more}
    if page.next:
        body["next"] = page.next
    if items:
        body[key] = items
    return body


def objects_envelope(page: Page) -> dict[str, Any]:
    """The envelope of Get Objects and Get an Object (section 3.7)."""
    return _envelope(page, "objects", [e.object for e in page.entries])


def manifest_envelope(page: Page) -> dict[str, Any]:
    """The manifest resource (section 5.6): id, date_added, version and media type per object."""
    records = [
        {
            "id": e.id,
            "date_added": stix_timestamp(e.date_added, 6),
            "version": stix_timestamp(e.version),
            "media_type": MEDIA_STIX,
        }
        for e in page.entries
    ]
    return _envelope(page, "objects", records)


def versions_resource(page: Page) -> dict[str, Any]:
    """The versions resource (section 5.8)."""
    return _envelope(page, "versions", [stix_timestamp(e.version) for e in page.entries])


# -- reading the store ---------------------------------------------------------------------


def load_documents(engine: sa.Engine, after: datetime | None = None) -> tuple[list[StoredDocument], int, bool]:
    """The relevant stored documents (updated after ``after``) with their store times.

    Also returns how many documents, relevant or not, were read, and whether
    all of them are new rather than re-analyzed (first seen when last updated).
    Irrelevant documents carry no facts to share, so they are not converted.
    """
    from cyberops.store.schema import documents

    columns = (
        documents.c.record,
        documents.c.first_seen,
        documents.c.updated,
        documents.c.outlet,
        documents.c.source,
        documents.c.relevant,
    )
    statement = sa.select(*columns).order_by(documents.c.updated, documents.c.pk)
    if after is not None:
        statement = statement.where(documents.c.updated > after)
    found, count, all_new = [], 0, True
    with engine.connect() as conn:
        for row in conn.execute(statement):
            count += 1
            first_seen, updated = utc(row.first_seen), utc(row.updated)
            all_new = all_new and first_seen == updated
            if row.relevant:
                found.append(StoredDocument(Record.from_dict(row.record), first_seen, updated, row.outlet, row.source))
    return found, count, all_new


def store_fingerprint(engine: sa.Engine) -> tuple[int, datetime | None]:
    """Changes whenever a document is stored or re-analyzed: the count and the newest ``updated``."""
    from cyberops.store.schema import documents

    with engine.connect() as conn:
        count, newest = conn.execute(sa.select(sa.func.count(), sa.func.max(documents.c.updated))).one()
    return count, utc(newest) if newest is not None else None


@dataclass
class _Built:
    engine: int
    fingerprint: tuple[int, datetime | None]
    collections: CollectionSet
    indexes: dict[str, CollectionIndex]


class CollectionCache:
    """The collections' indexes, brought up to date with the store when it has changed.

    Converting every stored record to STIX is far more work than one page, so
    a client paging through 10,000 objects must not pay it per page, and a new
    article only converts that article. A re-analyzed document (its objects
    may have changed or gone) or a document committed out of time order
    rebuilds everything.
    """

    def __init__(self, policy: TlpPolicy) -> None:
        self.policy = policy
        self._lock = threading.Lock()
        self._built: _Built | None = None

    def index(self, engine: sa.Engine, level: str) -> CollectionIndex:
        with self._lock:
            # Read under the lock: adding the same document twice is harmless (it is idempotent),
            # but two threads must not both extend the same collections.
            fingerprint = store_fingerprint(engine)
            built = self._built
            if built is None or built.engine != id(engine):
                built = None
            elif built.fingerprint != fingerprint:
                built = self._extend(engine, built, fingerprint)
            if built is None:
                documents, _, _ = load_documents(engine)
                collections = CollectionSet(self.policy).add(documents)
                built = _Built(id(engine), fingerprint, collections, collections.indexes())
            self._built = built
            return built.indexes[level]

    def _extend(self, engine: sa.Engine, built: _Built, fingerprint: tuple[int, datetime | None]) -> _Built | None:
        """``built`` with the documents stored since, or None when only a rebuild is right."""
        old_count, old_newest = built.fingerprint
        documents, count, all_new = load_documents(engine, after=old_newest)
        if not all_new or old_count + count != fingerprint[0]:
            return None
        built.collections.add(documents)
        return _Built(built.engine, fingerprint, built.collections, built.collections.indexes())
