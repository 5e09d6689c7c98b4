"""The renderers' fast paths give what the general rules give, byte for byte.

`bot/slack/render/mrkdwn.py` skips work when the input decides the answer (a printable
str needs no cleaning, an ASCII text is as many UTF-16 units as characters, a length
decides a fit) and keeps texts it renders again and again (times, service lines,
language names). Each is checked here against the rule written out plainly (the way
the module computed it before the fast paths), on tricky inputs: non-ASCII, emoji and
other astral characters, lone surrogates, control characters and line ends, `<`, `>`,
`&`, mrkdwn markers, references, and texts at and around every clip limit.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core import refs, timezones
from bot.slack.render import mrkdwn as md
from bot.slack.render import pages
from bot.slack.text import from_neutral

# --- the general rules, written out plainly ----------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def plain_as_text(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def plain_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def plain_prefix(text: str, limit: int) -> str:
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return text[:i]
    return text


def plain_clip(text: str, limit: int) -> str:
    if plain_units(text) <= limit:
        return text
    return plain_prefix(text, max(limit - 1, 0)).rstrip() + "…"


def plain_clip_mrkdwn(text: str, limit: int) -> str:
    if plain_units(text) <= limit:
        return text
    cut = plain_prefix(text, max(limit - 1, 0))
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:
        cut = cut[:lt]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def plain_escape_clip(value: object, budget: int, one_line: bool = False) -> str:
    text = plain_as_text(value).strip()
    if one_line:
        text = " ".join(text.split())
    whole = "".join(_ESCAPES.get(ch, ch) for ch in text)
    if plain_units(whole) <= budget - 1:
        return whole
    out: list[str] = []
    used = 0
    for ch in text:
        piece = _ESCAPES.get(ch, ch)
        if used + plain_units(piece) > budget - 1:
            return "".join(out).rstrip() + "…"
        out.append(piece)
        used += plain_units(piece)
    return "".join(out)


def plain_quote(value: object, budget: int) -> str:
    text = plain_as_text(value).strip()
    if not text:
        return "> _(no text)_"
    whole = "> " + "".join("\n> " if ch == "\n" else _ESCAPES.get(ch, ch) for ch in text)
    if plain_units(whole) <= budget - 1:
        return whole
    out = ["> "]
    used = 2
    for ch in text:
        piece = "\n> " if ch == "\n" else _ESCAPES.get(ch, ch)
        if used + plain_units(piece) > budget - 1:
            return "".join(out).rstrip() + "…"
        out.append(piece)
        used += plain_units(piece)
    return "".join(out)


def plain_bot_text(value: object, budget: int) -> str:
    def esc(t: str) -> str:
        return "".join(_ESCAPES.get(ch, ch) for ch in plain_as_text(t))

    parts: list[str] = []
    for was_typed, piece in refs.split_typed(plain_as_text(value).strip()):
        if was_typed:
            parts.append(esc(piece))
            continue
        text = from_neutral(piece)
        pos = 0
        for m in md._MARKUP_OR_ID.finditer(text):
            parts.append(esc(text[pos : m.start()]))
            parts.append(f"<{m.group('mk')}>" if m.group("mk") else f"<@{m.group('id')}>")
            pos = m.end()
        parts.append(esc(text[pos:]))
    return plain_clip_mrkdwn("".join(parts), budget)


# --- tricky inputs ------------------------------------------------------------------

LIMITS = (0, 1, 2, 3, 4, 5, 12, 40, 100, 199, 200, 201, 400, 1000, 1500, 1999, 2000,
          2001, 2499, 2500, 2501, 3000)

SHORT = [
    "", " ", "plain ascii", "héllo wörld café", "مرحبا، الناس محاصرون", "火事です",
    "🚨 help 🆘 now 👍🏽", "\U0001f6a8", "lone \ud83d surrogate", "\udfff",
    "<@U12345678> & <script> >>> &amp; <!channel> <https://x.com/?a=1&b=2|y>",
    "*bold* _it_ ~strike~ `code` > quote\n> more", "a\r\nb\rc\r", "\x00\x07\x1f\x7f",
    "tab\tand\x0bvt\x0cff", "\x85 \u2028 \u2029 \u200b \u00ad \ufeff \u202e", "\n\n  spaced  \n",
    "U12345678 and W1234567890 did it", "{@U12345678} {#C1234567} {^1767225600} {{x}",
    refs.typed("<@U1> & {@U2}") + " then {@U0AR00001}", "é" * 3, "&" * 7, "<" * 5,
]


def _around(n: int) -> list[str]:
    """Texts whose length (escaped or in UTF-16 units) falls right at `n`."""
    return [
        "a" * n, "é" * n, "🚨" * (n // 2), "🚨" * (n // 2) + "a", "a" + "🚨" * (n // 2),
        "&" * (n // 5), "&" * (n // 5) + "b", "<" * (n // 4), "x" * (n - 3) + "<@U12345678>",
        "y" * (n - 2) + "&<", "z" * (n - 1) + "🚨", "z" * (n - 2) + "🚨z", ("word " * n)[:n],
        ("a\nb" * n)[:n], "a" * (n - 5) + "&amp;" * 3, "é" * (n // 2) + "a" * (n // 2 + 1),
        ("ab " * n)[:n - 1] + "\ud83d", "a" * n + "\r\n", " " * n + "a",
    ]


TRICKY = SHORT + [t for n in (1, 2, 3, 5, 12, 100, 200, 2000, 2500)
                  for k in (n - 1, n, n + 1) for t in _around(k)]

# Characters that stress every rule: ASCII with the escaped ones and markers, control
# characters and line ends, Latin-1, the BMP beyond it, astral ones, lone surrogates.
_CHARS = st.one_of(
    st.sampled_from(list("ab <>&;*_~`>\n\r\t{}[]@#!^|/:U0123456789")),
    st.characters(max_codepoint=0x7F), st.characters(min_codepoint=0x80, max_codepoint=0xFF),
    st.characters(min_codepoint=0x100, max_codepoint=0xFFFF),
    st.characters(min_codepoint=0x10000), st.sampled_from(["\ud83d", "\ude00"]),
)
_TEXTS = st.text(_CHARS, max_size=60) | st.builds(
    lambda a, n, b: a * n + b, st.text(_CHARS, min_size=1, max_size=3),
    st.integers(0, 1100), st.text(_CHARS, max_size=5))
_PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- text helpers -------------------------------------------------------------------


@pytest.mark.parametrize("value", [*SHORT, None, 42, 3.5, b"x\r", True])
def test_as_text_is_the_general_rule(value):
    assert md.as_text(value) == plain_as_text(value)


class Text(str):
    """A str subclass: `as_text` gives it the general path."""


def test_as_text_of_a_str_subclass_is_the_general_rule():
    assert md.as_text(Text("a\rb\x07")) == "a\nb"
    assert md.as_text(Text("printable")) == "printable"


def _limits_for(text: str) -> list[int]:
    """The limits that matter for `text`: the small ones, and those at or next to its
    lengths (characters, twice that, UTF-16 units, escaped, quoted)."""
    clean = plain_as_text(text).strip()
    escaped = "".join(_ESCAPES.get(ch, ch) for ch in clean)
    sizes = {len(text), 2 * len(text), plain_units(text), plain_units(clean),
             plain_units(escaped), plain_units(escaped) + 2 + 2 * clean.count("\n")}
    return sorted({0, 1, 2, 3, 12} | {n + d for n in sizes for d in (-1, 0, 1) if n + d >= 0})


def test_helpers_on_tricky_texts_are_the_general_rules():
    for text in TRICKY:
        clean = plain_as_text(text)
        assert md.as_text(text) == clean, repr(text[:40])
        assert md.utf16_units(text) == plain_units(text), repr(text[:40])
        for limit in _limits_for(text):
            assert md.fits(text, limit) is (plain_units(text) <= limit), (repr(text[:40]), limit)
            assert md.clip(clean, limit) == plain_clip(clean, limit), (repr(text[:40]), limit)
            assert md.clip_mrkdwn(clean, limit) == plain_clip_mrkdwn(clean, limit), (
                repr(text[:40]), limit)
            for one_line in (False, True):
                assert md.escape_clip(text, limit, one_line=one_line) == plain_escape_clip(
                    text, limit, one_line), (repr(text[:40]), limit, one_line)
            if limit >= 3:
                assert md.quote(text, limit) == plain_quote(text, limit), (
                    repr(text[:40]), limit)


@_PROPS
@given(_TEXTS, st.sampled_from(LIMITS))
@example("🚨" * 1000 + "a", 2001)
@example("a" * 1999 + "🚨", 2000)
@example("&" * 500, 2500)
def test_helpers_on_any_text_are_the_general_rules(text, limit):
    clean = plain_as_text(text)
    assert md.as_text(text) == clean
    assert md.utf16_units(text) == plain_units(text)
    assert md.fits(text, limit) is (plain_units(text) <= limit)
    assert md.clip(clean, limit) == plain_clip(clean, limit)
    assert md.clip_mrkdwn(clean, limit) == plain_clip_mrkdwn(clean, limit)
    assert md.escape_clip(text, limit) == plain_escape_clip(text, limit)
    assert md.escape_clip(text, limit, one_line=True) == plain_escape_clip(text, limit, True)
    if limit >= 3:
        assert md.quote(text, limit) == plain_quote(text, limit)


# --- what is kept: the same as rendering afresh --------------------------------------


@pytest.mark.parametrize("budget", [0, 1, 5, 40, 100, 400, 2500])
def test_bot_text_is_the_general_rule(budget):
    for text in TRICKY + [t + "{@U0AR00001}" for t in SHORT]:
        expected = plain_bot_text(text, budget)
        assert md.bot_text(text, budget) == expected, repr(text[:40])
        assert md.bot_text(text, budget) == expected, repr(text[:40])  # the kept one


@_PROPS
@given(_TEXTS, st.sampled_from(LIMITS))
def test_bot_text_of_any_text_is_the_general_rule(text, budget):
    assert md.bot_text(text, budget) == plain_bot_text(text, budget)


def test_bot_text_without_references_is_escaped_and_mentioned():
    assert md.bot_text("U12345678 & <b> *x*", 100) == "<@U12345678> &amp; &lt;b&gt; *x*"
    assert md.bot_text("a\r\nb\x07", 100) == "a\nb"
    assert md.bot_text("🚨" * 60, 100) == "🚨" * 49 + "…"


def test_language_names_kept_are_names_afresh():
    for code in ["ar", "pt-BR", "pt_br", "zh-Hant-TW", "und", "", "  ", None, "xx", "é",
                 "🚨", "a\rb", 42]:
        first = md.language_name(code)
        md.language_name.__globals__["_language_name"].cache_clear()
        assert md.language_name(code) == first


class FoldZone(tzinfo):
    """A zone with a fall-back fold at 01:00-02:00 every day (UTC-4, then UTC-5 from
    the second reading): its offset depends on `fold`, as PEP 495 zones' do."""

    def utcoffset(self, dt):
        if dt.hour == 1 and dt.fold:
            return timedelta(hours=-5)
        return timedelta(hours=-4 if dt.hour < 2 else -5)

    def dst(self, dt):
        return timedelta(0)

    def tzname(self, dt):
        return "FZ"


