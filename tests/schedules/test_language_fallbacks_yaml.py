"""Schedules as code: `language_fallbacks` (PRODUCT.md "Languages the team does not
serve"). Bad inputs are named fixtures whose `# expect:` lines are where a problem must
be reported (file:line:field), each message with a correct example; the good example
team round-trips through export, import and the store."""

from __future__ import annotations

import dataclasses

from bot.core.diff import diff_teams
from bot.schedules.reader import load_team_file, parse_team
from bot.schedules.writer import dump_team
from bot.store import teams as team_store
from bot.store.db import session_factory
from tests.schedules.test_schedules_io import EXAMPLE, check_fixture


def test_the_example_team_sends_unserved_languages_to_its_readers():
    team = load_team_file(EXAMPLE)
    assert dict(team.language_fallbacks) == {"it": ("es", "pt"), "gl": ("pt", "es"),
                                             "ca": ("es", "fr"), "de": ("en",),
                                             "*": ("en",)}
    assert team.fallbacks_for("it") == ("es", "pt")
    assert team.fallbacks_for("ja") == ("en",)


def test_values_that_do_not_read_are_reported_at_their_lines():
    check_fixture(
        "bad_language_fallbacks_values.yaml",
        "language_fallbacks.ita: 'ita' is a three-letter code; use the ISO 639-1 "
        "two-letter code 'it'",
        "language_fallbacks.gl: must be a list, not the value 'es'; e.g. [es, pt]",
        "language_fallbacks.de: must not be empty; e.g. [es, pt]",
        "language_fallbacks.ca[1]: 'xx' is not an ISO 639-1 language code",
        "language 'ca' is listed twice (first on line",
    )


def test_team_rules_are_reported_at_their_lines_with_an_example():
    check_fixture(
        "bad_language_fallbacks_rules.yaml",
        "language_fallbacks.es: 'es' is one of the team's languages [en, es, ar]: its "
        "requests go to its own readers; list only languages the team does not serve, "
        'e.g. {it: [es, pt], "*": [en]}',
        "language_fallbacks.it[1]: 'pt' is not one of the team's languages [en, es, ar]; a "
        "fallback must be a language the team serves, e.g. it: [en]",
        "language_fallbacks.gl[2]: fallback language 'es' is listed twice; list each once",
    )


def test_export_then_import_changes_nothing_and_the_diff_names_each_change(db_engine):
    team = load_team_file(EXAMPLE)
    text = dump_team(team)
    assert '  it: [es, pt]\n' in text and "'*': [en]" in text
    assert parse_team(text, "exported.yaml") == team
    sessions = session_factory(db_engine)  # migrated to head: 0009 included
    with sessions() as session, session.begin():
        team_store.save_team(session, team)
    with sessions() as session:
        stored = team_store.load_team(session, team.name)
    assert stored == team and diff_teams(stored, team) == []
    edited = dataclasses.replace(team, language_fallbacks=(
        ("it", ("es",)), ("gl", ("pt", "es")), ("ca", ("es", "fr")), ("de", ("en",)),
        ("*", ("en",)), ("nl", ("en",))))
    assert diff_teams(team, edited) == ["~ language fallback it: languages es, pt -> es",
                                        "+ language fallback nl (en)"]
    assert diff_teams(edited, dataclasses.replace(edited, language_fallbacks=())) == [
        f"- language fallback {k}" for k in ("it", "gl", "ca", "de", "*", "nl")]
