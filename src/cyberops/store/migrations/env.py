"""Alembic environment: runs the migrations on the connection that :mod:`cyberops.store.migrate` hands over.

There is no alembic.ini: the store builds its Alembic configuration in code,
so ``cyberops db upgrade`` works from an installed package.
"""

from __future__ import annotations

from alembic import context

from cyberops.store.schema import include_name, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    include_name=include_name,
    # SQLite cannot ALTER most things: batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
