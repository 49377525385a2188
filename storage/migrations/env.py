"""Alembic environment: migrations run from code (storage.db.upgrade) on the engine it hands over."""
from alembic import context

from storage.db import include_object
from storage.models import Base

target_metadata = Base.metadata
engine = context.config.attributes.get("engine")
if engine is None:                      # `alembic` run by hand: take the URL from the config
    from storage.db import create
    engine = create(context.config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    # SQLite cannot ALTER constraints: batch mode rebuilds tables when a migration needs it.
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
