"""`intake.too_short`: the rule that turns `/emergency ok` into a question."""

from __future__ import annotations

import pytest

from bot.services.intake import too_short


@pytest.mark.parametrize("text", ["ok", "test", "  help  me ", "asdf", "hi there", "معه سلاح"])
def test_short(text):
    assert too_short(text)


@pytest.mark.parametrize("text", ["a man has a gun", "تهديد بتفجير مدرسة",
                                  "sextortion-livestream", "https://example.com/v/1"])
def test_long_enough(text):
    assert not too_short(text)
