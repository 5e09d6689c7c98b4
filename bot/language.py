"""Language detection for emergency requests, restricted to a team's languages.

    detector = LanguageDetector(["en", "es", "ar", "pt", "fr"], threshold=DEFAULT_THRESHOLD)
    detector.detect("amenaza de bomba en la escuela, video en vivo")
    # Detection(language='es', confidence=0.99..., runner_up='pt')

The library is py3langid (a naive Bayes byte n-gram model over 97 languages that ships
inside the package; nothing is downloaded). It was picked against lingua, langdetect,
CLD2 and fastText on `bench/data/emergency_texts.tsv`; the figures and the reasons are
in docs/language-detection.md and `bench/language_detection.py` reproduces them.

Contract:
- Slack markup (`<@U123|name>`, `<#C123|chan>`, `<!here>`, `<https://...|label>`), bare
  URLs, e-mail addresses, plain `@handles` and `:emoji:` codes are removed first
  (`clean_text`); a text left with no letters gives `Detection(None, 0.0, None)`.
- Only the team's languages can be answered. Codes the library does not know are ignored
  (see `LanguageDetector.ignored`), never an error; with none left every answer is None.
- `confidence` is the model's probability for its best guess, normalised over the team's
  languages. Below `threshold`, `language` is None (the caller falls back to the team's
  first language or asks) and `runner_up` holds that best guess, so a prompt can offer it.
- The model is loaded once per process on first use (about a second; `warm_up` does it
  at start-up) and each language set gets a small restricted copy that shares its large
  tables; both are built lazily under a lock and cached. About 70 MB resident in all,
  numpy included. `detect` is safe to call from many threads.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_THRESHOLD",
    "Detection",
    "LanguageDetector",
    "clean_text",
    "supported_languages",
]

# Chosen on the benchmark (docs/language-detection.md): at 0.7 py3langid answered 97% of
# the emergency texts with 99.4% precision and left every junk text unsure.
DEFAULT_THRESHOLD = 0.7

# Longer texts add time, not accuracy: detection reads only the first MAX_CHARS.
MAX_CHARS = 2000

_SLACK_MARKUP = re.compile(r"<[^<>\n]*>")  # <@U..>, <#C..|x>, <!here>, <!subteam^..>, <url|x>
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MENTION = re.compile(r"(?<![\w@])@[\w.-]+")
# :fire:, :+1:, :skin-tone-2: -- otherwise at least one letter, so "10:30:45" stays.
_EMOJI_CODE = re.compile(r":(?:[+-]1|(?=[a-z0-9_+'-]*[a-z])[a-z0-9_+'-]+):", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Detection:
    """The answer for one text.

    language: an ISO 639-1 code from the team's languages, or None when unsure (below the
        threshold, nothing left after cleaning, or no supported team language).
    confidence: probability of the best guess in [0, 1], normalised over the team's
        supported languages; 0.0 when there was nothing to detect.
    runner_up: the most likely language other than `language`; when `language` is None,
        the best guess itself (None if there was none).
    """

    language: str | None
    confidence: float
    runner_up: str | None


def clean_text(text: str) -> str:
    """The text with what is not language removed: Slack markup (mentions, channel and
    user-group refs, links with their labels), bare URLs, e-mail addresses, @handles and
    :emoji: codes; HTML entities Slack escapes are decoded and whitespace collapsed."""
    text = _SLACK_MARKUP.sub(" ", text)
    text = html.unescape(text)
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _EMOJI_CODE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


# --- the shared model -----------------------------------------------------------------------

_lock = threading.Lock()
_shared: tuple[Any, Any, Any, frozenset[str]] | None = None  # DFA tables + labels
_spare: Any = None  # the full identifier loaded with them, until a language set takes it
_restricted: dict[frozenset[str], Any] = {}


def _load_full() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _load_shared() -> tuple[Any, Any, Any, frozenset[str]]:
    global _shared, _spare
    if _shared is None:
        with _lock:
            if _shared is None:
                full = _load_full()
                _spare = full
                _shared = (full.tk_nextmove, full.tk_output, full.tk_row, frozenset(full.labels))
    return _shared


def supported_languages() -> frozenset[str]:
    """ISO 639-1 codes the detector can answer (loads the model on first call)."""
    return _load_shared()[3]


def _identifier_for(languages: frozenset[str]) -> Any:
    identifier = _restricted.get(languages)
    if identifier is not None:
        return identifier
    nextmove, output, row, _ = _load_shared()
    global _spare
    reloaded = False
    with _lock:
        identifier = _restricted.get(languages)
        if identifier is None:
            from py3langid.langid import LanguageIdentifier

            # The full model is ~40 MB of byte-automaton tables shared by all languages
            # plus ~28 MB of per-language tables. A language set keeps only its slice of
            # the latter (about 0.2 MB a language) and shares the automaton, so a second
            # team costs a load (about a second, once) but no second copy in memory.
            if _spare is not None:
                full, _spare = _spare, None
            else:
                full, reloaded = _load_full(), True
            full.set_languages(sorted(languages))
            try:
                identifier = LanguageIdentifier(
                    full.nb_ptc,
                    full.nb_pc,
                    full.nb_classes,
                    nextmove,
                    output,
                    norm_probs=True,
                    tk_row=row,
                )
            except TypeError:  # another constructor: keep the whole (restricted) copy
                identifier = full
            del full
            _restricted[languages] = identifier
    if reloaded:
        _return_freed_memory()
    return identifier


def _return_freed_memory() -> None:
    """Hand the freed reload back to the OS. glibc keeps large freed blocks on its heap
    after the first one (its mmap threshold adapts), which left ~35 MB resident per
    reload; elsewhere this does nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# --- the detector ---------------------------------------------------------------------------


