"""How `serve` and `worker` log: the text lines they always wrote, or `--log-format json`.

JSON: one object per line on stderr, for log pipelines that index fields (Loki, Cloud
Logging, Datadog). Every line has `time` (UTC, ISO 8601), `level`, `logger` and
`message`; whatever a log call passes in `extra` comes along as fields of its own
(`request_id`, `page_id`, ...), and a line with a `request_id` also gets its `ticket`
("T-42"), the name people use in Slack. A traceback is the `exc` field of the same line,
never lines of its own. The stdlib is enough for this (no dependency): a formatter of a
few lines that gunicorn's own loggers use too.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")
# The attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}
_PLAIN = (str, int, float, bool)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_") or value is None:
                continue
            doc.setdefault(key, value if isinstance(value, _PLAIN) else str(value))
        request_id = doc.get("request_id")
        if isinstance(request_id, int) and "ticket" not in doc:
            doc["ticket"] = f"T-{request_id}"
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            doc["stack"] = self.formatStack(record.stack_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Log to stderr in `fmt` (text | json). Text is exactly the format used before."""
    if fmt == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler], force=True)
    else:
        logging.basicConfig(level=level, stream=sys.stderr, format=TEXT)


def gunicorn_config(fmt: str) -> dict | None:
    """gunicorn's `logconfig_dict` for `fmt`: in JSON, its own loggers (the master's and
    the worker's lifecycle lines) go through the same formatter; None keeps its text."""
    if fmt != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                              "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {name: {"level": "INFO", "handlers": [], "propagate": True}
                    for name in ("gunicorn.error", "gunicorn.access")},
    }
