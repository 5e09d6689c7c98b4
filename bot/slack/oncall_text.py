"""How `/oncall` replies quote the text people typed: Slack's `&amp; &lt; &gt;` decoded
once on the way in, `& < >` escaped again on the way out, echoed input shortened, and
'did you mean' hints. Shared by the grammar and the help."""

from __future__ import annotations

import re

from bot.core import parsers

__all__ = ["decode", "did_you_mean", "escape", "quote"]


def escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(s: str, limit: int = 40) -> str:
    """User text echoed in a message: shortened, on one line, in quotes."""
    s = " ".join(s.split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return f"'{s}'"


def did_you_mean(word: str, allowed: list[str] | tuple[str, ...]) -> str:
    """' Did you mean `x`?': the grammar's wording, a sentence of its own after a
    sentence, with the word to type in backticks. Which word is close is
    `parsers.closest`, as for the rules' clause ('... (did you mean 'x'?)') in
    `checks.did_you_mean`."""
    hit = parsers.closest(word, allowed)
    return f" Did you mean `{hit}`?" if hit else ""


_ENTITY = re.compile(r"&(amp|lt|gt);")


def decode(s: str) -> str:
    return _ENTITY.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], s)
