"""Where the journal lives and how it is opened: URL resolution, engine settings, migrations.

The default is a SQLite file in the user's data directory, readable only by its owner. Any
SQLAlchemy URL (PostgreSQL included) can be given with ``--database-url`` or the
``SLEEPTWITCH_DATABASE_URL`` environment variable. Opening a journal brings its schema to the newest
Alembic revision; concurrent openers are serialised by a database lock, so two processes starting
on a fresh file cannot both create the tables.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from ._document import JournalError

__all__ = ["ENV_VAR", "HEAD_REVISION", "default_database_path", "resolve_url", "open_engine",
           "upgrade"]

ENV_VAR = "SLEEPTWITCH_DATABASE_URL"
#: The newest migration; a test checks it against the Alembic scripts.
HEAD_REVISION = "0002_exposure_value_text"


def default_database_path() -> Path:
    """``$XDG_DATA_HOME/sleeptwitch/journal.sqlite`` (or the platform's user data directory)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "sleeptwitch" / "journal.sqlite"


def resolve_url(database_url: str | None = None) -> str:
    """The URL given, else ``$SLEEPTWITCH_DATABASE_URL``, else the default SQLite file."""
    url = database_url or os.environ.get(ENV_VAR)
    if not url:
        return f"sqlite:///{default_database_path()}"
    if "://" not in url:  # a bare path is a SQLite file
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def _prepare_sqlite_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's BEGIN decide the transaction, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Take the write lock at the start: a deferred transaction that later tries to write can
        # fail at once with "database is locked" instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(database_url: str | None = None) -> Engine:
    """An engine on the journal database, its schema migrated to the newest revision."""
    url_text = resolve_url(database_url)
    try:
        url = make_url(url_text)
    except (ArgumentError, ValueError):
        raise JournalError(f"{url_text!r} is not a database URL; give e.g. "
                           "'sqlite:///journal.sqlite' or "
                           "'postgresql+psycopg://user@localhost/sleeptwitch'.") from None
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            _prepare_sqlite_file(Path(url.database))
        engine = create_engine(url, connect_args={"timeout": 30})
        _sqlite_events(engine)
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            raise JournalError(f"the driver for {url.drivername} is not installed ({exc.name}); "
                               "install it with: pip install \"sleeptwitch[postgres]\"") from None
    try:
        upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        raise JournalError(f"cannot open the journal database at {url.render_as_string()}: "
                           f"{exc.orig}. Check the URL, that the server is running and that "
                           "you may write there.") from None
    return engine


def _current_revision(connection) -> str | None:
    try:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None


def upgrade(engine: Engine) -> None:
    """Bring the schema to :data:`HEAD_REVISION` (a no-op, without importing Alembic, if it is)."""
    with engine.connect() as connection:
        current = _current_revision(connection)
        connection.rollback()
    if current == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "sleeptwitch.journal:migrations")
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(7105531)"))
            if _revision_in_savepoint(connection) == HEAD_REVISION:
                return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _revision_in_savepoint(connection) -> str | None:
    savepoint = connection.begin_nested()
    try:
        revision = _current_revision(connection)
    finally:
        savepoint.rollback()
    return revision