FOLD = FoldZone()
TIMES = [
    datetime(2026, 12, 24, 8, 0, tzinfo=UTC), datetime(2026, 12, 24, 8, 0),
    datetime(2026, 12, 24, 8, 0, fold=1), datetime(2026, 12, 24, 13, 30, tzinfo=timezone(
        timedelta(hours=5, minutes=30))), datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
    timezones.to_utc(datetime(2026, 11, 1, 1, 30), "America/New_York"),
    timezones.to_local(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "America/New_York"),
    datetime(2026, 11, 1, 1, 30, tzinfo=FOLD), datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=FOLD),
    datetime(1969, 12, 31, 23, 59, 30, 500000, tzinfo=UTC),
]


def test_times_kept_are_times_afresh():
    """A date token and its UTC text, kept, are what `timezones` gives afresh; two
    wall times told apart only by `fold` (equal as datetimes) are two instants."""
    fresh = []
    for at in TIMES:
        stamp = int(timezones.utc(at).timestamp())
        utc = timezones.format_local(at, "UTC")
        fresh.append((utc, f"<!date^{stamp}^{{time}}|{utc}>"))
    for _ in range(2):  # the second round reads what was kept
        for at, (utc, token) in zip(TIMES, fresh, strict=True):
            assert md.utc_text(at) == utc, at
            assert md.slack_date(at, "{time}") == token, at
    first, second = TIMES[-3], TIMES[-2]
    assert first == second  # the same tzinfo: compared by their fields, fold left out
    assert md.utc_text(first) == "2026-11-01 05:30 UTC"
    assert md.utc_text(second) == "2026-11-01 06:30 UTC"
    assert md.utc_text(None) == md.slack_date("not a time") == md.NO_TIME


@pytest.mark.parametrize("tz", [None, "UTC", "America/New_York", "Asia/Kathmandu",
                                "Australia/Lord_Howe", "Not/AZone"])
def test_local_times_kept_are_local_times_afresh(tz):
    fresh = [pages.local_time.__wrapped__(at, tz) for at in TIMES]
    for _ in range(2):  # the second round reads what was kept
        assert [pages.local_time(at, tz) for at in TIMES] == fresh
    assert fresh[-3] != fresh[-2]  # the two readings of 01:30 in the fold
