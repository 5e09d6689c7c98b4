"""The team rules of categories (PRODUCT.md "Categories (workflows)"): each category's
values, the policy it names, the default category; and the one warning a team can get,
a category's skill that nobody holds. `bot.core.checks` runs these with the others.

Pure: no I/O.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core import parsers
from bot.core.check_base import Problem, Where, did_you_mean, keys
from bot.core.model import DEFAULT_CATEGORY, SEVERITIES, VERIFICATIONS, Category, Team

__all__ = ["categories", "warnings"]


def warnings(team: Team) -> list[Problem]:
    """What the team allows but probably does not mean: a skill a category requires that
    no specialist holds (its requests would page nobody but the managers)."""
    held = {k for s in team.specialists for k in s.skills}
    out = []
    for i, c in enumerate(team.categories):
        for j, skill in enumerate(c.skills):
            if skill not in held and skill not in c.skills[:j]:
                out.append(Problem(
                    ("categories", i, "skills", j),
                    f"no specialist holds skill '{skill}', which category '{c.name}' requires, "
                    f"so its requests would page only the managers; add it to the people "
                    f"trained for it, e.g. skills: [{skill}] on a specialist"
                    + did_you_mean(skill, sorted(held)),
                    reply=f"no specialist holds skill '{skill}', which category '{c.name}' "
                          "requires"))
    return out


def categories(team: Team) -> list[Problem]:
    out = []
    names = [c.name for c in team.categories]
    for i, c in enumerate(team.categories):
        out += category(team, ("categories", i), c)
    default = team.default_category
    if default is not None and default not in names and default != DEFAULT_CATEGORY:
        listed = ", ".join(names) or "none"
        out.append(Problem(("default_category",),
                           f"default_category '{default}' is not a listed category (listed: "
                           f"{listed}); name one under `categories`, or use "
                           f"{DEFAULT_CATEGORY}" + did_you_mean(default, names),
                           reply=f"default category '{default}' is not a category of the "
                                 "team"))
    return out


def category(team: Team, at: Where, c: Category) -> list[Problem]:
    out = []
    if not parsers.SLUG.fullmatch(c.name):
        out.append(Problem((*at, "name"), f"category name '{c.name}' must be "
                                          f"{parsers.SLUG_RULE}, e.g. le-emergency"))
    if not c.label.strip() or not parsers.is_printable_line(c.label):
        out.append(Problem((*at, "label"), "label must be printable text on one line, e.g. "
                                           "Law-enforcement emergency request"))
    if c.severity is not None and c.severity not in SEVERITIES:
        out.append(Problem((*at, "severity"),
                           f"unknown severity '{c.severity}'; allowed: {', '.join(SEVERITIES)}, "
                           "e.g. severity: sev1"))
    policies = [name for name, _ in team.policies]
    if c.policy is not None and c.policy not in policies:
        have = ", ".join(policies) or "none yet"
        out.append(Problem((*at, "policy"),
                           f"unknown policy '{c.policy}'; a category's policy must be the name "
                           f"of one under escalation.policies ({have}); define it there, "
                           "e.g. le-emergency: {steps: [{notify: language_oncall, wait: 2m}, "
                           "{notify: channel}]}, or leave policy out to run the severity's"
                           + did_you_mean(c.policy, policies)))
    out += keys((*at, "skills"), c.skills, "skill")
    if c.due is not None and c.due <= timedelta(0):
        out.append(Problem((*at, "due"), "due must be a positive duration, e.g. due: 30m"))
    if c.exposure_weight is not None and c.exposure_weight < 1:
        out.append(Problem((*at, "exposure_weight"),
                           f"exposure_weight {c.exposure_weight} must be a whole number >= 1 "
                           "(how much one request counts toward a reader's exposure), e.g. "
                           "exposure_weight: 3"))
    if c.verification is not None and c.verification not in VERIFICATIONS:
        out.append(Problem((*at, "verification"),
                           f"unknown verification '{c.verification}'; allowed: "
                           f"{', '.join(VERIFICATIONS)} (or leave it out for none), e.g. "
                           "verification: two_person"
                           + did_you_mean(c.verification, VERIFICATIONS)))
    out += keys((*at, "fields"), c.fields, "field")
    return out
