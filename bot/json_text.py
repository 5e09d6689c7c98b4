"""JSON on the paths every filed request takes: Slack's Web API bodies and answers
(`bot.slack.client`), and the database's JSON columns and multi-row inserts
(`bot.store`), written and read with orjson.

Why not the standard library's `json`: a page DM and an intake card carry the "Set
language" selects (about a hundred options each), and Slack echoes every message back,
so a filed request encodes and decodes about 40 KB of JSON. A sample of the serving
process at 50 requests/s on PostgreSQL (`py-spy --gil`, which overstates C calls) put
`json`'s encoder and decoder at 15% of the interpreter lock. orjson encodes such a
message in 8 us against 105 us and decodes it in 32 us against 63 us (one 9.6 KB page
DM); a filed request's CPU in `bench.profile_request` went from 5.56-5.76 ms to
4.82-5.32 ms.

The JSON is the same, written differently: UTF-8 rather than ASCII with escapes (Slack
and PostgreSQL read either), no spaces after separators, and keys that are not strings
written as strings, as `json` writes them (OPT_NON_STR_KEYS). Datetimes are written as
ISO 8601 with their offset, as `isoformat` writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS

JSONDecodeError = orjson.JSONDecodeError  # a json.JSONDecodeError (and a ValueError)
loads: Callable[[str | bytes], Any] = orjson.loads


def dumps_bytes(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """`value` as UTF-8 JSON bytes; `default` turns what JSON has no type for into what
    it has (or raises TypeError), as `json.dumps`'s does."""
    return orjson.dumps(value, default=default, option=_OPTIONS)


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """`value` as JSON text (see `dumps_bytes`)."""
    return dumps_bytes(value, default).decode()
