"""API tokens: created by ``cyberops token create``, stored hashed, checked by the web app.

A token is shown once, when it is made; the database keeps only its SHA-256,
so a copy of the database does not hand out access. A token is long random
bytes, not a password, so a plain fast hash is enough: there is nothing to
brute-force.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from cyberops.store.schema import api_tokens, metadata

Role = Literal["reader", "analyst"]
ROLES: tuple[str, ...] = ("reader", "analyst")
# What each role may do: an analyst can also read.
_GRANTS: dict[str, frozenset[str]] = {"reader": frozenset({"reader"}), "analyst": frozenset({"reader", "analyst"})}
_PREFIX = "cyo_"

# The table is described with the store's other tables (migration 0002 creates it).
__all__ = ["ROLES", "Role", "TokenInfo", "api_tokens", "check_token", "create_token", "metadata"]


@dataclass(frozen=True)
class TokenInfo:
    role: str
    label: str | None

    def allows(self, role: str) -> bool:
        return role in _GRANTS.get(self.role, frozenset())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: sa.Engine, role: str, label: str | None = None) -> str:
    """A new token with ``role``; the returned value is the only copy of it."""
    if role not in ROLES:
        raise ValueError(f"role {role!r} is unknown; use one of {', '.join(ROLES)}")
    token = _PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(api_tokens).values(
                token_hash=_hash(token), role=role, label=label, created=dt.datetime.now(dt.UTC)
            )
        )
    return token


def check_token(engine: sa.Engine, token: str) -> TokenInfo | None:
    """Who the token belongs to, or None for an unknown token."""
    if not token or len(token) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(api_tokens.c.role, api_tokens.c.label).where(api_tokens.c.token_hash == _hash(token))
        ).first()
    return TokenInfo(row.role, row.label) if row is not None else None
