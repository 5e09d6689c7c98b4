"""Language detection for emergency requests: over every language the model knows
(`guess_language`, what intake decides with), or restricted to a team's languages
(`LanguageDetector`, which intake asks only to confirm a low-confidence best guess that
is already a team language).

    guess_language("minaccia di bomba a scuola, video in diretta")
    # Guess(best='it', confidence=0.81..., runner_up='lij', runner_up_confidence=...)
    detector = LanguageDetector(["en", "es", "ar", "pt", "fr"], threshold=DEFAULT_THRESHOLD)
    detector.detect("amenaza de bomba en la escuela, video en vivo")
    # Detection(language='es', confidence=0.99..., runner_up='pt')

The model is py3langid's (a naive Bayes byte n-gram model over about 140 labels that
ships inside the package; nothing is downloaded). It was picked against lingua,
langdetect, CLD2 and fastText on `bench/data/emergency_texts.tsv`; the figures and the
reasons, and those for detecting over every language (issue 12), are in
docs/language-detection.md; `bench/language_detection.py` reproduces them.

Contract:
- Slack markup (`<@U123|name>`, `<#C123|chan>`, `<!here>`, `<https://...|label>`), bare
  URLs, e-mail addresses, plain `@handles` and `:emoji:` codes are removed first
  (`clean_text`); a text left with no letters gives `Detection(None, 0.0, None)` /
  `Guess(None, 0.0)`.
- `guess_language` answers over every label, regional varieties folded (`FOLD`), nothing
  thresholded: `bot.core.languages.decide` makes the decision.
- `LanguageDetector`: only the team's languages can be answered. Codes the library does
  not know are ignored (see `LanguageDetector.ignored`), never an error; with none left
  every answer is None. `confidence` is the model's probability for its best guess,
  normalised over the team's languages. Below `threshold`, `language` is None and
  `runner_up` holds that best guess.
- The answers are py3langid's own (`LanguageIdentifier(norm_probs=True)`, restricted with
  `set_languages`; over every label, from quantised tables, the same best guess), but
  the serving process never imports py3langid or numpy. Once per machine and py3langid
  version, a child process (`python -m bot.language.tables build-cache`) loads the model
  with py3langid and writes its tables to a cache directory as raw arrays (150 MB on
  disk; see `ensure_cache`, which `oncall-bot serve` calls at start-up;
  `bot.language.tables` builds and maps them, this module cleans and scores).
  A process maps those files read-only on first use, once, under a lock, and only the
  pages its texts touch become resident (34 MB after the 469 benchmark texts for both
  ways of detecting; trimmed every TRIM_EVERY guesses). Detection is pure Python: about
  25-50 us a short text restricted, 1.3-2 times that over every language; safe to call
  from many threads.
"""

from __future__ import annotations

import html
import math
import re
import threading
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter, mul

# ensure_cache is part of this module's API (`oncall-bot serve` calls it at start-up);
# it lives with the tables it builds.
from bot.language.tables import LANE_CHUNK, LANE_WEIGHT, MappedModel, ensure_cache, load_model

