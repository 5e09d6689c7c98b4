"""A SQLite database migrated once per test session, copied for each test that needs a
migrated one.

Running the migrations takes about a second per database; most end-to-end tests need a
migrated SQLite file and none of them tests the migrations (tests/store does, from an
empty database). Copying a file migrated once takes a few milliseconds, and the app's
own `migrate()` at start then finds the schema at head and does nothing.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

_lock = threading.Lock()
_template: Path | None = None


def _migrated_template() -> Path:
    global _template
    with _lock:
        if _template is None:
            from bot.store.db import make_engine, migrate

            path = Path(tempfile.mkdtemp(prefix="oncall-template-")) / "template.db"
            engine = make_engine(f"sqlite:///{path}")
            try:
                migrate(engine)
            finally:
                engine.dispose()  # the last connection closing folds the WAL into the file
            _template = path
        return _template


def premigrated(url: str) -> str:
    """`url` itself; when it names a SQLite file that does not exist yet, the file is
    first created as a copy of the migrated template. Any other URL is left alone."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database \
            or parsed.database == ":memory:":
        return url
    target = Path(parsed.database)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_template(), target)
    return url
