"""Alembic environment for the journal. sleeptwitch passes an open connection; the command line
(``alembic -x url=...``) may pass a URL instead. No logging is configured here."""

from alembic import context
from sqlalchemy import create_engine

from sleeptwitch.journal._models import Base

target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url is None:
        raise SystemExit("give the database with: alembic -x url=sqlite:///journal.sqlite ...")
    with create_engine(url).begin() as conn:
        _run(conn)
