"""Alembic environment: migrations run from code (storage.db.upgrade) on the engine it hands over."""
from alembic import context

from storage.db import include_object
from storage.models import Base

target_metadata = Base.metadata


def run_on(connection) -> None:
    # SQLite cannot ALTER constraints: batch mode rebuilds tables when a migration needs it.
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:       # storage.db.upgrade: its transaction, which holds the migration lock
    run_on(given)
else:
    engine = context.config.attributes.get("engine")
    if engine is None:                  # `alembic` run by hand: take the URL from the config
        from storage.db import create
        engine = create(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        run_on(connection)
        connection.commit()
