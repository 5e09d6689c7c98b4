"""What every `oncall-bot` command shares: its usage error, the database, JSON output."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from bot.config import Settings
from bot.core import timezones


class UsageError(Exception):
    pass


def sessions_for(settings: Settings, immediate: bool = False):
    """`immediate`: on SQLite, a unit of work that reads then writes takes the write lock
    at BEGIN (so it queues behind a running bot instead of failing as locked)."""
    from bot.store.db import make_engine, migrate, session_factory

    engine = make_engine(settings.database_url)
    migrate(engine)
    return session_factory(engine, immediate=immediate)


def emit_json(doc) -> int:
    json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def iso(dt: datetime) -> str:
    return timezones.utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")
