"""Schedules as code, read side: a team's YAML file -> `bot.core.model.Team`.

`parse_team` checks the whole file and reports every problem it finds at once, each
with the file, the line of the offending field, the field's path and a message that
says what was wrong and what is allowed (`ScheduleError`). `load_schedules` reads a
file or a folder of them. The writer (`bot.schedules.writer.dump_team`) writes the same
schema back, so that `parse_team(dump_team(team)) == team`.

The YAML is read with `yaml.compose` (nodes with line marks), never constructed into
Python objects, so `no` stays the Norwegian language code and `8:00` stays text.
The field reference is docs/schedules.md.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode

from bot.core.model import Team
from bot.schedules.problems import Problem, ScheduleError, line_of, warning_text
from bot.schedules.team_parser import TeamParser

__all__ = ["Problem", "ScheduleError", "load_schedules", "load_team_file", "parse_team",
           "warning_text"]


# libyaml's parser when PyYAML was built with it: about ten times faster than the pure
# Python one (a team file took 0.6 s), with the same nodes and line marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str, filename: str,
           warnings: list[Problem] | None = None) -> tuple[Team, int | None]:
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = "; ".join(x for x in (e.context, e.problem) if x)
        raise ScheduleError(
            [
                Problem(
                    filename,
                    mark.line + 1 if mark else None,
                    "",
                    f"YAML syntax error: {what}; check the indentation (spaces, not tabs) "
                    "and quote values that contain ': ' or ' #' or start with [, {, * or &, "
                    'e.g. name: "Dr. Ana: Ruiz"',
                )
            ]
        ) from None
    except yaml.YAMLError as e:
        raise ScheduleError([Problem(filename, None, "", f"YAML error: {e}")]) from None
    p = TeamParser(filename)
    team = p.team(root)
    if team is None:
        raise ScheduleError(sorted(p.problems, key=lambda x: x.line or 0))
    if warnings is not None:
        warnings.extend(sorted(p.warnings, key=lambda x: x.line or 0))
    team_line = None
    if isinstance(root, MappingNode):
        team_line = next((line_of(v) for k, v in root.value if k.value == "team"), None)
    return team, team_line


def parse_team(text: str, filename: str, warnings: list[Problem] | None = None) -> Team:
    """One team file's text -> Team; raises ScheduleError listing every problem found.
    What the file allows but probably does not mean (a category's skill nobody holds) is
    appended to `warnings` when a list is given: located like problems, never fatal."""
    return _parse(text, filename, warnings)[0]


def _read(path: Path, shown: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScheduleError(
            [Problem(shown, None, "", "no such file; give a team's .yaml file or a folder of them")]
        ) from None
    except UnicodeDecodeError as e:
        raise ScheduleError(
            [Problem(shown, None, "", f"not UTF-8 text ({e.reason}); save the file as UTF-8")]
        ) from None


def load_team_file(path: str | Path, warnings: list[Problem] | None = None) -> Team:
    shown = str(path)
    return parse_team(_read(Path(path), shown), shown, warnings)


def load_schedules(path: str | Path, warnings: list[Problem] | None = None) -> list[Team]:
    """A team file, or every *.yaml / *.yml file directly in a folder (sorted by name).

    Problems of all files are collected and raised together; a team name defined in two
    files is an error. Warnings (see `parse_team`) go to `warnings` when a list is given."""
    p = Path(path)
    if p.is_dir():
        files = sorted(
            (
                f
                for f in p.iterdir()
                if f.suffix in (".yaml", ".yml") and not f.name.startswith(".") and f.is_file()
            ),
            key=lambda f: f.name,
        )
    elif p.exists():
        files = [p]
    else:
        raise ScheduleError(
            [
                Problem(
                    str(path),
                    None,
                    "",
                    "no such file or folder; give a team's .yaml file or a folder of them",
                )
            ]
        )
    teams: list[Team] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for f in files:
        shown = str(f)
        try:
            team, line = _parse(_read(f, shown), shown, warnings)
        except ScheduleError as e:
            problems.extend(e.problems)
            continue
        if team.name in seen:
            problems.append(
                Problem(
                    shown,
                    line,
                    "team",
                    f"team '{team.name}' is already defined in {seen[team.name]}; each team has "
                    "exactly one file, so rename this team or merge the files",
                )
            )
            continue
        seen[team.name] = shown
        teams.append(team)
    problems += _shared_channels(teams, seen)
    if problems:
        raise ScheduleError(problems)
    return teams



def _shared_channels(teams: list[Team], files: dict[str, str]) -> list[Problem]:
    """A channel whose requests two teams claim: /emergency there could not tell which
    team is meant. Reported on the second team's file."""
    owner: dict[str, str] = {}
    problems = []
    for team in teams:
        for channel in dict.fromkeys((team.intake_channel, *team.intake_channels)):
            if channel in owner and owner[channel] != team.name:
                problems.append(Problem(
                    files[team.name], None, "intake_channels",
                    f"channel {channel} already takes requests for team {owner[channel]} "
                    f"({files[owner[channel]]}); a channel's requests go to one team, so "
                    "list it in one team's file only"))
            owner.setdefault(channel, team.name)
    return problems
