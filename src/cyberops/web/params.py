"""Query parameters shared by the JSON API and the HTML pages, validated once, documented in the OpenAPI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

# The record's own vocabularies: the API accepts exactly what a record can hold.
from cyberops.record import ClaimKind, IncidentType
from cyberops.store import SearchFilters
from cyberops.web.queries import DateRange

# Empty is allowed: a form's blank date field is sent as "since=".
DATE = r"^(\d{4}-\d{2}-\d{2})?$"
STATE = r"^[A-Za-z]{2}$"

Since = Annotated[str | None, Query(pattern=DATE, description="Published on or after (YYYY-MM-DD).")]
Until = Annotated[str | None, Query(pattern=DATE, description="Published on or before (YYYY-MM-DD).")]
State = Annotated[str | None, Query(pattern=STATE, description="ISO 3166-1 alpha-2 code, or EU.")]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]
Text = Annotated[str | None, Query(max_length=300)]


@dataclass
class SearchParams:
    """The search box and its filters: the same on ``/search`` and ``/api/search``."""

    q: Annotated[str, Query(max_length=500, description='Words, "a phrase", a OR b, -excluded, prefix*.')] = ""
    lang: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,3}$", description="Language code.")] = None
    kind: Annotated[ClaimKind | None, Query(description="Documents with a claim of this kind.")] = None
    type: Annotated[IncidentType | None, Query(description="Documents with an incident of this type.")] = None
    state: Annotated[
        str | None, Query(pattern=STATE, description="A state as a claim's speaker or subject (with kind: same claim).")
    ] = None
    actor: Annotated[str | None, Query(max_length=300, description="A threat actor by any of its names.")] = None
    outlet: Annotated[str | None, Query(max_length=200)] = None
    since: Since = None
    until: Until = None
    limit: Limit = 20
    offset: Offset = 0

    def filters(self) -> SearchFilters:
        return SearchFilters(
            state=self.state,
            kind=self.kind,
            since=self.since or None,
            until=self.until or None,
            lang=self.lang,
            actor=self.actor or None,
            outlet=self.outlet or None,
            incident_type=self.type,
        )

    def active(self) -> dict[str, str]:
        """The filters in use, as query parameters (for links that keep them)."""
        values = {
            "q": self.q,
            "lang": self.lang,
            "kind": self.kind,
            "type": self.type,
            "state": self.state,
            "actor": self.actor,
            "outlet": self.outlet,
            "since": self.since,
            "until": self.until,
        }
        return {k: str(v) for k, v in values.items() if v}


@dataclass
class DateParams:
    since: Since = None
    until: Until = None

    def range(self) -> DateRange:
        return DateRange(self.since or None, self.until or None)
