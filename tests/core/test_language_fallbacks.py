"""Requests in languages the team does not serve (PRODUCT.md "Languages the team does
not serve"): `Team.fallbacks_for`, the routing chain through the fallbacks' readers,
the escalation's pages and notes, the team rules of `language_fallbacks`."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import checks, escalation, routing
from bot.core import escalation_words as words
from bot.core.model import UNKNOWN_LANGUAGE, EscalationPolicy, EscalationStep
from tests.core.team_values import NOW, always, away_now, person, roster

FALLBACKS = (("it", ("es", "ar")), ("*", ("en",)))


def team_roster(people, rotations, fallbacks=FALLBACKS, time_off=()):
    r = roster(people, rotations, time_off)
    return type(r)(dataclasses.replace(r.team, language_fallbacks=fallbacks))


def users(found):
    return [c.user for c in found]


def test_fallbacks_for_a_language_its_own_entry_else_star_else_the_first_language():
    r = team_roster([], [])
    assert r.team.fallbacks_for("it") == ("es", "ar")
    assert r.team.fallbacks_for("de") == ("en",)
    assert r.team.fallbacks_for(UNKNOWN_LANGUAGE) == ("en",)
    assert r.team.fallbacks_for(None) == ("en",)
    bare = team_roster([], [], fallbacks=(("it", ("ar",)),)).team
    assert bare.fallbacks_for("de") == ("en",)  # no "*": the team's first language
    assert bare.fallbacks_for("it") == ("ar",)
    assert team_roster([], [], fallbacks=()).team.fallbacks_for("it") == ("en",)


def test_an_italian_request_pages_spanish_readers_first_flagged_as_read_as_spanish():
    r = team_roster([person("U_EN", "en"), person("U_AR", "ar", "en"),
                     person("U_ES", "es", "en")],
                    [always("a", "U_EN"), always("b", "U_AR"), always("c", "U_ES")])
    found = routing.chain(r, "it", NOW, {})
    assert users(found) == ["U_ES", "U_AR"]
    assert [(c.source, c.read_as, c.needs_translation) for c in found] == [
        (routing.ON_CALL, "es", True), (routing.ON_CALL, "ar", True)]


def test_a_reader_of_two_fallbacks_is_listed_once_as_a_reader_of_the_first():
    r = team_roster([person("U_BOTH", "ar", "es"), person("U_ES", "es")],
                    [always("a", "U_BOTH"), always("b", "U_ES")])
    found = routing.chain(r, "it", NOW, {})
    # Both read Spanish (the first fallback): U_ES reads it more strongly.
    assert [(c.user, c.read_as) for c in found] == [("U_ES", "es"), ("U_BOTH", "es")]


def test_a_free_reader_of_the_second_fallback_comes_before_busy_readers_of_the_first():
    r = team_roster([person("U_ES", "es"), person("U_AR", "ar")],
                    [always("a", "U_ES"), always("b", "U_AR")])
    load = routing.Load(open={"U_ES": 3}, capacity=3)
    assert users(routing.chain(r, "it", NOW, load)) == ["U_AR", "U_ES"]


def test_skills_filter_fallback_readers_like_any_reader():
    es = dataclasses.replace(person("U_ES", "es"), skills=())
    ar = dataclasses.replace(person("U_AR", "ar"), skills=("child_safety",))
    r = team_roster([es, ar], [always("a", "U_ES"), always("b", "U_AR")])
    assert users(routing.chain(r, "it", NOW, {}, ("child_safety",))) == ["U_AR"]


def test_then_backups_of_the_fallbacks_then_anyone_on_call_needing_translation():
    people = [person("U_EN", "en"), person("U_ES_BACKUP", "es", backup=("es",))]
    r = team_roster(people, [always("a", "U_EN")])
    [c] = routing.chain(r, "it", NOW, {})
    assert (c.user, c.source, c.read_as, c.needs_translation) == (
        "U_ES_BACKUP", routing.BACKUP, "es", True)
    r = team_roster([person("U_EN", "en"), person("U_ES_AWAY", "es", backup=("es",))],
                    [always("a", "U_EN")], time_off=(away_now("U_ES_AWAY"),))
    [c] = routing.chain(r, "it", NOW, {})
    assert (c.user, c.source, c.read_as, c.needs_translation) == (
        "U_EN", routing.TRANSLATION, None, True)


def test_an_unknown_language_goes_to_the_star_fallback():
    r = team_roster([person("U_ES", "es"), person("U_EN", "en")],
                    [always("a", "U_ES"), always("b", "U_EN")])
    [c] = routing.chain(r, UNKNOWN_LANGUAGE, NOW, {})
    assert (c.user, c.read_as, c.needs_translation) == ("U_EN", "en", True)


def test_a_served_language_routes_exactly_as_without_fallbacks():
    people = [person("U_ES", "es", "en"), person("U_EN", "en", "es"),
              person("U_B", "ar", backup=("ar",))]
    rotations = [always("a", "U_ES"), always("b", "U_EN", tier="secondary")]
    with_fb, without = team_roster(people, rotations), team_roster(people, rotations, ())
    for lang in ("en", "es", "ar"):
        assert routing.chain(with_fb, lang, NOW, {}) == routing.chain(without, lang, NOW, {})
    assert all(c.read_as is None for c in routing.chain(with_fb, "ar", NOW, {}))


@settings(max_examples=60, deadline=None)
@given(langs=st.lists(st.sampled_from(["en", "es", "ar"]), min_size=1, max_size=3,
                      unique=True),
       readers=st.lists(st.lists(st.sampled_from(["en", "es", "ar"]), min_size=1,
                                 max_size=3, unique=True), min_size=1, max_size=5),
       busy=st.lists(st.integers(0, 4), min_size=5, max_size=5))
def test_fallback_readers_are_every_on_call_reader_of_a_fallback_free_ones_first(
        langs, readers, busy):
    people = [person(f"U{i}", *ls) for i, ls in enumerate(readers)]
    r = team_roster(people, [always(f"r{i}", p.id) for i, p in enumerate(people)],
                    fallbacks=(("it", tuple(langs)),))
    load = routing.Load(open={p.id: busy[i] for i, p in enumerate(people)}, capacity=3)
    found = routing.chain(r, "it", NOW, load)
    expect = {p.id for p in people if set(p.languages) & set(langs)}
    if expect:
        assert set(users(found)) == expect and len(found) == len(expect)
        for c in found:  # chosen as the first fallback they read
            spec = r.specialist(c.user)
            assert c.read_as == next(x for x in langs if x in spec.languages)
            assert c.needs_translation
        free = [not load.busy(c.user) for c in found]
        assert free == sorted(free, reverse=True)
        places = [langs.index(c.read_as) for c, f in zip(found, free, strict=True) if f]
        assert places == sorted(places)
    else:  # nobody reads a fallback: anyone on call, needing translation
        assert {c.source for c in found} == {routing.TRANSLATION}


_MIN = timedelta(minutes=2)
POLICY = EscalationPolicy((EscalationStep("language_oncall", None),))


def test_the_escalation_pages_a_spanish_reader_and_says_why_on_the_timeline():
    r = team_roster([person("U_EN", "en"), person("U_ES", "es")],
                    [always("a", "U_EN"), always("b", "U_ES")])
    ctx = escalation.Context(r, "it", ("U_M",), "C0ESCAL")
    d = escalation.decide(POLICY, None, escalation.START, ctx, NOW)
    [fired] = d.fired
    assert fired.pages == (escalation.Page("U_ES", routing.ON_CALL, True, "es"),)
    assert fired.note == "nobody on the team reads Italian: paging a Spanish reader; " \
                         "needs translation"
    assert words.who_was_paged("U_ES", routing.ON_CALL, "it", "es") == (
        "{@U_ES}, Spanish reader on call (written in Italian; needs translation)")


def test_reroute_fires_the_last_step_again_for_the_new_language():
    policy = EscalationPolicy((EscalationStep("language_oncall", _MIN),
                               EscalationStep("managers", None)))
    r = team_roster([person("U_EN", "en"), person("U_AR", "ar")],
                    [always("a", "U_EN"), always("b", "U_AR")])
    ctx = escalation.Context(r, "ar", ("U_M",), "C0ESCAL")
    last = escalation.Position(0, 0)
    d = escalation.decide(policy, last, escalation.REROUTE, ctx, NOW)
    assert d.position == last and [p.user for p in d.fired[0].pages] == ["U_AR"]
    assert d.next_due == NOW + _MIN


def test_language_fallbacks_rules():
    r = team_roster([], [], fallbacks=(("es", ("en",)), ("it", ("es", "es")),
                                        ("de", ("fr",)), ("xx", ("en",))))
    found = {(p.where, p.message.split(";")[0]) for p in checks.problems(r.team)}
    assert (("language_fallbacks", "es"),
            "'es' is one of the team's languages [en, es, ar]: its requests go to its own "
            "readers") in found
    assert (("language_fallbacks", "it", 1), "fallback language 'es' is listed twice") in found
    assert (("language_fallbacks", "de", 0),
            "'fr' is not one of the team's languages [en, es, ar]") in found
    assert (("language_fallbacks", "xx"), "'xx' is not an ISO 639-1 language code") in found
    assert checks.problems(team_roster([], []).team) == []


