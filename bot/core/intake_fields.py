"""The fields a category asks for (`fields: [agency, officer, callback_number, ...]` in
the team's YAML): how each is labelled for a person, the hint under it, and what a
value must look like. Pure: the forms, the intake service and the renderers all ask
here, so a field is described and checked one way.

A field name the table does not know is still asked: its label is the name in words
("badge_number" -> "Badge number"), any text up to `MAX_LENGTH` characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 500  # what any field keeps (the intake service cuts longer values)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # what the form and the page call it
    hint: str = ""  # under the form's input
    placeholder: str = ""
    max_length: int = 200
    kind: str = "text"  # text | phone


KNOWN: dict[str, FieldSpec] = {spec.name: spec for spec in (
    FieldSpec("agency", "Requesting agency",
              "The police force or authority asking, as they named themselves. The "
              "agency's publicly listed number is checked separately.",
              "e.g. Metropolitan Police Service", 200),
    FieldSpec("officer", "Requesting officer",
              "Name, rank and badge or warrant number, as given.",
              "e.g. DC Jane Smith, warrant 123456", 200),
    FieldSpec("callback_number", "Callback number",
              "The number the officer gave, with the country code. It is not trusted "
              "for verification: the agency's publicly listed number is called instead.",
              "e.g. +44 20 7230 1212", 40, "phone"),
    FieldSpec("case_reference", "Case reference",
              "The agency's reference for the case, if they gave one.",
              "e.g. CAD 4521/12MAR", 100),
)}

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]+((\s*(ext\.?|x)\s*)[0-9]{1,6})?$", re.I)


def spec(name: str) -> FieldSpec:
    """How field `name` is asked and shown."""
    known = KNOWN.get(name)
    if known is not None:
        return known
    words = name.replace("_", " ").replace("-", " ").strip()
    return FieldSpec(name, (words[:1].upper() + words[1:]) or "Detail", max_length=MAX_LENGTH)


def label(name: str) -> str:
    return spec(name).label


def problem(name: str, value: str) -> str | None:
    """What is wrong with `value` for field `name`, in words for the requester; None
    when it is fine (an empty value is fine: every field may be left out)."""
    s = spec(name)
    text = value.strip()
    if not text:
        return None
    if len(text) > s.max_length:
        return (f"{s.label} is {len(text)} characters long; keep it under {s.max_length}, "
                "and put the rest in the description")
    if s.kind == "phone":
        digits = sum(ch.isdigit() for ch in text.split("x")[0].split("X")[0])
        if not _PHONE_CHARS.match(text) or not 7 <= digits <= 15:
            return (f"'{text[:40]}' does not look like a phone number; write it with the "
                    "country code, e.g. +44 20 7230 1212")
    return None


def problems(fields: tuple[str, ...], values: dict[str, str]) -> dict[str, str]:
    """Field name -> what is wrong, for the category's `fields` given `values`."""
    found = {}
    for name in fields:
        wrong = problem(name, str(values.get(name) or ""))
        if wrong:
            found[name] = wrong
    return found
