"""Teams repository: domain `Team` values <-> rows.

`save_team` makes the rows of one team match a `Team` exactly and bumps the team's
revision when (and only when) something changed. Rows keep their identity where the
domain has a natural key (team name, specialist Slack ID, rotation name, policy
severity), so other tables may point at them; ordered children (managers, members,
overrides, time off, steps) are rewritten when they differ. Nothing here commits:
the caller owns the transaction.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.core.checks import integrity_problems
from bot.core.model import (
    DEFAULT_VIA,
    WEEKDAYS,
    EscalationPolicy,
    EscalationStep,
    Override,
    Rotation,
    Specialist,
    Team,
    TimeOff,
    Wellbeing,
    category_from_json,
    category_to_json,
)
from bot.store.tables import (
    EscalationPolicyRow,
    EscalationStepRow,
    OverrideRow,
    RotationMemberRow,
    RotationRow,
    SpecialistRow,
    TeamManagerRow,
    TeamRow,
    TimeOffRow,
)


class RevisionConflict(Exception):
    """The team changed since the revision the caller based its edit on."""

    def __init__(self, team: str, expected: int, actual: int) -> None:
        super().__init__(
            f"team {team!r} is at revision {actual}, not {expected}: reload and try again"
        )
        self.team = team
        self.expected = expected
        self.actual = actual


def list_team_names(session: Session) -> list[str]:
    return list(session.scalars(select(TeamRow.name).order_by(TeamRow.name)))


# Read for every request (bot/services/intake.py): built once, run on the connection.
REVISIONS = select(TeamRow.name, TeamRow.revision).order_by(TeamRow.name)


def team_revisions(session: Session) -> list[tuple[str, int]]:
    """(name, revision) of every stored team, by name: one query for all of them."""
    return [(name, rev) for name, rev in session.connection().execute(REVISIONS)]


def team_revision(session: Session, name: str) -> int | None:
    """The team's revision (1 once created, +1 per changing save); None if unknown."""
    return session.scalar(select(TeamRow.revision).where(TeamRow.name == name))


def load_team(session: Session, name: str) -> Team | None:
    row = _load_row(session, name, for_update=False)
    return None if row is None else _to_team(row)


def save_team(session: Session, team: Team, *, expected_revision: int | None = None) -> None:
    """Make the stored team `team.name` equal `team` (insert, update, delete rows).

    Creates the team at revision 1; later saves bump the revision by one if anything
    changed and leave it alone otherwise. With `expected_revision` (0 for "must not
    exist yet"), raises RevisionConflict when the stored revision differs. Raises
    ValueError for a team that cannot be stored (unknown members, naive datetimes...).
    Flushes but does not commit."""
    problems = integrity_problems(team)
    if problems:
        raise ValueError(f"team {team.name!r} cannot be stored: " + "; ".join(problems))
    row = _load_row(session, team.name, for_update=True)
    actual = 0 if row is None else row.revision
    if expected_revision is not None and expected_revision != actual:
        raise RevisionConflict(team.name, expected_revision, actual)
    if row is None:
        row = TeamRow(name=team.name, revision=1)
        session.add(row)
        _sync(session, row, _EMPTY, team)
        return
    current = _to_team(row)
    if current == team:
        return
    row.revision = actual + 1
    _sync(session, row, current, team)


def delete_team(session: Session, name: str) -> bool:
    """Delete a team and its whole schedule (rows cascade). False if it did not exist."""
    row = session.scalars(select(TeamRow).where(TeamRow.name == name)).one_or_none()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


# -- loading -------------------------------------------------------------------------


