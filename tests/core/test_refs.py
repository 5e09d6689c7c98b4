"""bot.core.refs: neutral references in service text, and the two renderers of them."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.core import refs
from bot.slack.text import from_neutral


def test_each_reference_renders_as_slack_markup() -> None:
    text = (f"{refs.person('U0AR00001')} posted in {refs.channel('C0ESCAL01')} for "
            f"{refs.group('S0MGRGRP1')}; try {refs.command('oncall export emea')}")
    assert from_neutral(text) == ("<@U0AR00001> posted in <#C0ESCAL01> for "
                                  "<!subteam^S0MGRGRP1>; try `/oncall export emea`")


def test_each_reference_renders_as_plain_text() -> None:
    text = f"{refs.people(['U1', 'U2'])} in {refs.channel('C1')}: {refs.command('oncall who')}"
    assert refs.plain(text) == "@U1, @U2 in #C1: /oncall who"
    assert refs.people([]) == "nobody"


def test_an_instant_is_a_date_token_with_a_utc_fallback() -> None:
    at = refs.moment(datetime(2026, 12, 24, 8, 0, tzinfo=UTC))
    assert from_neutral(at) == ("<!date^1798099200^{date_short_pretty} {time}"
                                "|2026-12-24 08:00 UTC>")
    assert refs.plain(at) == "2026-12-24 08:00 UTC"


def test_typed_text_never_becomes_a_reference() -> None:
    note = "ask {@U0MGR0001} and {#C0X} {weird"
    text = f"{refs.person('U1')} resolved: {refs.typed(note)}"
    assert from_neutral(text) == "<@U1> resolved: ask {@U0MGR0001} and {#C0X} {weird"
    assert refs.plain(text) == "@U1 resolved: ask {@U0MGR0001} and {#C0X} {weird"


def test_text_without_references_is_unchanged() -> None:
    text = "T-12 was already resolved (see the card) {not a ref}"
    assert from_neutral(text) == text


def test_typed_markup_shows_as_written_and_is_never_markup() -> None:
    note = "told <@U123> & <!channel> in <#C1>, see <https://x|y>"
    text = f"{refs.person('U1')} resolved: {refs.typed(note)}"
    assert from_neutral(text) == ("<@U1> resolved: told &lt;@U123&gt; &amp; &lt;!channel&gt; "
                                  "in &lt;#C1&gt;, see &lt;https://x|y&gt;")
    assert refs.plain(text) == f"@U1 resolved: {note}"


@given(st.text(), st.text(alphabet="{}[]@#x "), st.text(alphabet="{}[]@#x "))
def test_a_typed_span_comes_back_whole_whatever_was_typed(typed, before, after) -> None:
    """Whatever a person types (braces, the span's own delimiters, anything), the span
    renders as exactly that text and ends where it was meant to end."""
    service = refs.typed(before)  # the service's own text around it: only references
    text = f"{refs.person('U1')} {service}{refs.typed(typed)}{refs.typed(after)}"
    assert refs.plain(text) == f"@U1 {before}{typed}{after}"
    assert [p for p in refs.split_typed(text) if p[0]] == [(True, before), (True, typed),
                                                           (True, after)]
    assert refs.split_typed(text)[0] == (False, "{@U1} ")
