"""`oncall-bot schedules validate|import|export` as a manager uses it.

- every named bad fixture is rejected with file:line and the field on stderr, and
  "nothing was written" is true: the database (empty, or already holding the team) is
  unchanged, also when a folder mixes a good file with a bad one (all or nothing);
- `import` is idempotent, `--dry-run` writes nothing, `export` then `import` changes
  nothing, and an edited file prints exactly its changes (SQLite and PostgreSQL).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.schedules.reader import load_team_file, parse_team
from bot.store import teams as team_store
from bot.store.db import make_engine, migrate, session_factory
from tests.cli.runner import run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "schedules" / "example" / "safety-escalations.yaml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "schedules"
BAD = sorted(FIXTURES.glob("bad_*.yaml"))
TEAM = "safety-escalations"
SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")

# An edit a manager might make: Lucía and João swap places in emea-es-pt (a member
# moved) and amer-ar-fr starts an hour earlier (a shift changed).
MEMBERS_BEFORE = "members: [U0EU00004, U0EU00005]"
MEMBERS_AFTER = "members: [U0EU00005, U0EU00004]"
EDIT_CHANGES = [
    "~ rotation emea-es-pt: members U0EU00004, U0EU00005 -> U0EU00005, U0EU00004",
    "~ rotation amer-ar-fr: shift 09:00-17:00 -> 08:00-17:00",
]


def edited_example() -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.count(MEMBERS_BEFORE) == 1
    text = text.replace(MEMBERS_BEFORE, MEMBERS_AFTER)
    head, tail = text.split("  - name: amer-ar-fr\n", 1)
    assert tail.count('shift: "09:00-17:00"') >= 1
    tail = tail.replace('shift: "09:00-17:00"', 'shift: "08:00-17:00"', 1)
    return head + "  - name: amer-ar-fr\n" + tail


def expected_marks(path: Path) -> list[tuple[int, str]]:
    """(line, field) for every `# expect: <field>` marker in a fixture."""
    marks = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        m = re.search(r"# expect:[ \t]*(\S*)", line)
        if m:
            marks.append((n, m.group(1)))
    return marks


def stored(url: str) -> dict[str, int]:
    """Team name -> revision, as the database holds them now."""
    engine = make_engine(url)
    try:
        migrate(engine)
        with session_factory(engine)() as session:
            return {n: team_store.team_revision(session, n)
                    for n in team_store.list_team_names(session)}
    finally:
        engine.dispose()


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh working folder whose schedules folder holds only the example team."""
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    shutil.copy(EXAMPLE, schedules / EXAMPLE.name)
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ONCALL_SCHEDULES", str(schedules))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def sqlite_env(work: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{work / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def any_db(work: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> str:
    """DATABASE_URL on SQLite and on PostgreSQL (an empty database each time)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def import_example(capsys, url: str) -> str:
    """Import the example team; return its export (the database's view of it)."""
    r = run(capsys, "schedules", "import", str(EXAMPLE))
    assert r.code == 0, r.err
    assert stored(url) == {TEAM: 1}
    return export(capsys)


def export(capsys) -> str:
    r = run(capsys, "schedules", "export")
    assert r.code == 0, r.err
    return r.out


# -- validate -------------------------------------------------------------------------------


def test_there_are_bad_fixtures():
    assert len(BAD) >= 15


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_validate_bad_fixture(sqlite_env, work, capsys, path):
    r = run(capsys, "schedules", "validate", str(path))
    assert r.code != 0
    assert r.out == ""
    marks = expected_marks(path)
    assert marks
    for line, field in marks:
        where = f"{path}:{line}: " + (f"{field}: " if field else "")
        assert where in r.err, f"{where!r} not in:\n{r.err}"
    assert r.err.rstrip().endswith("nothing was written.")
    n = len(re.findall(rf"^{re.escape(str(path))}:\d+: ", r.err, flags=re.M))
    assert f"{n} problem{'s' if n != 1 else ''} found" in r.err
    assert not (work / "cli.db").exists()  # validate never opens the database


def test_validate_good_files(sqlite_env, work, capsys):
    r = run(capsys, "schedules", "validate")  # default: ONCALL_SCHEDULES
    assert r.code == 0, r.err
    assert r.out.startswith(f"ok: team {TEAM}: 15 specialists, 7 rotations, 1 overrides, "
                            "1 time-off entries")
    r = run(capsys, "schedules", "validate", str(FIXTURES / "good_minimal.yaml"))
    assert r.code == 0, r.err
    assert "ok: team fixture-team" in r.out
    assert not (work / "cli.db").exists()


def test_validate_missing_path(sqlite_env, work, capsys):
    r = run(capsys, "schedules", "validate", "no-such-folder")
    assert r.code != 0
    assert "no-such-folder" in r.err and "does not exist" in r.err


# -- import: bad files write nothing ------------------------------------------------------


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_import_bad_fixture_into_empty_database(sqlite_env, work, capsys, path):
    r = run(capsys, "schedules", "import", str(path))
    assert r.code != 0
    assert r.out == ""
    assert f"{path}:" in r.err
    assert "nothing was written" in r.err
    assert not (work / "cli.db").exists()
    assert stored(sqlite_env) == {}


# Broken versions of the example team, each also carrying a valid edit (the member
# swap) that must not be applied either.
BREAKS = {
    "timezone": ("timezone: Europe/Dublin      # on Dublin's clock",
                 "timezone: Europe/Dublinn     # on Dublin's clock", "rotations[3].timezone"),
    "member": ("members: [U0SG00012, U0SG00013]", "members: [U0SG00012, U0SG00099]",
               "rotations[3].members[1]"),
    "wait": ("- {notify: language_oncall, wait: 15m}", "- {notify: language_oncall, wait: 15}",
             "escalation.policies.sev3.steps[0].wait"),
}


@pytest.mark.parametrize("kind", list(BREAKS))
def test_import_bad_edit_leaves_stored_team_unchanged(any_db, work, capsys, kind):
    before = import_example(capsys, any_db)
    old, new, field = BREAKS[kind]
    text = edited_example()
    assert text.count(old) == 1
    bad = work / "team.yaml"
    bad.write_text(text.replace(old, new), encoding="utf-8")

    for argv in (["import"], ["import", "--dry-run"], ["validate"]):
        r = run(capsys, "schedules", *argv, str(bad))
        assert r.code != 0
        assert r.out == ""
        assert re.search(rf"{re.escape(str(bad))}:\d+: {re.escape(field)}: ", r.err), r.err
        assert "nothing was written" in r.err
    assert stored(any_db) == {TEAM: 1}
    assert export(capsys) == before


def test_import_folder_is_all_or_nothing(sqlite_env, work, capsys):
    folder = work / "incoming"
    folder.mkdir()
    (folder / "a-good.yaml").write_text(edited_example(), encoding="utf-8")
    shutil.copy(FIXTURES / "bad_unknown_timezone.yaml", folder / "b-bad.yaml")

    # Empty database: the good file is not imported either.
    r = run(capsys, "schedules", "import", str(folder))
    assert r.code != 0
    assert r.out == ""
    assert f"{folder / 'b-bad.yaml'}:23: rotations[0].timezone: " in r.err
    assert "a-good.yaml" not in r.err
    assert "nothing was written" in r.err
    assert stored(sqlite_env) == {}

    # Database holding the team: the good file's change is not applied.
    before = import_example(capsys, sqlite_env)
    r = run(capsys, "schedules", "import", str(folder))
    assert r.code != 0
    assert "nothing was written" in r.err
    assert stored(sqlite_env) == {TEAM: 1}
    assert export(capsys) == before

    # Without the bad file the folder imports.
    (folder / "b-bad.yaml").unlink()
    r = run(capsys, "schedules", "import", str(folder))
    assert r.code == 0, r.err
    assert r.out.splitlines()[1:] == [f"  {line}" for line in EDIT_CHANGES]
    assert stored(sqlite_env) == {TEAM: 2}


# -- import / export on both backends -------------------------------------------------------


def test_import_is_idempotent_and_export_import_changes_nothing(any_db, work, capsys):
    first = run(capsys, "schedules", "import")  # default: ONCALL_SCHEDULES
    assert first.code == 0, first.err
    lines = first.out.splitlines()
    assert re.fullmatch(rf"team {TEAM}: changed \d+ thing\(s\):", lines[0])
    assert lines[1].startswith(f"  + team {TEAM} (languages en, es, ar, pt, fr;")
    assert "  + rotation ar-fr-overnight (Europe/Dublin 23:00-07:00" in first.out
    assert stored(any_db) == {TEAM: 1}

    again = run(capsys, "schedules", "import")
    assert again.code == 0, again.err
    assert again.out == f"team {TEAM}: no changes\n"
    assert stored(any_db) == {TEAM: 1}

    exported = export(capsys)
    assert parse_team(exported, "exported.yaml") == load_team_file(EXAMPLE)
    out_file = work / "exported.yaml"
    out_file.write_text(exported, encoding="utf-8")
    r = run(capsys, "schedules", "import", str(out_file))
    assert r.code == 0, r.err
    assert r.out == f"team {TEAM}: no changes\n"
    assert stored(any_db) == {TEAM: 1}

    # export into a folder, then import the folder: still nothing
    r = run(capsys, "schedules", "export", str(work / "backup"))
    assert r.code == 0, r.err
    assert r.out == ""
    assert (work / "backup" / f"{TEAM}.yaml").read_text(encoding="utf-8") == exported
    r = run(capsys, "schedules", "import", str(work / "backup"))
    assert (r.code, r.out) == (0, f"team {TEAM}: no changes\n")
    assert stored(any_db) == {TEAM: 1}
    assert export(capsys) == exported


def test_import_dry_run_writes_nothing(any_db, work, capsys):
    r = run(capsys, "schedules", "import", "--dry-run", str(EXAMPLE))
    assert r.code == 0, r.err
    assert r.out.startswith(f"team {TEAM}: would change ")
    assert ("  + specialist U0EU00004 Lucía Martín (Europe/Madrid; reads es, pt, en; "
            "skills le_requests, child_safety)") in r.out
    assert r.out.endswith("dry run: nothing was written\n")
    assert stored(any_db) == {}

    before = import_example(capsys, any_db)
    edited = work / "edited.yaml"
    edited.write_text(edited_example(), encoding="utf-8")
    r = run(capsys, "schedules", "import", "--dry-run", str(edited))
    assert r.code == 0, r.err
    assert r.out.splitlines() == [f"team {TEAM}: would change 2 thing(s):",
                                  *(f"  {line}" for line in EDIT_CHANGES),
                                  "dry run: nothing was written"]
    assert stored(any_db) == {TEAM: 1}
    assert export(capsys) == before


def test_import_edited_file_prints_exactly_its_changes(any_db, work, capsys):
    import_example(capsys, any_db)
    edited = work / "edited.yaml"
    edited.write_text(edited_example(), encoding="utf-8")
    r = run(capsys, "schedules", "import", str(edited))
    assert r.code == 0, r.err
    assert r.out.splitlines() == [f"team {TEAM}: changed 2 thing(s):",
                                  *(f"  {line}" for line in EDIT_CHANGES)]
    assert r.err == ""
    assert stored(any_db) == {TEAM: 2}
    assert parse_team(export(capsys), "db.yaml") == load_team_file(edited)

    # the schedule questions see the edit at once: João now has the first week
    r = run(capsys, "shifts", "--rotation", "emea-es-pt", "--from", "2026-01-05", "--days", "1",
            "--json")
    assert r.code == 0, r.err
    assert '"user": "U0EU00005"' in r.out

    again = run(capsys, "schedules", "import", str(edited))
    assert again.out == f"team {TEAM}: no changes\n"
    assert stored(any_db) == {TEAM: 2}


def test_export_empty_database(any_db, work, capsys):
    r = run(capsys, "schedules", "export")
    assert r.code != 0
    assert r.out == ""
    assert "holds no team" in r.err


def test_export_unknown_team_names_the_known_ones(any_db, work, capsys):
    import_example(capsys, any_db)
    r = run(capsys, "schedules", "export", "--team", "nope")
    assert r.code != 0
    assert r.out == ""
    assert "no team named 'nope'" in r.err and TEAM in r.err
    r = run(capsys, "schedules", "export", "--team", TEAM)
    assert r.code == 0, r.err
    assert r.out.startswith(f"team: {TEAM}\n")


# -- warnings ---------------------------------------------------------------------------------


def test_warnings_are_printed_and_do_not_fail(any_db, work, capsys):
    """A category's skill nobody holds: validate and import say so at file:line:field,
    exit 0, and the team is imported; export then import changes nothing."""
    text = EXAMPLE.read_text(encoding="utf-8")
    old = "    skills: [child_safety]\n    due: 30m\n"
    assert text.count(old) == 1
    path = work / "warned.yaml"
    path.write_text(text.replace(old, "    skills: [child_safety, forensics]\n    due: 30m\n"),
                    encoding="utf-8")
    line = path.read_text(encoding="utf-8").splitlines().index(
        "    skills: [child_safety, forensics]") + 1
    warning = (f"warning: {path}:{line}: categories[3].skills[1]: no specialist holds skill "
               "'forensics', which category 'child-safety' requires")
    r = run(capsys, "schedules", "validate", str(path))
    assert r.code == 0, r.err
    assert r.out.startswith(f"ok: team {TEAM}:")
    assert warning in r.err and "1 warning (allowed, but check it)" in r.err
    r = run(capsys, "schedules", "import", str(path))
    assert r.code == 0, r.err
    assert warning in r.err
    assert "+ category child-safety" in r.out
    assert stored(any_db) == {TEAM: 1}
    exported = export(capsys)
    assert "    skills: [child_safety, forensics]\n" in exported
    assert parse_team(exported, "x.yaml") == load_team_file(path)


def test_the_example_validates_without_warnings(sqlite_env, work, capsys):
    r = run(capsys, "schedules", "validate", str(EXAMPLE))
    assert r.code == 0 and r.err == ""
