"""An independent, deliberately naive model of the schedule rules, for property tests.

It shares no code with bot.core: it uses the standard library's zoneinfo instead of
pytz, expands every shift from each rotation's start date, and finds local-time
gaps and folds by round-tripping candidates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def local_to_utc(naive: datetime, tzname: str) -> datetime:
    tz = ZoneInfo(tzname)
    valid = []
    for fold in (0, 1):
        u = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if u.astimezone(tz).replace(tzinfo=None) == naive:
            valid.append(u)
    if valid:
        return min(valid)  # fold: first occurrence
    # Gap: walk the wall clock forward a minute at a time to the first time that
    # exists; that wall time is the transition instant.
    probe = naive
    while True:
        probe += timedelta(minutes=1)
        probe = probe.replace(second=0, microsecond=0)
        for fold in (0, 1):
            u = probe.replace(tzinfo=tz, fold=fold).astimezone(UTC)
            if u.astimezone(tz).replace(tzinfo=None) == probe:
                # the gap ends at the transition; step back to where the offset changed
                while True:
                    prev = u - timedelta(minutes=1)
                    if prev.astimezone(tz).replace(tzinfo=None) >= naive:
                        u = prev
                    else:
                        return u


def local_date(instant: datetime, tzname: str) -> date:
    return instant.astimezone(ZoneInfo(tzname)).date()


def shifts(rot, until: datetime):
    """Every (start, end, scheduled member index) of `rot` starting before `until`."""
    d = rot.start
    stop = local_date(until, rot.timezone)
    period = 0
    days_in_period = 0
    while d <= stop:
        if d.weekday() in rot.days:
            s = local_to_utc(datetime.combine(d, rot.shift_start), rot.timezone)
            end_day = d + timedelta(days=1) if rot.shift_end <= rot.shift_start else d
            e = local_to_utc(datetime.combine(end_day, rot.shift_end), rot.timezone)
            if s < e:
                yield s, e, period % len(rot.members)
        d += timedelta(days=1)
        days_in_period += 1
        if days_in_period == rot.handoff_days:
            period += 1
            days_in_period = 0


class Brute:
    def __init__(self, team, holiday_dates=None):
        self.team = team
        self.holiday_dates = holiday_dates
        self.specs = {s.id: s for s in team.specialists}

    def _holiday_spans(self, user, s, e):
        spec = self.specs.get(user)
        if spec is None or not spec.holidays or self.holiday_dates is None:
            return []
        out = []
        for year in range(local_date(s, spec.timezone).year - 1,
                          local_date(e, spec.timezone).year + 2):
            for d in self.holiday_dates(spec.holidays, year):
                hs = local_to_utc(datetime.combine(d, datetime.min.time()), spec.timezone)
                he = local_to_utc(datetime.combine(d + timedelta(days=1), datetime.min.time()),
                                  spec.timezone)
                out.append((hs, he))
        return out

    def away(self, user, s, e):
        spans = [(t.start, t.end) for t in self.team.time_off if t.user == user]
        spans += self._holiday_spans(user, s, e)
        return any(a < e and b > s for a, b in spans)

    def on_call(self, instant: datetime) -> set[tuple[str, str]]:
        tick = timedelta(microseconds=1)
        out = set()
        for rot in self.team.rotations:
            chosen = None
            for o in self.team.overrides:
                if (o.rotation == rot.name and o.start <= instant < o.end
                        and not self.away(o.user, instant, instant + tick)):
                    chosen = o.user
            if chosen is not None:
                out.add((rot.name, chosen))
                continue
            for s, e, idx in shifts(rot, instant + timedelta(days=2)):
                if s <= instant < e:
                    n = len(rot.members)
                    for k in range(n):
                        user = rot.members[(idx + k) % n]
                        if not self.away(user, s, e):
                            out.add((rot.name, user))
                            break
        return out
