"""Languages: their English names, which codes are ISO 639-1, and the decision that turns
a detector's guess into what intake does with a request.

    decide(Guess-like values, served=("en", "es", "ar", "pt", "fr"))
    # LanguageDecision(kind=UNSERVED, language="it", best_guess="it", confidence=0.97, ...)

The decision, for a request's text:
- SERVED: the best guess over every language the detector knows is one of the team's
  languages with at least `threshold` confidence; or it is one of the team's languages
  below that, and detection restricted to the team's languages (`confirm`) names the same
  language with at least `confirm_threshold`. A served answer is only ever the
  all-language model's own best guess: a text whose best guess is another language is
  never relabelled as one the team reads.
- UNSERVED: the best guess is a language the team does not list, with at least
  `threshold` confidence; `language` names it ("it").
- UNKNOWN: nothing confident (`language` is None); the best guess and runner-up are kept
  for the timeline.

Pure: no I/O, no model (bot.language does the detecting).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CONFIRM_THRESHOLD",
    "ISO_639_1",
    "LANGUAGE_NAMES",
    "SERVED",
    "THRESHOLD",
    "TRANSLATED_SOURCES",
    "UNKNOWN",
    "UNSERVED",
    "LanguageDecision",
    "decide",
    "is_iso_639_1",
    "name",
]

# Every ISO 639-1 code, with its English name.
ISO_639_1 = {
    "aa": "Afar", "ab": "Abkhazian", "ae": "Avestan", "af": "Afrikaans", "ak": "Akan",
    "am": "Amharic", "an": "Aragonese", "ar": "Arabic", "as": "Assamese", "av": "Avaric",
    "ay": "Aymara", "az": "Azerbaijani", "ba": "Bashkir", "be": "Belarusian",
    "bg": "Bulgarian", "bi": "Bislama", "bm": "Bambara", "bn": "Bengali", "bo": "Tibetan",
    "br": "Breton", "bs": "Bosnian", "ca": "Catalan", "ce": "Chechen", "ch": "Chamorro",
    "co": "Corsican", "cr": "Cree", "cs": "Czech", "cu": "Church Slavonic", "cv": "Chuvash",
    "cy": "Welsh", "da": "Danish", "de": "German", "dv": "Dhivehi", "dz": "Dzongkha",
    "ee": "Ewe", "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish",
    "et": "Estonian", "eu": "Basque", "fa": "Persian", "ff": "Fula", "fi": "Finnish",
    "fj": "Fijian", "fo": "Faroese", "fr": "French", "fy": "Western Frisian", "ga": "Irish",
    "gd": "Scottish Gaelic", "gl": "Galician", "gn": "Guarani", "gu": "Gujarati",
    "gv": "Manx", "ha": "Hausa", "he": "Hebrew", "hi": "Hindi", "ho": "Hiri Motu",
    "hr": "Croatian", "ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian",
    "hz": "Herero", "ia": "Interlingua", "id": "Indonesian", "ie": "Interlingue",
    "ig": "Igbo", "ii": "Sichuan Yi", "ik": "Inupiaq", "io": "Ido", "is": "Icelandic",
    "it": "Italian", "iu": "Inuktitut", "ja": "Japanese", "jv": "Javanese",
    "ka": "Georgian", "kg": "Kongo", "ki": "Kikuyu", "kj": "Kuanyama", "kk": "Kazakh",
    "kl": "Greenlandic", "km": "Khmer", "kn": "Kannada", "ko": "Korean", "kr": "Kanuri",
    "ks": "Kashmiri", "ku": "Kurdish", "kv": "Komi", "kw": "Cornish", "ky": "Kyrgyz",
    "la": "Latin", "lb": "Luxembourgish", "lg": "Ganda", "li": "Limburgish",
    "ln": "Lingala", "lo": "Lao", "lt": "Lithuanian", "lu": "Luba-Katanga",
    "lv": "Latvian", "mg": "Malagasy", "mh": "Marshallese", "mi": "Maori",
    "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi",
    "ms": "Malay", "mt": "Maltese", "my": "Burmese", "na": "Nauru",
    "nb": "Norwegian Bokmål", "nd": "North Ndebele", "ne": "Nepali", "ng": "Ndonga",
    "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian", "nr": "South Ndebele",
    "nv": "Navajo", "ny": "Chichewa", "oc": "Occitan", "oj": "Ojibwe", "om": "Oromo",
    "or": "Odia", "os": "Ossetian", "pa": "Punjabi", "pi": "Pali", "pl": "Polish",
    "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua", "rm": "Romansh", "rn": "Kirundi",
    "ro": "Romanian", "ru": "Russian", "rw": "Kinyarwanda", "sa": "Sanskrit",
    "sc": "Sardinian", "sd": "Sindhi", "se": "Northern Sami", "sg": "Sango",
    "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian", "sm": "Samoan", "sn": "Shona",
    "so": "Somali", "sq": "Albanian", "sr": "Serbian", "ss": "Swati", "st": "Southern Sotho",
    "su": "Sundanese", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu",
    "tg": "Tajik", "th": "Thai", "ti": "Tigrinya", "tk": "Turkmen", "tl": "Tagalog",
    "tn": "Tswana", "to": "Tongan", "tr": "Turkish", "ts": "Tsonga", "tt": "Tatar",
    "tw": "Twi", "ty": "Tahitian", "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu",
    "uz": "Uzbek", "ve": "Venda", "vi": "Vietnamese", "vo": "Volapük", "wa": "Walloon",
    "wo": "Wolof", "xh": "Xhosa", "yi": "Yiddish", "yo": "Yoruba", "za": "Zhuang",
    "zh": "Chinese", "zu": "Zulu",
}  # fmt: skip

# Languages the detector knows that have no ISO 639-1 code (their ISO 639-3 one).
_OTHER_NAMES = {
    "ace": "Acehnese", "bcl": "Central Bikol", "crh": "Crimean Tatar", "ext": "Extremaduran",
    "gcf": "Guadeloupean Creole", "gcr": "Guianese Creole", "guw": "Gun", "kab": "Kabyle",
    "kik": "Kikuyu", "kok": "Konkani", "lij": "Ligurian", "ltg": "Latgalian",
    "nso": "Northern Sotho", "pcm": "Nigerian Pidgin", "vec": "Venetian",
}  # fmt: skip

# English names for messages ("Arabic"); a code with no name is shown as it is.
LANGUAGE_NAMES = {**ISO_639_1, **_OTHER_NAMES}

_CODE = re.compile(r"[a-z]{2}")


def is_iso_639_1(code: str) -> bool:
    return bool(_CODE.fullmatch(code or "")) and code in ISO_639_1


def name(code: str | None) -> str:
    """'it' -> 'Italian'; an unnamed code stays as it is."""
    return LANGUAGE_NAMES.get(code or "", code or "")


# --- the decision ----------------------------------------------------------------------------

SERVED, UNSERVED, UNKNOWN = "served", "unserved", "unknown"
# A request's `language_source` when the team does not read what it is written in (or
# nobody could tell): its pages need a translation whoever is paged.
TRANSLATED_SOURCES = ("unserved", "unknown")

# Chosen on bench/data (docs/language-detection.md): over every language the model
# knows, at 0.5 no text in another language was taken for a team language and all junk
# texts stayed unknown; a team language's own best guess below 0.5 is accepted when the
# detector restricted to the team's languages agrees at CONFIRM_THRESHOLD.
THRESHOLD = 0.5
CONFIRM_THRESHOLD = 0.7


@dataclass(frozen=True)
class LanguageDecision:
    """What intake does with a request's language.

    kind: SERVED, UNSERVED or UNKNOWN.
    language: the served or unserved code; None when UNKNOWN.
    best_guess / confidence: the all-language model's best guess and its probability
        (None / 0.0 when there was nothing to detect).
    runner_up: the next most likely language (for the timeline), or None.
    """

    kind: str
    language: str | None
    best_guess: str | None
    confidence: float
    runner_up: str | None = None

    @property
    def served(self) -> bool:
        return self.kind == SERVED


def decide(best: str | None, confidence: float, runner_up: str | None,
           served: Iterable[str], threshold: float = THRESHOLD,
           confirm: tuple[str | None, float] | None = None,
           confirm_threshold: float = CONFIRM_THRESHOLD) -> LanguageDecision:
    """The decision for one text from the all-language guess (`best`, `confidence`,
    `runner_up`), the team's `served` codes and, optionally, what detection restricted to
    them answered (`confirm`: its language or None, and its confidence)."""
    team = set(served)
    confidence = min(1.0, max(0.0, float(confidence)))

    def made(kind: str, language: str | None) -> LanguageDecision:
        return LanguageDecision(kind, language, best, confidence, runner_up)

    if best is None:
        return made(UNKNOWN, None)
    if confidence >= threshold:
        return made(SERVED if best in team else UNSERVED, best)
    if best in team and confirm is not None:
        language, restricted = confirm
        if language == best and restricted >= confirm_threshold:
            return made(SERVED, best)
    return made(UNKNOWN, None)
