"""Alembic's environment: migrations run on the connection ``storage.migrate`` hands over, never from an ini file."""

from alembic import context

from lecturer_pipeline.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite can add a column but not alter one: batch mode copies the table where a change needs it.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
