"""End to end, `/oncall specialist @user phone=... email=...` (PRODUCT.md "Delivery that
reaches a person"): a manager sets anyone's, a person their own, nobody else's; a
number is personal, so others see it masked and the audit keeps it masked; bad values
change nothing."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.paging_tables import AuditRow
from tests.e2e.test_e2e_oncall import (
    M_OMAR,
    M_YASMINE,
    OMAR,
    TEAM,
    YASMINE,
    oncall,
    revision,
    roster,
    slack,  # noqa: F401  (the fixture)
)


def contacts_of(h, user: str) -> tuple[str | None, str | None]:
    s = roster(h).specialist(user)
    return s.phone, s.email


def test_a_manager_sets_a_phone_and_an_email_masked_in_the_audit(slack):  # noqa: F811
    text = oncall(slack, f"specialist {M_OMAR} phone=+353861234567 "
                         "email=<mailto:omar@example.org|omar@example.org>")
    assert "phone +35386•••••67" in text and "email omar@example.org" in text, text
    assert contacts_of(slack, OMAR) == ("+353861234567", "omar@example.org")
    with slack.runtime.sessions() as session:
        [row] = session.scalars(select(AuditRow).where(
            AuditRow.team == TEAM, AuditRow.action == "specialist.contacts"))
        assert row.detail["after"]["phone"] == "+35386•••••67"
        assert "+353861234567" not in str(row.detail)
    # The manager and the person see the number; anyone else sees it masked.
    assert "phone +353861234567" in oncall(slack, f"specialist {M_OMAR}")
    assert "phone +353861234567" in oncall(slack, f"specialist {M_OMAR}", user=OMAR)
    shown = oncall(slack, f"specialist {M_OMAR}", user=YASMINE)
    assert "+353861234567" not in shown and "phone +35386•••••67" in shown
    # none clears.
    oncall(slack, f"specialist {M_OMAR} phone=none")
    assert contacts_of(slack, OMAR) == (None, "omar@example.org")


def test_a_person_sets_their_own_but_not_someone_elses(slack):  # noqa: F811
    text = oncall(slack, f"specialist {M_YASMINE} phone=+34600111222", user=YASMINE)
    assert "phone +34600••••22" in text, text
    assert contacts_of(slack, YASMINE) == ("+34600111222", None)
    rev = revision(slack)
    text = oncall(slack, f"specialist {M_OMAR} phone=+34600111333", user=YASMINE)
    assert "only" in text and "can change someone else's phone or email" in text, text
    assert contacts_of(slack, OMAR)[0] is None and revision(slack) == rev
    # Languages stay the managers'.
    text = oncall(slack, f"specialist {M_YASMINE} languages=es", user=YASMINE)
    assert "only" in text and revision(slack) == rev


def test_bad_values_change_nothing(slack):  # noqa: F811
    rev = revision(slack)
    text = oncall(slack, f"specialist {M_OMAR} phone=0861234567")
    assert "is not an E.164 number; write it with + and the country code" in text
    text = oncall(slack, f"specialist {M_OMAR} email=omar@")
    assert "is not an email address" in text
    text = oncall(slack, f"specialist {M_OMAR} phone=+353861234567 timezone=Europe/Dublin")
    assert "Set phone= and email= on their own" in text
    assert contacts_of(slack, OMAR) == (None, None) and revision(slack) == rev
