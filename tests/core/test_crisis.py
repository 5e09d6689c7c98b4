"""Crisis mode, pure: which requests a crisis takes in, the severity they are raised
to, the channel name."""

from bot.core.crisis import matches, raised, slug


def test_languages_and_words_narrow_a_crisis():
    assert matches((), (), "ar", "anything at all")  # neither: every request
    assert matches(("ar", "fr"), (), "fr", "anything")
    assert not matches(("ar", "fr"), (), "es", "anything")
    assert matches((), ("flood",), "en", "The FLOOD video is live")  # any case
    assert not matches((), ("flood",), "en", "floods of reports")  # whole word only
    assert matches((), ("flood", "dam"), "en", "dam broke!")
    assert matches(("ar",), ("فيضان",), "ar", "فيديو فيضان مباشر")
    assert not matches(("ar",), ("flood",), "fr", "flood")


def test_raised_keeps_a_more_severe_explicit_choice():
    assert raised("sev3", ["sev1"]) == "sev1"
    assert raised("sev2", ["sev2", "sev3"]) == "sev2"
    assert raised("sev1", ["sev2"]) == "sev1"


def test_slug():
    assert slug("Beirut Port") == "crisis-beirut-port"
    assert slug("  Élan / 2026!! ") == "crisis-elan-2026"
    assert len(slug("x" * 200)) == 80
