"""Everything people read, checked in every test that runs a Slack stand-in.

Each stand-in a test starts registers itself (`SlackStandIn.on_start`); when the test
ends, every message text, block and view the stand-ins recorded during it is walked,
and the test fails if people were shown an internal word: an escalation step kind
(`language_oncall`), a routing source (`on_call`), "filed via", "round 1 of 3", the
same person mentioned twice in a row, or a Python value's repr ("None", "{'...").

A test that feeds odd values on purpose (to see that they render safely) opts out with
`@pytest.mark.unreadable_ok`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.demo.slack_standin import SlackStandIn

INTERNAL = re.compile(
    r"language_oncall|language_backup|\bon_call\b|filed via|\bround \d+ of \d+"
    r"|\(translation\)|\(on_call\)|\(backup\)|\bstep \d+/\d+|\bunserved\b")
SAME_PERSON_TWICE = re.compile(
    r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>[\s,*_]*(?:and\s+)?<@\1[|>]")
PYTHON_REPR = re.compile(r"(?m)(?<!^)\bNone\b(?!:)|\{'|\['|object at 0x")
# Calls whose parameters are what a person reads (a response_url answer is recorded
# under its path).
READ_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open",
                "views.publish", "views.update", "views.push", "/")

_started: list[SlackStandIn] = []
SlackStandIn.on_start.append(_started.append)


def texts(value, key: str = "") -> Iterator[str]:
    """Every string under a "text" key (Block Kit text objects, a message's fallback)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from texts(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from texts(v, key)
    elif isinstance(value, str) and key == "text":
        yield value


def problems(text: str) -> list[str]:
    found = [f"internal word {m.group(0)!r}" for m in INTERNAL.finditer(text)]
    found += [f"the same person twice: {m.group(0)!r}" for m in SAME_PERSON_TWICE.finditer(text)]
    found += [f"a Python value: {m.group(0)!r}" for m in PYTHON_REPR.finditer(text)]
    return found


@pytest.fixture(autouse=True)
def readable_messages(request: pytest.FixtureRequest) -> Iterator[None]:
    before = {id(s): len(s.calls) for s in _started}
    yield
    if request.node.get_closest_marker("unreadable_ok"):
        return
    bad: list[str] = []
    for standin in list(_started):
        for call in standin.calls[before.get(id(standin), 0):]:
            if not call.method.startswith(READ_METHODS):
                continue
            for text in texts(call.params):
                bad += [f"{call.method}: {p} in {text[:300]!r}" for p in problems(text)]
    if bad:
        pytest.fail("people were shown:\n" + "\n".join(dict.fromkeys(bad)), pytrace=False)
