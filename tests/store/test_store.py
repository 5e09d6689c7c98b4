"""Storage: Team round trips on SQLite and PostgreSQL, revisions, UTC columns,
SQLite pragmas, migrations (Alembic from the repository root and `migrate()`)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import threading
from datetime import UTC as STDLIB_UTC
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from bot.config import Settings, default_database_url, normalize_database_url
from bot.core.model import (
    EscalationPolicy,
    EscalationStep,
    Override,
    Rotation,
    Specialist,
    Team,
    TimeOff,
)
from bot.core.timezones import UTC
from bot.store.db import (
    NaiveDatetimeError,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    session_factory,
)
from bot.store.tables import Base, RotationMemberRow, SpecialistRow, TimeOffRow
from bot.store.teams import (
    RevisionConflict,
    delete_team,
    list_team_names,
    load_team,
    save_team,
    team_revision,
)
from tests.db_template import premigrated

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "teams",
    "team_managers",
    "specialists",
    "rotations",
    "rotation_members",
    "overrides",
    "time_off",
    "escalation_policies",
    "escalation_steps",
}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


LAYLA = Specialist("U0AR00001", "Layla Haddad", "Asia/Dubai", ("ar", "fr", "en"), backup=("ar",))
DIEGO = Specialist("U0ES00002", "Diego Ramírez", "America/Chicago", ("es", "en"), holidays="US-TX")
ANA = Specialist("U0PT00003", "Ana Souza", "Asia/Singapore", ("pt", "es", "en"))

EMEA = Rotation(
    name="emea",
    timezone="Europe/Dublin",
    shift_start=time(8, 0),
    shift_end=time(16, 0),
    days=frozenset(range(5)),
    handoff_days=7,
    start=date(2026, 1, 5),
    tier="primary",
    members=(LAYLA.id, DIEGO.id, ANA.id),
)
NIGHT = Rotation(  # crosses midnight
    name="americas-night",
    timezone="America/Chicago",
    shift_start=time(22, 0),
    shift_end=time(6, 0),
    days=frozenset({0, 2, 4, 5, 6}),
    handoff_days=3,
    start=date(2026, 1, 4),
    tier="secondary",
    members=(DIEGO.id, ANA.id),
)

TEAM = Team(
    name="safety-escalations",
    languages=("en", "es", "ar", "pt", "fr"),
    intake_channel="C0INTAKE01",
    escalation_channel="C0ESCAL01",
    managers=("U0MGR0001", "U0MGR0002"),
    manager_group="S0MGRGRP1",
    specialists=(LAYLA, DIEGO, ANA),
    rotations=(EMEA, NIGHT),
    overrides=(
        Override("emea", DIEGO.id, at(2026, 12, 24, 8), at(2026, 12, 24, 16)),
        Override("americas-night", ANA.id, at(2026, 12, 31, 4), at(2027, 1, 1, 12)),
    ),
    time_off=(
        TimeOff(LAYLA.id, at(2026, 12, 19, 20), at(2027, 1, 3, 20)),
        TimeOff(ANA.id, at(2026, 11, 2, 9, 30), at(2026, 11, 2, 13), all_day=False),
    ),
    default_severity="sev2",
    policies=(
        (
            "sev1",
            EscalationPolicy(
                steps=(
                    EscalationStep("language_oncall", timedelta(minutes=2)),
                    EscalationStep("language_oncall_all", timedelta(minutes=2)),
                    EscalationStep("managers", timedelta(minutes=3)),
                    EscalationStep("channel"),
                ),
                repeat=2,
            ),
        ),
        (
            "sev2",
            EscalationPolicy(
                steps=(
                    EscalationStep("language_oncall", timedelta(minutes=5)),
                    EscalationStep("channel"),
                ),
                repeat=1,
            ),
        ),
    ),
)

# Ana leaves; Layla moves from first to last in emea; one override and Ana's time off go.
EDITED = dataclasses.replace(
    TEAM,
    specialists=(LAYLA, DIEGO),
    rotations=(
        dataclasses.replace(EMEA, members=(DIEGO.id, LAYLA.id)),
        dataclasses.replace(NIGHT, members=(DIEGO.id,)),
    ),
    overrides=TEAM.overrides[:1],
    time_off=TEAM.time_off[:1],
)


@pytest.fixture
def sessions(db_engine: Engine):
    return session_factory(db_engine)


def save(sessions, team: Team, **kwargs) -> None:
    with sessions.begin() as session:
        save_team(session, team, **kwargs)


def load(sessions, name: str = TEAM.name) -> Team | None:
    with sessions() as session:
        return load_team(session, name)


def revision(sessions, name: str = TEAM.name) -> int | None:
    with sessions() as session:
        return team_revision(session, name)


# -- round trips ---------------------------------------------------------------------


def test_round_trip_gives_back_the_same_team(sessions):
    save(sessions, TEAM)

    loaded = load(sessions)
    assert loaded == TEAM
    assert revision(sessions) == 1
    with sessions() as session:
        assert list_team_names(session) == [TEAM.name]
    for instant in [o.start for o in loaded.overrides] + [t.end for t in loaded.time_off]:
        assert instant.utcoffset() == timedelta(0)
    assert loaded.rotation("americas-night").crosses_midnight


def test_unknown_team(sessions):
    with sessions() as session:
        assert load_team(session, "nobody") is None
        assert team_revision(session, "nobody") is None
        assert list_team_names(session) == []


def test_changes_are_saved_and_bump_the_revision_once(sessions):
    save(sessions, TEAM)
    with sessions() as session:
        kept_ids = dict(session.execute(select(SpecialistRow.slack_id, SpecialistRow.id)).all())

    save(sessions, EDITED)

    assert load(sessions) == EDITED
    assert revision(sessions) == 2
    with sessions() as session:
        # Rows with a natural key keep their identity; Ana's rows are gone.
        ids = dict(session.execute(select(SpecialistRow.slack_id, SpecialistRow.id)).all())
        assert ids == {LAYLA.id: kept_ids[LAYLA.id], DIEGO.id: kept_ids[DIEGO.id]}
        assert (
            session.scalar(
                select(RotationMemberRow).where(RotationMemberRow.specialist_id == kept_ids[ANA.id])
            )
            is None
        )


def test_saving_an_identical_team_keeps_the_revision(sessions):
    save(sessions, TEAM)
    # Equal values built separately (another tzinfo, another timedelta spelling).
    twin = dataclasses.replace(
        TEAM,
        overrides=tuple(
            dataclasses.replace(o, start=o.start.astimezone(timezone(timedelta(hours=2))))
            for o in TEAM.overrides
        ),
        time_off=tuple(
            dataclasses.replace(t, end=t.end.astimezone(STDLIB_UTC)) for t in TEAM.time_off
        ),
    )
    assert twin == TEAM

    save(sessions, twin)
    save(sessions, TEAM)

    assert revision(sessions) == 1
    assert load(sessions) == TEAM


def test_every_kind_of_change_bumps_the_revision(sessions):
    save(sessions, TEAM)
    changes = [
        dataclasses.replace(TEAM, languages=("en", "es")),
        dataclasses.replace(TEAM, managers=("U0MGR0002", "U0MGR0001")),
        dataclasses.replace(TEAM, specialists=(DIEGO, LAYLA, ANA)),
        dataclasses.replace(TEAM, rotations=(NIGHT, dataclasses.replace(EMEA, tier="secondary"))),
        dataclasses.replace(
            TEAM,
            rotations=(dataclasses.replace(EMEA, name="europe"), NIGHT),
            overrides=TEAM.overrides[1:],
        ),
        dataclasses.replace(TEAM, overrides=TEAM.overrides[::-1]),
        dataclasses.replace(TEAM, time_off=()),
        dataclasses.replace(TEAM, policies=TEAM.policies[::-1]),
        dataclasses.replace(TEAM, policies=TEAM.policies[:1]),
        dataclasses.replace(TEAM, default_severity="sev1", manager_group=None),
        TEAM,
    ]
    for expected_revision, team in enumerate(changes, start=2):
        save(sessions, team)
        assert load(sessions) == team
        assert revision(sessions) == expected_revision


def test_save_and_load_in_one_transaction(sessions):
    with sessions.begin() as session:
        save_team(session, TEAM)
        assert load_team(session, TEAM.name) == TEAM
        save_team(session, EDITED)
        assert load_team(session, TEAM.name) == EDITED
        assert team_revision(session, TEAM.name) == 2
    assert load(sessions) == EDITED


def test_save_does_not_commit(sessions):
    with sessions() as session:
        save_team(session, TEAM)
        session.rollback()
    assert load(sessions) is None


def test_expected_revision_guards_concurrent_edits(sessions):
    save(sessions, TEAM, expected_revision=0)
    save(sessions, EDITED, expected_revision=1)
    with pytest.raises(RevisionConflict) as conflict:
        save(sessions, TEAM, expected_revision=1)
    assert (conflict.value.expected, conflict.value.actual) == (1, 2)
    assert load(sessions) == EDITED


def test_concurrent_saves_take_turns(db_engine, db_url):
    """Two writers editing the same team: the second waits for the first (row lock on
    PostgreSQL, write lock taken at BEGIN on SQLite) and bumps the revision again."""
    sessions = session_factory(db_engine, immediate=True)
    save(sessions, TEAM)
    later = dataclasses.replace(EDITED, manager_group=None)
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            with sessions.begin() as session:
                load_team(session, TEAM.name)  # read first, then write
                save_team(session, later)
        except BaseException as exc:  # reported below
            errors.append(exc)

    with sessions.begin() as first:
        save_team(first, EDITED)
        thread = threading.Thread(target=second_writer)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), f"second writer did not wait: {errors}"
    thread.join(30)
    assert not thread.is_alive() and not errors, errors
    assert revision(sessions) == 3
    assert load(sessions) == later


def test_delete_team_removes_every_row(sessions):
    save(sessions, TEAM)
    with sessions.begin() as session:
        assert delete_team(session, TEAM.name)
        assert not delete_team(session, TEAM.name)
    with sessions() as session:
        for table in sorted(TABLES):
            assert session.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table


def test_teams_are_independent(sessions):
    other = dataclasses.replace(TEAM, name="another-team", overrides=(), time_off=())
    save(sessions, TEAM)
    save(sessions, other)
    save(sessions, EDITED)
    assert load(sessions, "another-team") == other
    assert revision(sessions, "another-team") == 1
    with sessions() as session:
        assert list_team_names(session) == ["another-team", TEAM.name]


# -- what cannot be stored -----------------------------------------------------------


def test_naive_datetime_is_rejected_by_save_team(sessions):
    naive = dataclasses.replace(
        TEAM, time_off=(TimeOff(LAYLA.id, datetime(2026, 12, 20), datetime(2026, 12, 21)),)
    )
    with pytest.raises(ValueError, match="naive datetime"), sessions() as session:
        save_team(session, naive)


def test_naive_datetime_is_rejected_by_the_column_type(sessions):
    save(sessions, TEAM)
    with sessions() as session:
        layla = session.scalars(
            select(SpecialistRow).where(SpecialistRow.slack_id == LAYLA.id)
        ).one()
        layla.time_off.append(
            TimeOffRow(position=9, start_utc=datetime(2026, 1, 1), end_utc=at(2026, 1, 2))
        )
        with pytest.raises(StatementError) as error:
            session.flush()
        assert isinstance(error.value.orig, NaiveDatetimeError)


def test_non_utc_datetimes_are_stored_as_utc(sessions):
    plus_two = timezone(timedelta(hours=2))
    start = datetime(2026, 6, 1, 10, 0, tzinfo=plus_two)
    team = dataclasses.replace(
        TEAM, time_off=(TimeOff(LAYLA.id, start, start + timedelta(hours=3), all_day=False),)
    )
    save(sessions, team)
    loaded = load(sessions).time_off[0]
    assert loaded.start == at(2026, 6, 1, 8)
    assert loaded.start.utcoffset() == timedelta(0)
    assert loaded.start.tzinfo is UTC


@pytest.mark.parametrize(
    "team, message",
    [
        (dataclasses.replace(TEAM, specialists=(LAYLA, DIEGO)), "is not a specialist"),
        (dataclasses.replace(TEAM, rotations=(EMEA,)), "no such rotation"),
        (dataclasses.replace(TEAM, specialists=(LAYLA, DIEGO, ANA, LAYLA)), "duplicate"),
        (
            dataclasses.replace(
                TEAM, overrides=(Override("emea", DIEGO.id, at(2026, 1, 2), at(2026, 1, 1)),)
            ),
            "not after its start",
        ),
    ],
    ids=["unknown-member", "unknown-rotation", "duplicate-specialist", "backwards-interval"],
)
def test_inconsistent_teams_are_refused(sessions, team, message):
    with pytest.raises(ValueError, match=message), sessions() as session:
        save_team(session, team)


# -- SQLite specifics ----------------------------------------------------------------


def test_sqlite_pragmas(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    finally:
        engine.dispose()


def test_sqlite_enforces_foreign_keys_and_cascades(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # restored
        sessions = session_factory(engine)
        with pytest.raises(IntegrityError), sessions.begin() as session:
            session.add(RotationMemberRow(rotation_id=999, position=0, specialist_id=999))
        save(sessions, TEAM)
        with sessions.begin() as session:
            session.execute(text("DELETE FROM teams"))
        with sessions() as session:
            for table in sorted(TABLES):
                assert session.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table
    finally:
        engine.dispose()


def test_sqlite_transactions_cover_ddl_and_savepoints(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            with conn.begin():
                conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
                conn.rollback()
            assert not inspect(conn).has_table("t")
        sessions = session_factory(engine)
        with sessions() as session:
            session.execute(text("CREATE TABLE u (x INTEGER)"))
            nested = session.begin_nested()
            session.execute(text("INSERT INTO u VALUES (1)"))
            nested.rollback()
            session.execute(text("INSERT INTO u VALUES (2)"))
            session.commit()
            assert session.scalars(text("SELECT x FROM u")).all() == [2]
    finally:
        engine.dispose()


def test_sqlite_begin_immediate_on_request(sqlite_url):
    engine = make_engine(sqlite_url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        with Session(engine) as session:
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            session.execute(text("SELECT 1"))
        assert "BEGIN IMMEDIATE" in statements
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_shared_database():
    engine = make_engine("sqlite://")
    try:
        migrate(engine)
        sessions = session_factory(engine)
        save(sessions, TEAM)
        assert load(sessions) == TEAM
    finally:
        engine.dispose()


# -- migrations ----------------------------------------------------------------------


def _schema_diff(engine: Engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def test_alembic_upgrade_head_from_the_repository_root(db_url):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["DATABASE_URL"] = db_url
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_migrate_matches_the_models_from_any_folder(db_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        migrate(engine)  # idempotent
        assert current_revision(engine) == head_revision()
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(db_url):
    from alembic import command

    from bot.store.db import alembic_config, migration_connection

    engine = make_engine(db_url)
    try:
        migrate(engine)
        cfg = alembic_config()
        with migration_connection(engine) as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        migrate(engine)
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


# -- settings (the database URL the store is given) ----------------------------------


def test_database_url_defaults_to_oncall_db_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'oncall.db'}"
    assert settings.database_url == default_database_url()
    assert settings.port == 3000
    # Unset: `serve` imports nothing; the schedule commands read ./schedules.
    assert settings.schedules_path is None
    assert settings.command_schedules == Path("schedules")


@pytest.mark.parametrize(
    "given",
    [
        "postgres://u:p@db:5432/oncall",
        "postgresql://u:p@db:5432/oncall",
        "postgresql+psycopg://u:p@db:5432/oncall",
    ],
)
def test_postgres_urls_use_psycopg(given):
    expected = "postgresql+psycopg://u:p@db:5432/oncall"
    assert normalize_database_url(given) == expected
    settings = Settings.from_env({"DATABASE_URL": given})
    assert settings.database_url == expected
    assert "p@db" not in repr(settings)


def test_settings_from_environment():
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s3cret",
            "SLACK_APP_TOKEN": "",
            "SLACK_API_URL": "http://127.0.0.1:9000/api/",
            "ONCALL_SCHEDULES": "/srv/schedules",
            "ONCALL_PUBLIC_URL": "https://oncall.example.org/",
            "PORT": "8080",
        }
    )
    assert settings.slack_bot_token == "xoxb-1"
    assert settings.slack_app_token is None
    assert not settings.socket_mode
    assert settings.schedules_path == Path("/srv/schedules")
    assert settings.public_url == "https://oncall.example.org"
    assert settings.port == 8080
    assert settings.missing_slack_settings() == []
    assert "s3cret" not in repr(settings) and "xoxb-1" not in repr(settings)
    assert Settings.from_env({}).missing_slack_settings() == [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    ]
    with pytest.raises(ValueError, match="PORT"):
        Settings.from_env({"PORT": "eighty"})


# -- property: any sequence of saves reads back exactly ------------------------------

_USERS = ("U1", "U2", "U3", "U4")
_WAITS = st.one_of(st.none(), st.integers(0, 3600).map(lambda s: timedelta(seconds=s)))


@st.composite
def teams(draw) -> Team:
    users = draw(st.lists(st.sampled_from(_USERS), unique=True, max_size=4))
    specialists = tuple(
        Specialist(
            u,
            draw(st.sampled_from(["Ana", "Bo"])),
            draw(st.sampled_from(["UTC", "Asia/Dubai"])),
            tuple(draw(st.lists(st.sampled_from(["en", "es", "ar"]), unique=True, max_size=3))),
            backup=tuple(draw(st.lists(st.sampled_from(["es", "ar"]), unique=True, max_size=2))),
            holidays=draw(st.sampled_from([None, "MX"])),
        )
        for u in users
    )
    member = st.sampled_from(users) if users else st.nothing()
    names = draw(st.lists(st.sampled_from(["r1", "r2", "r3"]), unique=True, max_size=3))
    rotations = tuple(
        Rotation(
            name=n,
            timezone="Europe/Dublin",
            shift_start=time(draw(st.integers(0, 23)), 0),
            shift_end=time(draw(st.integers(0, 23)), 30),
            days=frozenset(draw(st.sets(st.integers(0, 6)))),
            handoff_days=draw(st.integers(1, 14)),
            start=date(2026, 1, draw(st.integers(1, 28))),
            tier=draw(st.sampled_from(["primary", "secondary"])),
            members=tuple(draw(st.lists(member, max_size=4))) if users else (),
        )
        for n in names
    )
    hour = st.integers(0, 100).map(lambda h: at(2026, 1, 1) + timedelta(hours=h))
    overrides = ()
    if users and names:
        overrides = tuple(
            Override(draw(st.sampled_from(names)), draw(member), s, s + timedelta(hours=8))
            for s in draw(st.lists(hour, max_size=3))
        )
    time_off = ()
    if users:
        time_off = tuple(
            TimeOff(draw(member), s, s + timedelta(days=1), all_day=draw(st.booleans()))
            for s in draw(st.lists(hour, max_size=3))
        )
    severities = draw(st.lists(st.sampled_from(["sev1", "sev2", "sev3"]), unique=True))
    policies = tuple(
        (
            sev,
            EscalationPolicy(
                tuple(
                    EscalationStep(draw(st.sampled_from(["managers", "channel"])), w)
                    for w in draw(st.lists(_WAITS, max_size=3))
                ),
                repeat=draw(st.integers(0, 3)),
            ),
        )
        for sev in severities
    )
    return Team(
        name="t",
        languages=tuple(draw(st.lists(st.sampled_from(["en", "es", "ar"]), unique=True))),
        intake_channel="C1",
        escalation_channel=draw(st.sampled_from(["C2", "C3"])),
        managers=tuple(draw(st.lists(st.sampled_from(["M1", "M2", "M3"]), unique=True))),
        manager_group=draw(st.sampled_from([None, "S1"])),
        specialists=specialists,
        rotations=rotations,
        overrides=overrides,
        time_off=time_off,
        default_severity=draw(st.sampled_from(["sev1", "sev2"])),
        policies=policies,
    )


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(teams(), min_size=1, max_size=4))
def test_any_sequence_of_saves_reads_back_exactly(history):
    # Each example starts from an empty database at head, copied from one migrated once
    # (tests/db_template.py): running the migrations per example was nearly all of this
    # test's time. The migrations are tested from an empty database above.
    folder = tempfile.TemporaryDirectory(prefix="oncall-saves-")
    engine = make_engine(premigrated(f"sqlite:///{Path(folder.name) / 'saves.db'}"))
    try:
        sessions = session_factory(engine)
        expected_revision = 0
        previous = None
        for team in history:
            save(sessions, team)
            expected_revision += team != previous
            previous = team
            assert load(sessions, "t") == team
            assert revision(sessions, "t") == expected_revision
    finally:
        engine.dispose()
        folder.cleanup()


def test_requests_linked_before_0017_get_their_crisis_names(db_url):
    """0019 names the crises of requests linked before `requests.crisis_names` existed
    (the request path trusts it: a request naming none marks no status card stale)."""
    from alembic import command

    from bot.store.db import alembic_config, migration_connection

    engine = make_engine(db_url)
    try:
        cfg = alembic_config()
        with migration_connection(engine) as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0018")
        from datetime import UTC, datetime

        from bot.store.crisis_tables import CrisisRequestRow, CrisisRow
        from bot.store.paging_tables import RequestRow

        at = datetime(2026, 3, 1, 12, tzinfo=UTC)
        # Core inserts through the models (0019 changes data only: the tables at 0018
        # are the models'), so the columns' own defaults apply.
        with engine.begin() as conn:
            conn.execute(CrisisRow.__table__.insert(), [
                {"id": n, "team": "desk", "name": name, "languages": [], "severity": "sev1",
                 "match_words": [], "status": "active", "started_by": "UMGR",
                 "started_utc": at, "last_update_utc": at, "remind_due_utc": at}
                for n, name in ((1, "beirut-port"), (2, "quake"))])
            conn.execute(RequestRow.__table__.insert(), [
                {"id": rid, "key": f"k{rid}", "team": "desk", "requester": "UREQ",
                 "via": "command", "text": "help", "severity": "sev1", "language": "en",
                 "language_source": "given", "status": "open", "policy": {},
                 "created_utc": at} for rid in (1, 2)])
            # Linked the old way: a link row, no names on the request.
            conn.execute(CrisisRequestRow.__table__.insert(), [
                {"id": 1, "crisis_id": 2, "request_id": 1, "linked_utc": at},
                {"id": 2, "crisis_id": 1, "request_id": 1, "linked_utc": at}])
        migrate(engine)
        with engine.connect() as conn:
            got = dict(conn.execute(text("SELECT id, crisis_names FROM requests")).all())
        names = {rid: (json.loads(v) if isinstance(v, str) else v) for rid, v in got.items()}
        assert names == {1: ["quake", "beirut-port"], 2: None}  # in the order linked
    finally:
        engine.dispose()