__all__ = [
    "DEFAULT_THRESHOLD",
    "Detection",
    "Guess",
    "guess_language",
    "known_languages",
    "LanguageDetector",
    "clean_text",
    "ensure_cache",
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


def _float32(values: list[float]) -> list[float]:
    """Rounded to float32, as py3langid computes: probabilities too small for float32 are
    0.0 there, and ties between them are ranked in column order."""
    return array("f", values).tolist()


# log1p of a feature count, rounded to float32 as py3langid's are.
_LOG1P = tuple(_float32([math.log1p(n) for n in range(256)]))


def _encode(text: str) -> bytes:
    """py3langid's `LanguageIdentifier._encode` for a str."""
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


class _Scorer:
    """py3langid's `LanguageIdentifier(norm_probs=True)` after `set_languages(languages)`:
    the same columns in the same order, reading the shared mapped tables."""

    def __init__(self, model: MappedModel, languages: frozenset[str]) -> None:
        columns = [i for i, c in enumerate(model.classes) if c in languages]
        n = model.n_features
        self._model = model
        self._classes = tuple(model.classes[i] for i in columns)
        self._pc = tuple(model.pc[i] for i in columns)
        self._ptc = tuple(model.ptc[i * n : (i + 1) * n] for i in columns)
        # Alias columns (srl -> sr share a label): fold the dupe into the first one.
        first: dict[str, int] = {}
        pairs: list[tuple[int, int]] = []
        for i, label in enumerate(self._classes):
            if label in first:
                pairs.append((first[label], i))
            else:
                first[label] = i
        self._alias_pairs = tuple(pairs)

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every language of the set by probability, best first, one entry per label; ties
        in the model's column order (py3langid's `rank`)."""
        data = _encode(text)
        counts = self._model.features(data)
        if counts:
            features = list(counts)
            weights = [
                _LOG1P[n] if n < len(_LOG1P) else _float32([math.log1p(n)])[0]
                for n in counts.values()
            ]
            scores = [
                sum(map(mul, weights, map(column.__getitem__, features))) + prior
                for column, prior in zip(self._ptc, self._pc, strict=True)
            ]
        else:  # no features: every score 0, so the softmax is uniform
            scores = [0.0] * len(self._classes)
        # py3langid's temperature: sqrt(bytes) keeps the softmax calibrated across lengths.
        scale = 1.0 / math.sqrt(len(data) or 1)
        top = max(scores) * scale
        exps = _float32([math.exp(s * scale - top) for s in scores])
        total = sum(exps)
        probs = [e / total for e in exps]
        for i, j in self._alias_pairs:
            probs[i] += probs[j]
            probs[j] = 0.0
        merged: dict[str, float] = {}
        for label, p in zip(self._classes, _float32(probs), strict=True):
            merged.setdefault(label, p)  # the first column holds the folded score
        return sorted(merged.items(), key=itemgetter(1), reverse=True)


# The scorers of the language sets seen so far, shared by every detector in the process.
_lock = threading.Lock()
_scorers: dict[frozenset[str], _Scorer] = {}


def supported_languages() -> frozenset[str]:
    """ISO 639-1 codes the detector can answer (maps the model's tables on first call,
    building the cache first if this machine has none)."""
    return load_model().labels


def _identifier_for(languages: frozenset[str]) -> _Scorer:
    """The scorer of one language set, built once per process and shared."""
    scorer = _scorers.get(languages)
    if scorer is None:
        model = load_model()
        with _lock:
            scorer = _scorers.get(languages)
            if scorer is None:
                scorer = _scorers[languages] = _Scorer(model, languages)
    return scorer


# --- every language the model knows ---------------------------------------------------------

# Model labels folded into one code before anything is decided: regional varieties the
# model tells apart but a reader does not (Moroccan and Egyptian Arabic are Arabic,
# Cantonese and Wu are Chinese), and the ISO 639-3 codes of languages that have an
# ISO 639-1 one. Their probabilities are added up.
FOLD = {
    "ary": "ar", "arz": "ar", "yue": "zh", "wuu": "zh", "uzs": "uz", "gug": "gn",
    "sdh": "ku", "fuv": "ff", "hbo": "he", "grc": "el", "gom": "kok",
}  # fmt: skip
# The model's label for text with no language in it (numbers, symbols, code).
NO_LANGUAGE = "zxx"


@dataclass(frozen=True)
class Guess:
    """The best guess over every language the model knows, with nothing decided yet.

    best: the most likely language (ISO 639-1 where it has one, after FOLD), or None when
        there was nothing to detect or the model says the text has no language.
    confidence: its probability over every language, in [0, 1] (0.0 when best is None
        because nothing was left to detect).
    runner_up / runner_up_confidence: the next most likely language and its probability.
    """

    best: str | None
    confidence: float
    runner_up: str | None = None
    runner_up_confidence: float = 0.0


class _AllScorer:
    """Naive Bayes over every class of the model, from the feature-major quantised lanes:
    each feature's row of class weights is one Python int (32 bits per class), so a text's
    features are summed with one big-int addition each instead of a loop per language.
    The quantisation (12 bits over the weights' span) moves probabilities by under 1%
    and picked py3langid's own best guess on every benchmark text (tests check this)."""

    def __init__(self, model: MappedModel) -> None:
        self._model = model
        self._n = len(model.classes)
        self._pc = model.pc
        labels = [FOLD.get(c, c) for c in model.classes]
        # Columns sharing a label (FOLD, or the model's own alias columns) are added into
        # the first one, which then stands for the label.
        first: dict[str, int] = {}
        pairs: list[tuple[int, int]] = []
        for i, label in enumerate(labels):
            if label in first:
                pairs.append((first[label], i))
            else:
                first[label] = i
        self._labels = tuple(labels)
        self._fold_pairs = tuple(pairs)
        self._weights = tuple(round(math.log1p(n) * LANE_WEIGHT) for n in range(256))
        self._little = array("I", b"\x01\x00\x00\x00")[0] == 1
        # Recently used features' rows as ints (a dict read instead of converting 568
        # bytes): at most ROW_CACHE of them, about 0.7 KB each.
        self._rows: dict[int, int] = {}
        # The class priors, quantised on the lanes' scale (less their smallest, which the
        # softmax cancels) and packed the same way: added once, they leave each lane
        # holding its class's whole score.
        low = min(model.pc)
        priors = [round((p - low) * model.lane_scale) for p in model.pc]
        self._priors = priors
        self._packed_priors = sum(q << (32 * i) for i, q in enumerate(priors))

    def _scores(self, counts: dict[int, int]) -> list[float]:
        model = self._model
        lane_row, weights = model.lane_row, self._weights
        width = model.lane_bytes
        from_bytes = int.from_bytes
        totals: list[float] | list[int] = []
        items = list(counts.items())
        for start in range(0, len(items), LANE_CHUNK):
            groups: dict[int, int] = {}
            cache = self._rows
            for feature, count in items[start:start + LANE_CHUNK]:
                row = cache.get(feature)
                if row is None:
                    if len(cache) >= ROW_CACHE:
                        cache.clear()  # cheaper than LRU bookkeeping; refills from the file
                    row = cache[feature] = from_bytes(lane_row(feature), "little")
                groups[count] = groups.get(count, 0) + row
            packed = self._packed_priors if start == 0 else 0
            for count, summed in groups.items():
                w = weights[count] if count < 256 else round(math.log1p(count) * LANE_WEIGHT)
                packed += summed * w
            lane = array("I", packed.to_bytes(width, "little"))
            if not self._little:  # pragma: no cover - big-endian machines
                lane.byteswap()
            if start == 0:
                totals = lane.tolist()
            else:
                totals = [t + v for t, v in zip(totals, lane, strict=True)]
        return totals

    def rank2(self, text: str) -> tuple[tuple[str, float], tuple[str, float]]:
        """The two most likely labels (after FOLD) with their probabilities."""
        data = _encode(text)
        counts = self._model.features(data)
        totals = self._scores(counts) if counts else self._priors
        # py3langid's temperature: sqrt(bytes) keeps the softmax calibrated across lengths.
        k = 1.0 / (math.sqrt(len(data) or 1) * self._model.lane_scale)
        top = max(totals)
        exp = math.exp
        exps = [exp((v - top) * k) for v in totals]
        total = sum(exps)
        for i, j in self._fold_pairs:
            exps[i] += exps[j]
            exps[j] = 0.0
        pa = max(exps)
        a = exps.index(pa)
        exps[a] = -1.0
        pb = max(exps)
        b = exps.index(pb)
        return (self._labels[a], pa / total), (self._labels[b], pb / total)


_all_scorer: _AllScorer | None = None
ROW_CACHE = 4096
# Every TRIM_EVERY all-language guesses the process lets go of the table pages it holds
# of the automaton (`MappedModel.trim`; the lanes are read, not mapped): pages stay
# mapped once touched, so a process running for weeks would otherwise grow towards all
# of the 40 MB automaton. Measured, when the 57 MB lanes were mapped too, with
# bench/language_detection.py --decision on 20,000 adversarial texts: 135 MB peak
# untrimmed, 134 MB trimming every 1,000 texts, 112-128 MB every 100 texts, which cost
# about 5-10% more time per text (the next texts fault their pages back in).
TRIM_EVERY = 1000
_guesses = 0


def guess_language(text: str) -> Guess:
    """The best guess among every language the model knows (about 140 labels, folded as
    FOLD says), after `clean_text`. Nothing is restricted and nothing thresholded here:
    `bot.core.languages.decide` turns a Guess into served / not served / unknown."""
    global _all_scorer, _guesses
    cleaned = clean_text(text or "")[:MAX_CHARS]
    if not any(ch.isalpha() for ch in cleaned):
        return Guess(None, 0.0)
    scorer = _all_scorer
    if scorer is None:
        model = load_model()
        with _lock:
            if _all_scorer is None:
                _all_scorer = _AllScorer(model)
            scorer = _all_scorer
    (best, p), (second, q) = scorer.rank2(cleaned)
    _guesses += 1  # not atomic across threads: an approximate count is enough here
    if _guesses % TRIM_EVERY == 0:
        load_model().trim()
    p, q = min(1.0, max(0.0, p)), min(1.0, max(0.0, q))
    if best == NO_LANGUAGE:
        return Guess(None, p, second, q)
    return Guess(best, p, None if second == NO_LANGUAGE else second, q)


def known_languages() -> frozenset[str]:
    """The codes `guess_language` can answer (model labels after FOLD, without NO_LANGUAGE)."""
    return frozenset(FOLD.get(c, c) for c in load_model().classes) - {NO_LANGUAGE}


# --- the detector ---------------------------------------------------------------------------


class LanguageDetector:
    """Detects which of a team's languages a short text is written in.

    Cheap to create: the model's tables are mapped on the first `detect` (or `warm_up`)
    and shared by every detector in the process; detectors with the same language set
    share one scorer.
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
        """Map the model's tables now rather than on the first request (and build the
        on-disk cache first if this machine has none: a few seconds, once)."""
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


