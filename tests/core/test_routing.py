"""bot.core.routing against plain values: who is paged, in which order, and the fallback
chain when nobody on shift reads the request's language."""

from __future__ import annotations

from bot.core import routing
from tests.core.team_values import NOW, always, away_now, person, roster


def users(candidates: list[routing.Candidate]) -> list[str]:
    return [c.user for c in candidates]


def test_primary_tier_before_secondary_whatever_the_language_strength():
    r = roster([person("U_SEC", "es"), person("U_PRI", "en", "es")],
               [always("late", "U_SEC", tier="secondary"), always("main", "U_PRI")])
    found = routing.on_call_readers(r, "es", NOW, {})
    assert users(found) == ["U_PRI", "U_SEC"]
    assert [(c.source, c.rotation, c.tier) for c in found] == [
        (routing.ON_CALL, "main", "primary"), (routing.ON_CALL, "late", "secondary")]


def test_stronger_language_before_fewer_recent_pages():
    r = roster([person("U_WEAK", "en", "es"), person("U_STRONG", "es", "en")],
               [always("a", "U_WEAK"), always("b", "U_STRONG")])
    recent = {"U_STRONG": 5}
    assert users(routing.on_call_readers(r, "es", NOW, recent)) == ["U_STRONG", "U_WEAK"]


def test_fewest_recent_pages_first_then_the_order_the_team_lists_them():
    people = [person(u, "ar") for u in ("U_C", "U_A", "U_B")]
    r = roster(people, [always(f"r{u}", u) for u in ("U_C", "U_A", "U_B")])
    assert users(routing.on_call_readers(r, "ar", NOW, {"U_A": 2, "U_C": 1})) == [
        "U_B", "U_C", "U_A"]
    # Not by user id: U_C is listed first in the team.
    assert users(routing.on_call_readers(r, "ar", NOW, {})) == ["U_C", "U_A", "U_B"]


def test_people_who_do_not_read_the_language_are_not_readers():
    r = roster([person("U_EN", "en"), person("U_AR", "ar")],
               [always("a", "U_EN"), always("b", "U_AR")])
    assert users(routing.on_call_readers(r, "ar", NOW, {})) == ["U_AR"]


def test_someone_away_is_skipped_on_shift_and_as_backup():
    r = roster([person("U_AWAY", "es"), person("U_HERE", "es"),
                person("U_OFF_AWAY", "es", backup=("es",))],
               [always("a", "U_AWAY"), always("b", "U_HERE")],
               time_off=(away_now("U_AWAY"), away_now("U_OFF_AWAY")))
    assert users(routing.chain(r, "es", NOW, {})) == ["U_HERE"]
    assert routing.backups(r, "es", NOW, {}) == []


def test_backups_are_off_shift_opted_in_readers_ordered_like_the_on_call():
    r = roster([person("U_ON", "en"),
                person("U_ON_OPTED", "ar", backup=("ar",)),  # on shift: not a backup
                person("U_SECOND", "en", "ar", backup=("ar",)),
                person("U_BUSY", "ar", backup=("ar",)),
                person("U_IDLE", "ar", backup=("ar",)),
                person("U_NOT_OPTED", "ar")],
               [always("a", "U_ON"), always("b", "U_ON_OPTED")])
    found = routing.backups(r, "ar", NOW, {"U_BUSY": 3})
    assert users(found) == ["U_IDLE", "U_BUSY", "U_SECOND"]
    assert {c.source for c in found} == {routing.BACKUP}
    assert not any(c.needs_translation for c in found)


def test_chain_pages_on_call_readers_when_there_are_any():
    r = roster([person("U_ON", "es"), person("U_BACKUP", "es", backup=("es",))],
               [always("a", "U_ON")])
    assert users(routing.chain(r, "es", NOW, {})) == ["U_ON"]


def test_chain_falls_back_to_backups_when_nobody_on_shift_reads_it():
    r = roster([person("U_ON", "en"), person("U_BACKUP", "ar", backup=("ar",))],
               [always("a", "U_ON")])
    [c] = routing.chain(r, "ar", NOW, {})
    assert (c.user, c.source, c.needs_translation) == ("U_BACKUP", routing.BACKUP, False)


def test_chain_falls_back_to_everyone_on_call_flagged_for_translation():
    r = roster([person("U_PRI_BUSY", "en"), person("U_PRI", "en"), person("U_SEC", "es"),
                person("U_OFF", "ar")],  # reads it, but off shift and not opted in
               [always("s", "U_SEC", tier="secondary"), always("p1", "U_PRI_BUSY"),
                always("p2", "U_PRI"), always("p3", "U_PRI")])
    found = routing.chain(r, "ar", NOW, {"U_PRI_BUSY": 1})
    assert users(found) == ["U_PRI", "U_PRI_BUSY", "U_SEC"]  # one entry per person
    assert all(c.source == routing.TRANSLATION and c.needs_translation for c in found)


def test_chain_is_empty_when_nobody_is_on_call():
    r = roster([person("U_OFF", "en")], [always("a", "U_OFF")],
               time_off=(away_now("U_OFF"),))
    assert routing.chain(r, "en", NOW, {}) == []


def test_weighed_is_everyone_any_level_of_the_chain_can_page():
    """Routing reads the page history of `weighed` only: it must hold whoever any
    level (readers, fallbacks, backups, translators) can return, and not the rest."""
    r = roster([person("U_ES", "es"), person("U_EN", "en"),
                person("U_AR_BACKUP", "ar", backup=("ar",)),
                person("U_OFF", "ar"), person("U_OFF_EN", "en")],
               [always("a", "U_ES"), always("b", "U_EN", tier="secondary")])
    weighed = routing.weighed(r, NOW)
    assert weighed == {"U_ES", "U_EN", "U_AR_BACKUP"}
    assert set(users(routing.translators(r, NOW, {}))) <= weighed
    for lang in ("es", "en", "ar", "fr", None):
        for level in (routing.chain, routing.step_backups, routing.fallback_readers):
            assert set(users(level(r, lang, NOW, {}))) <= weighed, (lang, level)
