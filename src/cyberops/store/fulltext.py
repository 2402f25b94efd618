"""Full-text search for each backend: SQLite FTS5 and PostgreSQL tsvector, behind one small interface.

Both read the same user syntax — words (all required), ``"a phrase"``,
``OR`` between two terms, ``-word`` to exclude, ``word*`` for a prefix —
parsed once here and written out as an FTS5 expression or a ``tsquery``
with every term quoted, so no user input is ever read as either syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cyberops.store.schema import documents

_TOKENS = re.compile(r'-?"[^"]*"?|\S+')
_WORD = re.compile(r"[^\W_]")
# Markers around matched words in snippets: plain characters, since article text is never rendered as HTML.
SNIPPET_START, SNIPPET_END = "«", "»"


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or the words of a phrase
    prefix: bool = False  # the last word may go on: ``cyber*``


@dataclass(frozen=True)
class ParsedQuery:
    """All ``clauses`` must match (each one any of its terms), and none of ``excluded``."""

    clauses: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]


def has_terms(query: str | None) -> bool:
    """Whether ``query`` holds anything to search for (punctuation alone does not)."""
    return bool(query and parse_query(query).clauses)


def parse_query(query: str) -> ParsedQuery:
    """Words, "phrases", ``OR`` between two terms, ``-term`` to exclude, ``word*`` for a prefix."""
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for token in _TOKENS.findall(query):
        if token == "OR":
            join_next = bool(clauses)
            continue
        exclude = token.startswith("-") and len(token) > 1
        token = token[1:] if exclude else token
        prefix = token.endswith("*") and not token.startswith('"')
        words = tuple(w for w in token.strip('"').rstrip("*").split() if _WORD.search(w))
        if not words:
            continue
        term = Term(words, prefix)
        if exclude:
            excluded.append(term)
        elif join_next:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        join_next = False
    return ParsedQuery(tuple(tuple(c) for c in clauses), tuple(excluded) if clauses else ())


def fts5_query(query: str) -> str:
    """The SQLite FTS5 MATCH expression; every term is quoted, so no input is read as FTS5 syntax."""
    parsed = parse_query(query)

    def term(t: Term) -> str:
        return '"' + " ".join(t.words).replace('"', '""') + '"' + (" *" if t.prefix else "")

    expression = " AND ".join("(" + " OR ".join(term(t) for t in clause) + ")" for clause in parsed.clauses)
    for t in parsed.excluded:
        expression = f"({expression}) NOT {term(t)}"
    return expression


def tsquery(query: str) -> str:
    """The PostgreSQL ``to_tsquery`` text; every word is a quoted lexeme, phrases use ``<->``."""
    parsed = parse_query(query)

    def term(t: Term) -> str:
        quoted = ["'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in t.words]
        if t.prefix:
            quoted[-1] += ":*"
        return "(" + " <-> ".join(quoted) + ")"

    expression = " & ".join("(" + " | ".join(term(t) for t in clause) + ")" for clause in parsed.clauses)
    return "".join([expression, *(f" & !{term(t)}" for t in parsed.excluded)])


@dataclass(frozen=True)
class FullTextMatch:
    """What a search query needs from full-text search on one backend.

    The match runs once, in the statement that ranks and counts; snippets are
    made afterwards for the page of hits only (a snippet for every matching
    document was most of the cost of a broad query).
    """

    from_clause: sa.FromClause  # documents, joined to whatever the match and the rank need
    where: sa.ColumnElement[bool]
    rank: sa.ColumnElement  # ascending: best first
    snippets: Callable[[list[int]], sa.Select]  # (pk, snippet) for these documents


def full_text_match(dialect: str, query: str) -> FullTextMatch:
    if dialect == "sqlite":
        return _sqlite_match(query)
    return _postgres_match(query)


def _sqlite_match(query: str) -> FullTextMatch:
    fts = sa.table("documents_fts", sa.column("rowid"), sa.column("rank"), sa.column("documents_fts"))
    matches = fts.c.documents_fts.op("MATCH")(sa.bindparam("fts_query", fts5_query(query)))
    snippet = sa.func.snippet(sa.literal_column("documents_fts"), 1, SNIPPET_START, SNIPPET_END, "…", 24)

    def snippets(pks: list[int]) -> sa.Select:
        # snippet() needs the MATCH in its statement; the rowid list keeps it to the page.
        return sa.select(fts.c.rowid, snippet).where(matches, fts.c.rowid.in_(pks))

    return FullTextMatch(
        from_clause=documents.join(fts, fts.c.rowid == documents.c.pk),
        where=matches,
        rank=fts.c.rank,  # bm25: lower is better
        snippets=snippets,
    )


def _postgres_match(query: str) -> FullTextMatch:
    vector: sa.ColumnElement[Any] = sa.literal_column("documents.search_vector")
    query_value = sa.func.to_tsquery(sa.text("'simple'::regconfig"), sa.bindparam("ts_query", tsquery(query)))
    options = f"StartSel={SNIPPET_START}, StopSel={SNIPPET_END}, MaxWords=35, MinWords=15, MaxFragments=1"
    snippet = sa.func.ts_headline(sa.text("'simple'::regconfig"), documents.c.text, query_value, options)

    def snippets(pks: list[int]) -> sa.Select:
        return sa.select(documents.c.pk, snippet).where(documents.c.pk.in_(pks))

    return FullTextMatch(
        from_clause=documents,
        where=vector.op("@@")(query_value),
        rank=-sa.func.ts_rank(vector, query_value),
        snippets=snippets,
    )
