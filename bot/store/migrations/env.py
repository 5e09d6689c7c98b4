"""Alembic environment of the oncall-bot schema.

Two ways in:
- `bot.store.db.migrate(engine)` hands over a connection already inside a transaction
  (config.attributes["connection"]); nothing is configured here then.
- `alembic upgrade head` from the repository root: the URL is `-x url=...`, else
  `sqlalchemy.url` if set, else DATABASE_URL through bot.config.Settings.
"""

from __future__ import annotations

import configparser
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from bot.config import Settings, normalize_database_url
from bot.store import paging_tables, shift_tables, tables  # noqa: F401 (registers the tables)
from bot.store.db import make_engine, migration_connection

config = context.config
# Every mapped table of the project must be registered on this metadata (import the
# modules that define them above), so autogenerate and the schema test see them.
target_metadata = tables.Base.metadata


def _configure_logging() -> None:
    name = config.config_file_name
    if not name or not config.attributes.get("configure_logger", True):
        return
    parser = configparser.ConfigParser()
    parser.read(name)
    if parser.has_section("loggers"):
        fileConfig(name, disable_existing_loggers=False)


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    return normalize_database_url(url) if url else Settings.from_env().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        # bot.store.db runs SQLite inside real BEGIN/COMMIT too, so DDL is transactional.
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_database_url(), poolclass=NullPool)
    try:
        with migration_connection(engine) as conn:
            _run(conn)
    finally:
        engine.dispose()


_configure_logging()
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