class LanguageDetector:
    """Detects which of a team's languages a short text is written in.

    Cheap to create: the model is loaded on the first `detect` (or `warm_up`) and shared
    by every detector in the process; detectors with the same language set share one
    restricted model.
    """

    def __init__(self, languages: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> None:
        if isinstance(languages, str):
            raise TypeError("languages must be a sequence of ISO 639-1 codes, not a string")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
        codes: list[str] = []
        for code in languages:
            code = str(code).strip().lower()
            if code and code not in codes:
                codes.append(code)
        self._requested = tuple(codes)
        self.threshold = float(threshold)
        self._key: frozenset[str] | None = None

    def _resolve(self) -> frozenset[str]:
        if self._key is None:
            known = supported_languages()
            self._key = frozenset(c for c in self._requested if c in known)
        return self._key

    @property
    def languages(self) -> tuple[str, ...]:
        """The team's codes the detector can answer, in the order given."""
        key = self._resolve()
        return tuple(c for c in self._requested if c in key)

    @property
    def ignored(self) -> tuple[str, ...]:
        """The team's codes the library does not know; they are never answered."""
        key = self._resolve()
        return tuple(c for c in self._requested if c not in key)

    def warm_up(self) -> None:
        """Load the model now (about a second) rather than on the first request."""
        key = self._resolve()
        if len(key) > 1:
            _identifier_for(key)

    def detect(self, text: str) -> Detection:
        cleaned = clean_text(text or "")[:MAX_CHARS]
        key = self._resolve()
        if not key or not any(ch.isalpha() for ch in cleaned):
            return Detection(None, 0.0, None)
        if len(key) == 1:
            # Nothing to choose between: the one language, with nothing behind it.
            (only,) = key
            return Detection(only, 1.0, None)
        ranking = _identifier_for(key).rank(cleaned)
        best, confidence = ranking[0]
        runner_up = ranking[1][0] if len(ranking) > 1 else None
        confidence = min(1.0, max(0.0, float(confidence)))
        if confidence >= self.threshold:
            return Detection(best, confidence, runner_up)
        return Detection(None, confidence, best)

    def __repr__(self) -> str:
        return f"LanguageDetector({list(self._requested)!r}, threshold={self.threshold})"
