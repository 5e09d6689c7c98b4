"""Transport-neutral references inside the text that services write.

A service that names a person, a channel, a user group or a command in a sentence
("{@U0AR00001} acknowledged", "posted in {#C0ESCAL01}") writes a reference with these
functions instead of any front end's markup. Each adapter renders references its own
way, in one place: the Slack adapter as mentions (`bot/slack/text.py`), the command line
and logs as plain text (`plain` below). Text that people typed is embedded with
`typed`, so a requester cannot forge a mention by typing a reference, nor by typing
a front end's own markup (Slack's `<@U123>`, `<!channel>`): each front end shows a typed
span as the literal text it is (the `TYPED` renderer).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

# {@U123} a person, {#C123} a channel, {!S123} a user group, {/oncall export} a command,
# {^1767225600} an instant (Unix seconds), which each reader should see in their own zone.
# "{{" is a typed "{", so what a person wrote never becomes a reference; "{[" ... "{]}"
# delimits a typed span (see `typed`): inside it every "{" is doubled, so the first
# single "{" is its end, whatever the person typed.
REF = re.compile(r"\{\{|\{\[(?P<typed>(?:[^{]|\{\{)*)\{\]\}"
                 r"|\{(?P<kind>[@#!/^])(?P<value>[^{}\n]{1,200})\}")
TYPED = "typed"  # the renderers' key for typed spans (default: the text as typed)


def typed(text: str) -> str:
    """What a person typed (a resolve note, a quoted token), made inert inside service
    text: a typed "{@U123}" shows as written and never becomes a mention, and a front
    end renders the span as literal text, so typed markup ("<@U123>", "<!channel>")
    stays inert too. The one rule for every note a person writes."""
    return "{[" + text.replace("{", "{{") + "{]}"


def person(user_id: str) -> str:
    return "{@" + user_id + "}"


def people(user_ids: Iterable[str], empty: str = "nobody") -> str:
    """'{@A}, {@B}' or `empty` when there is nobody; each person once."""
    refs = [person(u) for u in dict.fromkeys(user_ids)]
    return ", ".join(refs) if refs else empty


def channel(channel_id: str) -> str:
    return "{#" + channel_id + "}"


def group(group_id: str) -> str:
    return "{!" + group_id + "}"


def command(text: str) -> str:
    """A command a person can type, without its slash: command("oncall export emea")."""
    return "{/" + text + "}"


def moment(instant: datetime) -> str:
    """An instant that each reader sees in their own time zone where the front end can."""
    return "{^" + str(int(instant.timestamp())) + "}"


def utc_text(seconds: str) -> str:
    """A `moment` value as '2026-12-24 08:00 UTC' (the fallback every front end can show)."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%d %H:%M UTC")


Renderers = dict[str, Callable[[str], str]]


def render(text: str, renderers: Renderers) -> str:
    """Replace every reference with `renderers[kind](value)`; kinds are '@#!/^', and
    `TYPED` for typed spans (given the text as typed; left as it is without one)."""
    if "{" not in text:
        return text

    def one(m: re.Match) -> str:
        if m.group("typed") is not None:
            return renderers.get(TYPED, _as_typed)(m.group("typed").replace("{{", "{"))
        if m.group("kind") is None:
            return "{"
        return renderers[m.group("kind")](m.group("value"))

    return REF.sub(one, text)


def split_typed(text: str) -> list[tuple[bool, str]]:
    """`text` cut around its typed spans, in order: (True, what was typed) for each span,
    (False, service text, references still in it) between them; for a renderer that
    treats the service's text in a way typed text must never get (turning ids into
    mentions)."""
    pieces: list[tuple[bool, str]] = []
    pos = 0
    for m in REF.finditer(text):
        if m.group("typed") is None:
            continue
        if m.start() > pos:
            pieces.append((False, text[pos : m.start()]))
        pieces.append((True, m.group("typed").replace("{{", "{")))
        pos = m.end()
    if pos < len(text) or not pieces:
        pieces.append((False, text[pos:]))
    return pieces


def _as_typed(text: str) -> str:
    return text


_PLAIN: Renderers = {
    "@": lambda v: "@" + v,
    "#": lambda v: "#" + v,
    "!": lambda v: "@" + v,
    "/": lambda v: "/" + v,
    "^": utc_text,
}


def plain(text: str) -> str:
    """References as plain text: @U123, #C123, /oncall export (the command line, logs)."""
    return render(text, _PLAIN)
