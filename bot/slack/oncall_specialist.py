"""`/oncall specialist @user [key=value ...]`: show a specialist, or change them.

A phone number is personal: shown in full to the managers and to the person, masked to
everyone else (`contacts.mask_phone`). `phone=` and `email=` go to `set_contacts`, which
lets a person set their own; the other keys are the managers' (`set_specialist`)."""

from __future__ import annotations

from bot.core import contacts
from bot.core.roster import Roster
from bot.services.rotations import RotationService
from bot.slack import grammar as g

__all__ = ["specialist_reply"]


def specialist_reply(rotations: RotationService, roster: Roster, manager: bool, user: str,
                     cmd: g.SpecialistCmd) -> str:
    f = cmd.fields
    if any(k in f for k in ("phone", "email")):
        return rotations.set_contacts(user, cmd.user, f.get("phone", ...),
                                      f.get("email", ...)).text
    if f:
        return rotations.set_specialist(
            user, cmd.user, languages=f.get("languages"), timezone=f.get("timezone"),
            backup=f.get("backup"), name=f.get("name")).text
    spec = roster.specialist(cmd.user)
    if spec is None:
        return f"<@{cmd.user}> is not a specialist of team {roster.team.name}."
    backup = ", ".join(spec.backup) or "none"
    phone = spec.phone if manager or user == cmd.user else contacts.mask_phone(spec.phone)
    return (f"<@{cmd.user}> ({spec.name}): languages {', '.join(spec.languages)}, "
            f"time zone {spec.timezone}, backup {backup}"
            + (f", holidays {spec.holidays}" if spec.holidays else "")
            + f", skills {', '.join(spec.skills) or 'none'}"
            + (f", phone {phone}" if spec.phone else "")
            + (f", email {spec.email}" if spec.email else ""))
