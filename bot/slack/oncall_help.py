"""The `/oncall` help: `HELP`, the one table of usage lines, descriptions, examples and
who may use each command, and `help_text(topic)` that renders it. The grammar takes its
usage lines and examples from the same table, so the help, the errors and the parser
cannot drift apart."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.slack.oncall_commands import DEFAULT_DAYS, MAX_DAYS
from bot.slack.oncall_text import decode, escape, quote

# -- help ---------------------------------------------------------------------------------

EVERYONE = "everyone"
MANAGERS = "managers"
SELF = "the person themself"
SELF_OR_MANAGERS = "the person themself; managers for anyone"
READ_EVERYONE_EDIT_MANAGERS = "everyone to look; managers to add or remove"


@dataclass(frozen=True)
class Usage:
    usage: str  # "/oncall rotation add <name> @user [position]"
    description: str  # one sentence
    example: str  # a correct command, with @name standing for a picked mention
    access: str  # who may use it: EVERYONE, MANAGERS, SELF or SELF_OR_MANAGERS
    notes: str = ""  # details shown by `help <command>`


_ZONE_NOTE = "Time zones are IANA names such as Europe/Dublin, Asia/Singapore or America/Chicago."
_WHEN_NOTE = (
    "<from> and <to> are dates (2026-12-24, today, tomorrow, fri: the next Friday) or "
    "times (2026-12-24T08:00; 18:00: today, or tomorrow if it has passed; +2h, +30m: from "
    "now). A date as <to> includes that whole day; a time <to> is the first minute no "
    "longer covered."
)
_ROTATION_KEYS_NOTE = (
    "Keys: timezone=<Area/City>, shift=<HH:MM-HH:MM> (local wall clock; 22:00-06:00 ends "
    "the next day), days=mon-sun or mon,wed,fri (days on which a shift starts; default "
    "every day), handoff=daily|weekly|<N>d (default weekly), start=<YYYY-MM-DD> (first "
    "day of the first member's turn), tier=primary|secondary (default primary). " + _ZONE_NOTE
)
_CATEGORY_KEYS_NOTE = (
    "Keys (the schedule file's names): label=\"<words>\", severity=sev1|sev2|sev3, "
    "policy=<escalation policy name>, skills=le_requests,child_safety (only people holding "
    "all of them are paged), due=30m|4h (response target), sensitive=true|false (graphic: "
    "redacted, counts toward exposure), exposure_weight=<N>, verification=two_person, "
    "fields=agency,callback_number (asked on the request). none clears a key, e.g. "
    "policy=none. Requests already filed keep the category as it was when filed."
)

HELP: dict[str, Usage] = {
    "help": Usage(
        "/oncall help [command]",
        "Shows every command, or the details of one.",
        "/oncall help rotation create",
        EVERYONE,
    ),
    "who": Usage(
        "/oncall who [lang] [cat:<name>]",
        "Shows who is on call now; for a language (and a category), who a request would "
        "page now, in order, and who is busy.",
        "/oncall who ar cat:child-safety",
        EVERYONE,
        "lang is a two-letter ISO 639-1 code such as en, es, ar, pt or fr. cat: is one of "
        "the team's categories (as in /emergency cat:<name>): only people trained for it "
        "are listed. Someone holding as many open requests as the team allows is busy: "
        "they are paged only when every other reader is busy too.",
    ),
    "me": Usage(
        "/oncall me",
        "Shows your next shifts, your languages and your time off.",
        "/oncall me",
        EVERYONE,
    ),
    "report": Usage(
        "/oncall report [days] [by=language|region|category|severity|tier|person]",
        "Shows how fast pages were answered, by language and severity, over the last days; "
        "with by=, a table by that grouping (by=person: who carried the pages, at what "
        "hours, on-call hours, exposure; by=tier: primary, secondary or off rotation).",
        "/oncall report 30 by=person",
        MANAGERS,
        f"days is 1 to {MAX_DAYS} (default {DEFAULT_DAYS['report']}). A chart of the "
        "numbers follows in your direct messages with the bot.",
    ),
    "shifts": Usage(
        "/oncall shifts [rotation|@user] [days]",
        "Lists the coming shifts of a rotation, of a person, or your own.",
        "/oncall shifts emea 14",
        EVERYONE,
        f"days is 1 to {MAX_DAYS} (default {DEFAULT_DAYS['shifts']}). A lone number is "
        "the days; a bare member ID such as U0AR00001 is a person.",
    ),
    "coverage": Usage(
        "/oncall coverage [days]",
        "Charts which languages are covered when, and lists the gaps.",
        "/oncall coverage 30",
        EVERYONE,
        f"days is 1 to {MAX_DAYS} (default {DEFAULT_DAYS['coverage']}).",
    ),
    "rotation list": Usage(
        "/oncall rotation list",
        "Lists the rotations with their zone, shift, handoff and members.",
        "/oncall rotation list",
        EVERYONE,
    ),
    "rotation show": Usage(
        "/oncall rotation show <name>",
        "Shows one rotation's settings, members in order and who is on call next.",
        "/oncall rotation show emea",
        EVERYONE,
    ),
    "rotation create": Usage(
        "/oncall rotation create [<name> timezone=<Area/City> shift=<HH:MM-HH:MM> "
        "[days=mon-sun|mon,wed,fri] [handoff=daily|weekly|<N>d] [start=<YYYY-MM-DD>] "
        "[tier=primary|secondary]]",
        "Creates a rotation; with no arguments it opens a form.",
        "/oncall rotation create emea timezone=Europe/Dublin shift=08:00-16:00 days=mon-fri "
        "handoff=weekly start=2026-01-05",
        MANAGERS,
        "timezone and shift are required. " + _ROTATION_KEYS_NOTE + " Names are letters, "
        "digits, '-', '_' and '.'. Add people with /oncall rotation add.",
    ),
    "rotation set": Usage(
        "/oncall rotation set <name> <key>=<value> ...",
        "Changes settings of a rotation (the same keys as rotation create).",
        "/oncall rotation set emea shift=07:00-15:00 handoff=daily",
        MANAGERS,
        _ROTATION_KEYS_NOTE,
    ),
    "rotation edit": Usage(
        "/oncall rotation edit <name>",
        "Opens a form to edit a rotation.",
        "/oncall rotation edit emea",
        MANAGERS,
    ),
    "rotation delete": Usage(
        "/oncall rotation delete <name>",
        "Deletes a rotation (its members stay specialists).",
        "/oncall rotation delete emea",
        MANAGERS,
    ),
    "rotation add": Usage(
        "/oncall rotation add <name> @user [position]",
        "Adds a person to a rotation, at the end or at a position (1 is first).",
        "/oncall rotation add emea @layla 2",
        MANAGERS,
        "The order of members decides whose turn each handoff period is.",
    ),
    "rotation remove": Usage(
        "/oncall rotation remove <name> @user",
        "Removes a person from a rotation.",
        "/oncall rotation remove emea @layla",
        MANAGERS,
    ),
    "rotation move": Usage(
        "/oncall rotation move <name> @user <position>",
        "Moves a member to another position in the rotation's order (1 is first).",
        "/oncall rotation move emea @layla 1",
        MANAGERS,
    ),
    "override": Usage(
        "/oncall override <rotation> @user <from> <to>",
        "Puts someone on call for a rotation for a while, in place of whoever is scheduled.",
        "/oncall override emea @ana 2026-12-24T08:00 2026-12-24T16:00",
        MANAGERS,
        "Times are in the rotation's time zone. " + _WHEN_NOTE,
    ),
    "away": Usage(
        "/oncall away [@user] <from> <to>",
        "Marks time off: nobody pages the person then, and their shifts pass to the next member.",
        "/oncall away 2026-12-20 2027-01-03",
        SELF_OR_MANAGERS,
        "Dates and times are in the person's own time zone. " + _WHEN_NOTE,
    ),
    "swap": Usage(
        "/oncall swap @user <date>",
        "Asks someone to swap your shift on that day with theirs; they accept or decline.",
        "/oncall swap @ana 2026-12-24",
        SELF,
        "The date is the day your shift starts, in your time zone: 2026-12-24, tomorrow or a "
        "weekday such as fri (the next one).",
    ),
    "cover": Usage(
        "/oncall cover <from> <to>",
        "Asks your team to cover your shifts in that time; anyone who reads the languages "
        "can take it.",
        "/oncall cover 2026-12-24T08:00 2026-12-24T12:00",
        SELF,
        "Dates and times are in your own time zone. " + _WHEN_NOTE,
    ),
    "pause": Usage(
        "/oncall pause [@user] <duration> | pause end [@user]",
        "Takes you out of paging for a break, from now; `pause end` ends it early.",
        "/oncall pause 30m",
        SELF_OR_MANAGERS,
        "The duration is minutes or hours, 5m to 12h: 15m, 30m, 1h. A break is not time "
        "off: nobody pages you until it ends, but your shifts do not move, and shifts, "
        "calendars and coverage do not show it (for longer, use /oncall away). A break is "
        "refused when, during it, you would be the only one on call who reads one of the "
        "team's languages (people on a break and off-shift backups do not count); your "
        "managers are then told that you asked, so they can arrange cover. Managers may "
        "give someone a break (/oncall pause @user 1h) or end it (/oncall pause end "
        "@user). The bot's Home tab has Take a break and End break buttons too.",
    ),
    "specialist": Usage(
        "/oncall specialist @user [languages=ar,fr,en] [timezone=<Area/City>] [backup=ar]",
        "Adds a specialist or changes their languages, time zone or backup languages; with "
        "no keys it shows them.",
        "/oncall specialist @layla languages=ar,fr,en timezone=Asia/Dubai backup=ar",
        MANAGERS,
        "languages are two-letter codes, strongest first. backup lists languages (among "
        "their own) for which they may be paged off shift; backup=none clears it. Also: "
        "name=<full name> (may contain spaces, up to the next key) and holidays=<country> "
        "such as MX or US-TX (their public holidays count as time off; holidays=none "
        "clears it). phone=+353861234567 and email=layla@example.org (on their own, "
        "=none clears) are where steps with via sms, voice or email reach them; anyone "
        "may set their own, mentioning themselves (/oncall specialist @layla phone=...), "
        "and only managers and the person see the whole number. " + _ZONE_NOTE,
    ),
    "skills": Usage(
        "/oncall skills [@user [add|remove <skill> ...]]",
        "Lists the skills the team's categories require and who holds each; with @user "
        "shows that person's skills; with add or remove changes them.",
        "/oncall skills @layla add le_requests child_safety",
        READ_EVERYONE_EDIT_MANAGERS,
        "A category pages only specialists holding all of its skills; when nobody holds "
        "them, its requests go to the managers. A skill is lowercase letters, digits, '_' "
        "or '-', such as le_requests or child_safety; give one or more, separated by "
        "spaces. Examples: `/oncall skills` (every skill and who holds it), "
        "`/oncall skills @layla` (hers), `/oncall skills @layla remove child_safety`.",
    ),
    "category list": Usage(
        "/oncall category list",
        "Lists the team's categories with every setting, and which one is the default.",
        "/oncall category list",
        EVERYONE,
    ),
    "category show": Usage(
        "/oncall category show <name>",
        "Shows one category: label, severity, policy, skills and who holds them, due, "
        "sensitivity, verification and the fields asked.",
        "/oncall category show le-emergency",
        EVERYONE,
    ),
    "category create": Usage(
        '/oncall category create <name> label="<words>" [<key>=<value> ...]',
        "Adds a category that requests can be filed in (with /emergency cat: and its name).",
        '/oncall category create legal-hold label="Legal hold request" severity=sev2 due=4h',
        MANAGERS,
        "The name is lowercase letters, digits and '-', such as legal-hold. label is "
        "required (quotes let it have spaces). " + _CATEGORY_KEYS_NOTE,
    ),
    "category set": Usage(
        "/oncall category set <name> <key>=<value> ...",
        "Changes settings of a category (the same keys as category create).",
        "/oncall category set le-emergency due=20m skills=le_requests",
        MANAGERS,
        _CATEGORY_KEYS_NOTE,
    ),
    "category delete": Usage(
        "/oncall category delete <name>",
        "Deletes a category; requests already filed in it keep it.",
        "/oncall category delete legal-hold",
        MANAGERS,
        "The default category cannot be deleted: make another one the default first "
        "with /oncall category default <name>.",
    ),
    "category default": Usage(
        "/oncall category default <name>",
        "Makes a category the one requests get when they name none.",
        "/oncall category default le-emergency",
        MANAGERS,
    ),
    "capacity": Usage(
        "/oncall capacity [N]",
        "Shows or sets how many open requests one person holds before the next free "
        "reader is preferred (routing.max_open_per_person).",
        "/oncall capacity 3",
        READ_EVERYONE_EDIT_MANAGERS,
        "N is a whole number of at least 1 (default 3). Someone holding N open requests "
        "is paged only when every other reader is that busy too.",
    ),
    "exposure": Usage(
        "/oncall exposure [days]",
        "Shows how much graphic content each person has handled: sensitive requests, "
        "points, whether they reached the exposure limit, breaks taken, and where they "
        "stand now.",
        "/oncall exposure 7",
        SELF_OR_MANAGERS,
        "Without days: the team's exposure window (the last 8 hours unless the team file "
        "sets `wellbeing: exposure_window`). days is a whole number from 1 to 90. Points: "
        "each sensitive request someone acknowledged or opened, by its category's weight; "
        "routing passes over anyone at the limit while another reader is free.",
    ),
    "trends": Usage(
        "/oncall trends [hours]",
        "Shows what is rising: requests by category, language and region in the last "
        "hours against the same hours of the last 7 days, with the repeated words of "
        "rising groups.",
        "/oncall trends 6",
        MANAGERS,
        "hours is a whole number from 1 to 24 (default 6). Rising means chance alone would "
        "give that count less than 1% of the time, and at least 3 more than usual. Words "
        "of sensitive requests are never shown. The team file's `trends_channel` gets the "
        "same digest every `trends_every`.",
    ),
    "crisis": Usage(
        "/oncall crisis start <name> [languages=ar,fr] [severity=sev1] [match=word,word] "
        "| status [name] | update [name] <text> | end [name]",
        "Starts, shows, updates or ends a crisis: matching new requests join it and are raised to "
        "its severity.",
        "/oncall crisis start beirut-port languages=ar,fr severity=sev1 match=port,blast",
        READ_EVERYONE_EDIT_MANAGERS,
        "Without languages= a crisis takes every language; without match= every request "
        "in its languages (match= words count in any case, as whole words). Only managers "
        "start and end a crisis. severity is "
        "sev1 unless given; a request filed more severe keeps its own. When several "
        "crises run, status, update and end need the name. An update goes to the crisis "
        "channel and the intake channel; without one for crisis.update_every (30m), the "
        "channel is reminded. The crisis channel's pinned card (and status) shows the "
        "requests by language, who is on call now with their local time, the coverage "
        "gaps of the next 12 hours and the time since the last update; it follows each "
        "change within seconds.",
    ),
    "sweep": Usage(
        "/oncall sweep start <lang|all> [every=30m] [until=<time>] | stop [<lang|all>] | status",
        "Runs manual sweeps of the platform in a language: at each interval one on-call reader "
        "of it gets a sweep DM to answer Nothing found or Found something.",
        "/oncall sweep start ar every=30m until=6h",
        MANAGERS,
        "all: every language of the team. every= is 5m to 12h (default 30m). until= is a time "
        "in your zone (18:00, tomorrow, 2026-12-04T06:00; UTC when you are not in the team "
        "file) or a length (3h); without it the "
        "sweep runs until stopped. The readers take turns, fewest sweeps first, never someone "
        "away or on a break. Found something opens a form that files a request in the "
        "sweep's language (it joins the running crisis of that language). Unanswered for half "
        "the interval: a reminder; at the full interval: reported as missed to the crisis "
        "channel, else to the managers. `sweep status` (anyone) lists the running sweeps.",
    ),
    "export": Usage(
        "/oncall export [rotation|@user]",
        "Gives a private calendar feed URL (iCalendar) for a rotation, a person, or you.",
        "/oncall export emea",
        SELF_OR_MANAGERS,
        "Subscribe to the URL in Google Calendar or Outlook. Everyone may export their own "
        "feed; managers also a rotation's or anyone's (exporting again replaces the old "
        "link, for everyone subscribed to it).",
    ),
}

TOP_LEVEL = (
    "help", "who", "me", "report", "shifts", "coverage", "rotation", "override", "away",
    "swap", "cover", "pause", "specialist", "skills", "category", "capacity", "export",
    "exposure", "trends", "crisis", "sweep",
)  # fmt: skip
CATEGORY_SUBCOMMANDS = ("list", "show", "create", "set", "delete", "default")
CATEGORY_OVERVIEW = Usage(
    "/oncall category list|show|create|set|delete|default ...",
    "",
    "/oncall category show le-emergency",
    EVERYONE,
)
ROTATION_SUBCOMMANDS = ("list", "show", "create", "set", "edit", "delete", "add", "remove", "move")
OVERVIEW = Usage(
    "/oncall <command> [arguments]", "", "/oncall help", EVERYONE
)  # for errors outside any one command
ROTATION_OVERVIEW = Usage(
    "/oncall rotation list|show|create|set|edit|delete|add|remove|move ...",
    "",
    "/oncall rotation show emea",
    EVERYONE,
)


def _topics() -> list[str]:
    keys = list(HELP)
    for group in ("rotation", "category"):
        at = keys.index(f"{group} list")
        keys = [*keys[:at], group, *keys[at:]]
    return keys


def normalize_topic(topic: str) -> str:
    words = decode(topic).lower().split()
    if words and words[0] in ("/oncall", "oncall"):
        words = words[1:]
    return " ".join(words)


def _entry(u: Usage, detailed: bool) -> str:
    lines = [f"`{u.usage}`", f"{u.description} _Who may use it: {u.access}._"]
    if detailed:
        if u.notes:
            lines.append(u.notes)
        lines.append(f"Example: `{u.example}`")
    return "\n".join(lines)


# The full help puts the asker's own commands first: a specialist's day-to-day ones
# (`pause` when this app has it), then what anyone may read, then the managers'. Each
# entry carries one example, so the reply alone is enough to type the next command.
SPECIALIST_FIRST = ("me", "away", "swap", "cover", "pause", "export", "exposure")
READING = ("who", "shifts", "coverage", "rotation list", "rotation show", "category list",
           "category show", "help")


def _listed(u: Usage, example: str | None = None) -> str:
    return f"`{u.usage}`\n{u.description} Example: `{example or u.example}`"


def _sections(specialist: bool, manager: bool) -> list[tuple[str, list[str]]]:
    own = [k for k in SPECIALIST_FIRST if k in HELP]
    reading = [k for k in READING if k in HELP]
    managers = [k for k, u in HELP.items() if u.access == MANAGERS]
    rest = [k for k in HELP if k not in (*own, *reading, *managers)]
    mine = ("Your commands", own) if specialist else ("For specialists", own)
    theirs = ("Manager commands" + ("" if manager else " (managers only)"), managers)
    everyone = ("For everyone", reading + rest)
    order = [mine, everyone, theirs] if specialist else [everyone, mine, theirs]
    if manager and not specialist:
        order = [everyone, theirs, mine]
    return order


def help_text(topic: str | None = None, *, specialist: bool = False,
              manager: bool = False, examples: dict[str, str] | None = None) -> str:
    """The full help (topic None or empty), one command's, or all `rotation` commands'.

    The full help is ordered for the asker (`_sections`): a specialist's own commands
    first, a manager's commands after them; `examples` (command -> example) replaces
    the general example with one that works for the asker. Slack mrkdwn (`&`, `<`,
    `>` escaped), usage lines in monospace. An unknown topic says so, suggests the
    closest and lists the topics."""
    key = normalize_topic(topic or "")
    if not key:
        parts = ["*/oncall commands*"]
        for title, keys in _sections(specialist, manager):
            parts.append(f"*{title}*")
            parts += [_listed(HELP[k], (examples or {}).get(k)) for k in keys]
        parts.append(
            "Mention people with @ and pick them from Slack's list. Dates and times: "
            "today, tomorrow, a weekday (fri), +2h, 18:00 (in your zone), or 2026-12-24 "
            "and 2026-12-24T08:00. `/oncall help <command>` shows the details."
        )
        text = "\n\n".join(parts)
    elif key in HELP:
        text = f"*/oncall {key}*\n" + _entry(HELP[key], detailed=True)
    elif key in ("rotation", "category"):
        parts = [f"*/oncall {key} commands*"]
        parts += [_entry(u, detailed=True) for k, u in HELP.items()
                  if k.startswith(f"{key} ")]
        text = "\n\n".join(parts)
    else:
        hit = difflib.get_close_matches(key, _topics(), n=1, cutoff=0.6)
        guess = f" Did you mean `{hit[0]}`?" if hit else ""
        text = (
            f"There is no command {quote(key)} to explain.{guess}\n"
            f"Topics: {', '.join(f'`{t}`' for t in _topics())}\n"
            "Example: `/oncall help rotation create`"
        )
    return escape(text)