def _load_row(session: Session, name: str, *, for_update: bool) -> TeamRow | None:
    stmt = (
        select(TeamRow)
        .where(TeamRow.name == name)
        .options(
            selectinload(TeamRow.managers),
            selectinload(TeamRow.specialists).selectinload(SpecialistRow.time_off),
            selectinload(TeamRow.rotations).selectinload(RotationRow.members),
            selectinload(TeamRow.rotations).selectinload(RotationRow.overrides),
            selectinload(TeamRow.policies).selectinload(EscalationPolicyRow.steps),
        )
        # Rows already in the session are refreshed, never served stale.
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update(of=TeamRow)
    return session.scalars(stmt).one_or_none()


def _to_team(row: TeamRow) -> Team:
    slack_ids = {s.id: s.slack_id for s in row.specialists}
    rotation_names = {r.id: r.name for r in row.rotations}
    overrides = sorted((o for r in row.rotations for o in r.overrides), key=_position)
    time_off = sorted((t for s in row.specialists for t in s.time_off), key=_position)
    return Team(
        name=row.name,
        languages=tuple(row.languages),
        intake_channel=row.intake_channel,
        intake_channels=tuple(row.intake_channels or ()),
        escalation_channel=row.escalation_channel,
        managers=tuple(m.user_id for m in row.managers),
        manager_group=row.manager_group,
        oncall_groups=tuple((k, g) for k, g in (row.oncall_groups or ())),
        specialists=tuple(
            Specialist(
                id=s.slack_id,
                name=s.name,
                timezone=s.timezone,
                languages=tuple(s.languages),
                backup=tuple(s.backup),
                holidays=s.holidays,
                skills=tuple(s.skills or ()),
                phone=s.phone,
                email=s.email,
            )
            for s in row.specialists
        ),
        rotations=tuple(
            Rotation(
                name=r.name,
                timezone=r.timezone,
                shift_start=r.shift_start,
                shift_end=r.shift_end,
                days=_days_from_text(r.days),
                handoff_days=r.handoff_days,
                start=r.start_date,
                tier=r.tier,
                members=tuple(slack_ids[m.specialist_id] for m in r.members),
            )
            for r in row.rotations
        ),
        overrides=tuple(
            Override(
                rotation=rotation_names[o.rotation_id],
                user=slack_ids[o.specialist_id],
                start=o.start_utc,
                end=o.end_utc,
            )
            for o in overrides
        ),
        time_off=tuple(
            TimeOff(
                user=slack_ids[t.specialist_id], start=t.start_utc, end=t.end_utc, all_day=t.all_day
            )
            for t in time_off
        ),
        default_severity=row.default_severity,
        policies=tuple(
            (
                p.severity,
                EscalationPolicy(
                    steps=tuple(
                        EscalationStep(notify=s.notify, wait=_wait(s.wait_seconds),
                                       via=tuple(s.via) if s.via else DEFAULT_VIA)
                        for s in p.steps
                    ),
                    repeat=p.repeat,
                    ack_timeout=_wait(p.ack_timeout_seconds),
                ),
            )
            for p in row.policies
        ),
        categories=tuple(category_from_json(c) for c in row.categories or ()),
        default_category=row.default_category,
        max_open_per_person=row.max_open_per_person,
        language_fallbacks=tuple((str(k), tuple(v)) for k, v in row.language_fallbacks or ()),
        wellbeing=_wellbeing(row.wellbeing or {}),
        retention=timedelta(seconds=row.retention_seconds),
        **_desk_settings(row.crisis or {}, row.trends or {}),
    )


def _desk_settings(crisis: dict, trends: dict) -> dict:
    """Crisis and trend settings from their JSON columns; a missing key: the default."""
    out: dict = {}
    if crisis.get("update_every") is not None:
        out["crisis_update_every"] = timedelta(seconds=crisis["update_every"])
    if trends.get("channel"):
        out["trends_channel"] = trends["channel"]
    if trends.get("every") is not None:
        out["trends_every"] = timedelta(seconds=trends["every"])
    return out


def _wellbeing(doc: dict) -> Wellbeing:
    default = Wellbeing()
    window = doc.get("exposure_window")
    return Wellbeing(
        exposure_limit=doc.get("exposure_limit", default.exposure_limit),
        exposure_window=default.exposure_window if window is None else timedelta(seconds=window),
        checkin=bool(doc.get("checkin", default.checkin)))


def _wellbeing_doc(w: Wellbeing) -> dict:
    return {"exposure_limit": w.exposure_limit,
            "exposure_window": int(w.exposure_window.total_seconds()), "checkin": w.checkin}


def _wait(seconds: int | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def _position(child: OverrideRow | TimeOffRow) -> int:
    return child.position


def _days_from_text(text: str) -> frozenset[int]:
    return frozenset(WEEKDAYS.index(d) for d in text.split(",") if d)


def _days_to_text(days: frozenset[int]) -> str:
    return ",".join(WEEKDAYS[d] for d in sorted(days))


# -- saving --------------------------------------------------------------------------

_EMPTY = Team(name="", languages=(), intake_channel="", escalation_channel="")


def _sync(session: Session, row: TeamRow, old: Team, new: Team) -> None:
    """Three flushes: drop changed children, then upsert/delete the keyed rows, then
    insert the new children. Doing it in this order means no unique key is ever taken
    twice and no row is deleted behind the ORM's back by a database cascade."""
    row.languages = list(new.languages)
    row.intake_channel = new.intake_channel
    row.intake_channels = list(new.intake_channels)
    row.escalation_channel = new.escalation_channel
    row.manager_group = new.manager_group
    row.oncall_groups = [[k, g] for k, g in new.oncall_groups]
    row.default_severity = new.default_severity
    row.categories = [category_to_json(c) for c in new.categories]
    row.default_category = new.default_category
    row.max_open_per_person = new.max_open_per_person
    row.language_fallbacks = [[k, list(v)] for k, v in new.language_fallbacks]
    row.wellbeing = _wellbeing_doc(new.wellbeing)
    row.retention_seconds = int(new.retention.total_seconds())
    row.crisis = {"update_every": int(new.crisis_update_every.total_seconds())}
    row.trends = {"channel": new.trends_channel,
                  "every": int(new.trends_every.total_seconds())}
    _drop_changed_children(row, old, new)
    session.flush()
    _sync_keyed_rows(row, new)
    session.flush()
    _add_children(row, old, new)
    session.flush()


def _drop_changed_children(row: TeamRow, old: Team, new: Team) -> None:
    """Step 1: clear the children that will be rewritten."""
    old_rotations = {r.name: r for r in old.rotations}
    new_rotations = {r.name: r for r in new.rotations}
    old_policies, new_policies = dict(old.policies), dict(new.policies)
    if old.managers != new.managers:
        row.managers.clear()
    for r in row.rotations:
        wanted = new_rotations.get(r.name)
        if wanted is None or wanted.members != old_rotations[r.name].members:
            r.members.clear()
        if old.overrides != new.overrides:
            r.overrides.clear()
    if old.time_off != new.time_off:
        for s in row.specialists:
            s.time_off.clear()
    for p in row.policies:
        wanted_policy = new_policies.get(p.severity)
        if wanted_policy is None or wanted_policy.steps != old_policies[p.severity].steps:
            p.steps.clear()


def _sync_keyed_rows(row: TeamRow, new: Team) -> None:
    """Step 2: keyed rows updated in place, added, or deleted (orphans)."""
    specialists = {s.slack_id: s for s in row.specialists}
    row.specialists = [
        _specialist_row(specialists.get(s.id), i, s) for i, s in enumerate(new.specialists)
    ]
    rotations = {r.name: r for r in row.rotations}
    row.rotations = [
        _rotation_row(rotations.get(r.name), i, r) for i, r in enumerate(new.rotations)
    ]
    policies = {p.severity: p for p in row.policies}
    row.policies = [
        _policy_row(policies.get(sev), i, sev, p) for i, (sev, p) in enumerate(new.policies)
    ]


def _add_children(row: TeamRow, old: Team, new: Team) -> None:
    """Step 3: the children cleared in step 1, and those of new rows."""
    specialist_rows = {s.slack_id: s for s in row.specialists}
    rotation_rows = {r.name: r for r in row.rotations}
    if old.managers != new.managers:
        row.managers.extend(
            TeamManagerRow(position=i, user_id=user) for i, user in enumerate(new.managers)
        )
    for r in new.rotations:
        rotation_row = rotation_rows[r.name]
        if not rotation_row.members:
            rotation_row.members.extend(
                RotationMemberRow(position=i, specialist_id=specialist_rows[user].id)
                for i, user in enumerate(r.members)
            )
    if old.overrides != new.overrides:
        for i, o in enumerate(new.overrides):
            rotation_rows[o.rotation].overrides.append(
                OverrideRow(
                    position=i,
                    specialist_id=specialist_rows[o.user].id,
                    start_utc=o.start,
                    end_utc=o.end,
                )
            )
    if old.time_off != new.time_off:
        for i, t in enumerate(new.time_off):
            specialist_rows[t.user].time_off.append(
                TimeOffRow(position=i, start_utc=t.start, end_utc=t.end, all_day=t.all_day)
            )
    new_policies = dict(new.policies)
    for p in row.policies:
        if not p.steps:
            p.steps.extend(
                EscalationStepRow(position=i, notify=s.notify, wait_seconds=_seconds(s.wait),
                                  via=list(s.via) if s.via != DEFAULT_VIA else None)
                for i, s in enumerate(new_policies[p.severity].steps)
            )


def _specialist_row(row: SpecialistRow | None, position: int, s: Specialist) -> SpecialistRow:
    row = row or SpecialistRow(slack_id=s.id)
    row.position = position
    row.name = s.name
    row.timezone = s.timezone
    row.languages = list(s.languages)
    row.backup = list(s.backup)
    row.holidays = s.holidays
    row.skills = list(s.skills)
    row.phone = s.phone
    row.email = s.email
    return row


def _rotation_row(row: RotationRow | None, position: int, r: Rotation) -> RotationRow:
    row = row or RotationRow(name=r.name)
    row.position = position
    row.timezone = r.timezone
    row.shift_start = r.shift_start
    row.shift_end = r.shift_end
    row.days = _days_to_text(r.days)
    row.handoff_days = r.handoff_days
    row.start_date = r.start
    row.tier = r.tier
    return row


def _policy_row(
    row: EscalationPolicyRow | None, position: int, severity: str, p: EscalationPolicy
) -> EscalationPolicyRow:
    row = row or EscalationPolicyRow(severity=severity)
    row.position = position
    row.repeat = p.repeat
    row.ack_timeout_seconds = _seconds(p.ack_timeout)
    return row


def _seconds(wait: timedelta | None) -> int | None:
    return None if wait is None else int(wait.total_seconds())
