"""bot.language.detector: detection restricted to a team's languages, with a confidence threshold.

py3langid is deterministic (no sampling), so every expectation here is exact. Times are
measured in bench/language_detection.py, not here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.language.detector import (
    DEFAULT_THRESHOLD,
    Detection,
    LanguageDetector,
    clean_text,
    supported_languages,
)

TEAM = ["en", "es", "ar", "pt", "fr"]
ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "data" / "emergency_texts.tsv"


@pytest.fixture(scope="module")
def team() -> LanguageDetector:
    return LanguageDetector(TEAM, threshold=DEFAULT_THRESHOLD)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user threatening to hurt himself tonight, livestream link", "en"),
        ("bomb threat at the school, live video", "en"),
        ("amenaza de bomba en la escuela, video en vivo", "es"),
        ("mi hermana está recibiendo amenazas de muerte de su ex", "es"),
        ("تهديد بتفجير في المدرسة، بث مباشر", "ar"),
        ("ساعدوني زوجي يهددني بالقتل", "ar"),
        ("ameaça de bomba na escola, vídeo ao vivo", "pt"),
        ("usuário disse que vai se matar hoje à noite", "pt"),
        ("menace d'attentat à la bombe au lycée, vidéo en direct", "fr"),
        ("il menace de tuer sa femme ce soir, aidez-moi", "fr"),
    ],
)
def test_clear_examples(team: LanguageDetector, text: str, expected: str) -> None:
    result = team.detect(text)
    assert result.language == expected
    assert DEFAULT_THRESHOLD <= result.confidence <= 1.0
    assert result.runner_up in TEAM and result.runner_up != expected


SPANISH_PORTUGUESE = [
    (
        "mi hermano dice que se va a matar esta noche",
        "meu irmão disse que vai se matar hoje à noite",
    ),
    ("no puedo más, ayúdenme por favor", "não aguento mais, me ajudem por favor"),
    (
        "la policía no contesta y él sigue en la puerta",
        "a polícia não atende e ele continua na porta",
    ),
    ("necesito ayuda urgente", "preciso de ajuda urgente"),
    ("amenaza de bomba en la escuela", "ameaça de bomba na escola"),
]


@pytest.mark.parametrize(("spanish", "portuguese"), SPANISH_PORTUGUESE)
@pytest.mark.parametrize("languages", [TEAM, ["es", "pt"]])
def test_spanish_and_portuguese_are_told_apart(
    languages: list[str], spanish: str, portuguese: str
) -> None:
    detector = LanguageDetector(languages)
    es, pt = detector.detect(spanish), detector.detect(portuguese)
    assert (es.language, pt.language) == ("es", "pt")


def test_code_switching_keeps_the_main_language(team: LanguageDetector) -> None:
    text = "oye esto es urgente: the account is back con otro nombre y sigue amenazando a la chica"
    assert team.detect(text).language == "es"


@pytest.mark.parametrize(
    "text",
    [
        "menace d'attentat à la bombe au lycée, vidéo en direct",
        "il menace de tuer sa femme ce soir, aidez-moi",
        "je vais me suicider ce soir",
        "le compte publie des photos de mineurs",
    ],
)
def test_answers_only_the_team_languages(text: str) -> None:
    detector = LanguageDetector(["en", "es"])
    result = detector.detect(text)
    assert result.language in ("en", "es", None)
    assert result.runner_up in ("en", "es", None)
    assert LanguageDetector(TEAM).detect(text).language == "fr"


@pytest.mark.parametrize(
    "text", ["asdfghjkl", "qwerty uiop", "zxcvbnm", "ok", "lol", "hmm", "ja ja ja", "socorro"]
)
def test_gibberish_and_ambiguous_words_are_unsure(team: LanguageDetector, text: str) -> None:
    result = team.detect(text)
    assert result.language is None
    assert 0.0 < result.confidence < DEFAULT_THRESHOLD
    assert result.runner_up in TEAM  # the best guess, offered to whoever asks


@pytest.mark.parametrize(
    "text", ["", "   ", "😭😭😭", "🔥🚨", "???", "12345 !!!", ":fire: :rotating_light:", "\n\t"]
)
def test_nothing_to_detect(team: LanguageDetector, text: str) -> None:
    assert team.detect(text) == Detection(None, 0.0, None)


def test_threshold_decides_between_answer_and_unsure() -> None:
    text = "necesito ayuda urgente"
    sure = LanguageDetector(TEAM, threshold=0.5).detect(text)
    strict = LanguageDetector(TEAM, threshold=0.999).detect(text)
    assert sure.language == "es" and sure.runner_up == "pt"
    assert strict == Detection(None, sure.confidence, "es")
    assert 0.5 <= sure.confidence < 0.999
    assert LanguageDetector(TEAM, threshold=0.0).detect("asdfghjkl").language in TEAM


@pytest.mark.parametrize("threshold", [-0.1, 1.5, float("nan")])
def test_threshold_out_of_range_is_refused(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        LanguageDetector(TEAM, threshold=threshold)


def test_languages_as_a_string_is_refused() -> None:
    with pytest.raises(TypeError):
        LanguageDetector("en", threshold=0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("<@U02ABCD12|dana> look at this", "look at this"),
        ("<@U02ABCD12> look", "look"),
        ("<#C0INTAKE01|intake> and <!here> and <!subteam^S0MGRGRP1|@managers> now", "and and now"),
        ("see <https://example.com/watch?v=1|the video> asap", "see asap"),
        ("see https://live.example.com/v/88213?t=1 and www.example.org/x now", "see and now"),
        ("ping @trustsafety or mod@example.com", "ping or"),
        ("help :fire: :rotating_light: :+1::skin-tone-2: now", "help now"),
        ("at 10:30:45 &amp; &lt;tonight&gt;", "at 10:30:45 & <tonight>"),
    ],
)
def test_clean_text(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


def test_markup_does_not_sway_detection(team: LanguageDetector) -> None:
    text = (
        "<@U123ABC|helpdesk> @john_smith <https://example.com/watch?v=1|watch this now> "
        "https://t.co/AbC :rotating_light: amenaza de bomba en el metro"
    )
    assert team.detect(text).language == "es"
    only_markup = "<@U123ABC|helpdesk> <https://example.com/a|watch this> https://t.co/x :fire:"
    assert team.detect(only_markup) == Detection(None, 0.0, None)


def test_unsupported_codes_are_ignored() -> None:
    assert "xx" not in supported_languages() and "tlh" not in supported_languages()
    detector = LanguageDetector(["xx", " ES ", "pt", "tlh", "es"])
    assert detector.languages == ("es", "pt")
    assert detector.ignored == ("xx", "tlh")
    assert detector.detect("amenaza de bomba en la escuela").language == "es"


def test_no_supported_language_answers_nothing() -> None:
    for languages in ([], ["xx", "zz"]):
        detector = LanguageDetector(languages)
        assert detector.detect("amenaza de bomba en la escuela") == Detection(None, 0.0, None)


def test_a_single_language_team_has_nothing_to_choose() -> None:
    detector = LanguageDetector(["ar", "xx"])
    assert detector.detect("help, bomb threat") == Detection("ar", 1.0, None)
    assert detector.detect("😭") == Detection(None, 0.0, None)


def test_detection_is_frozen(team: LanguageDetector) -> None:
    result = team.detect("bomb threat at the school")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.language = "fr"  # type: ignore[misc]


def test_same_language_set_shares_one_model() -> None:
    from bot.language import detector as language

    a = LanguageDetector(["fr", "en", "es"])
    b = LanguageDetector(["es", "fr", "en"], threshold=0.9)
    a.warm_up()
    b.warm_up()
    key = frozenset({"en", "es", "fr"})
    assert language._identifier_for(key) is language._identifier_for(frozenset(b.languages))
    text = "il menace de tuer sa femme ce soir"
    assert a.detect(text).confidence == b.detect(text).confidence


def test_concurrent_first_use_is_safe() -> None:
    texts = [
        "amenaza de bomba en la escuela",
        "ameaça de bomba na escola",
        "bomb threat at the school",
        "menace de bombe au lycée",
    ]
    languages = ["en", "es", "pt", "fr", "it"]  # a set no other test builds
    detectors = [LanguageDetector(languages) for _ in range(8)]
    barrier = threading.Barrier(len(detectors))
    results: dict[int, list[Detection]] = {}

    def work(i: int) -> None:
        barrier.wait()
        results[i] = [detectors[i].detect(t) for t in texts * 5]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(detectors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [LanguageDetector(languages).detect(t) for t in texts * 5]
    assert all(results[i] == expected for i in range(len(detectors)))
    assert [r.language for r in expected[:4]] == ["es", "pt", "en", "fr"]


def test_long_text_is_fine(team: LanguageDetector) -> None:
    text = "amenaza de bomba en la escuela, video en vivo. " * 5000
    assert team.detect(text).language == "es"


def test_benchmark_set_accuracy_does_not_regress(team: LanguageDetector) -> None:
    """The data set the library was picked on: a library upgrade must not lose accuracy
    there, and must still leave junk unsure (figures: docs/language-detection.md)."""
    rows = [line.rstrip("\n").split("\t") for line in DATA.read_text("utf-8").splitlines()[1:]]
    results = [(lang, team.detect(text)) for lang, text in rows]
    answered = [(lang, r.language) for lang, r in results if r.language is not None]
    wrong = [(lang, got) for lang, got in answered if lang != got]
    assert len(rows) >= 200
    assert len(answered) / len(rows) >= 0.95
    assert len(wrong) <= 3


# --- the memory-mapped tables against py3langid itself ----------------------------------------

ALIAS_SET = ["sr", "hr", "bs", "uz", "ru", "en"]  # sr and uz have two columns each
LANGUAGE_SETS = [TEAM, ["es", "pt"], ALIAS_SET]
EXTRA_TEXTS = [
    "",  # no bytes, so no features
    "BOMB THREAT AT THE SCHOOL, LIVE VIDEO",  # all upper case: py3langid lowers it
    "AMENAZA DE BOMBA EN LA ESCUELA",
    "ÇA VA TRÈS MAL, AIDEZ-MOI",
    "Ça va très mal",
    "😭😭😭",
    "12345 !!!",
    "bomb threat at the school, live video",
    "amenaza de bomba en la escuela, video en vivo. " * 60,
    "Пожар в школе, помогите",
    "Požar u školi, pomozite",
]


def _corpus() -> list[str]:
    texts = [line.split("\t", 1)[1] for line in DATA.read_text("utf-8").splitlines()[1:]]
    return texts + [clean_text(t) for t in texts] + EXTRA_TEXTS


@pytest.fixture(scope="module")
def reference():
    """py3langid's own identifier, loaded in the test process (numpy and all)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def restricted(languages: list[str]):
        identifier.set_languages(languages)
        return identifier

    return restricted


@pytest.mark.parametrize("languages", LANGUAGE_SETS, ids=lambda s: "-".join(s))
def test_rank_is_py3langid_rank(reference, languages: list[str]) -> None:
    from bot.language import detector as language

    theirs = reference(languages)
    ours = language._identifier_for(frozenset(languages))
    if languages == ALIAS_SET:  # the test does exercise the folding of alias columns
        assert len(theirs.nb_classes) > len(set(theirs.nb_classes))
    for text in _corpus():
        expected, got = theirs.rank(text), ours.rank(text)
        assert [lang for lang, _ in got] == [lang for lang, _ in expected], text
        for (_, p), (_, q) in zip(got, expected, strict=True):
            assert abs(p - q) <= 1e-4, text


def test_featureless_and_upper_case_text(reference) -> None:
    from bot.language import detector as language

    ours = language._identifier_for(frozenset(ALIAS_SET))
    theirs = reference(ALIAS_SET)
    # No features: every column scores 0, so the probabilities are uniform over the
    # columns (sr and uz get two shares each) and the ties keep the model's column order.
    expected = [("sr", 0.25), ("uz", 0.25), ("bs", 0.125), ("en", 0.125), ("hr", 0.125)]
    assert theirs.rank("") == [*expected, ("ru", 0.125)]
    assert ours.rank("") == [*expected, ("ru", 0.125)]
    team = language._identifier_for(frozenset(TEAM))
    assert team.rank("BOMB THREAT AT THE SCHOOL") == team.rank("bomb threat at the school")


def test_detect_answers_as_py3langid(reference) -> None:
    theirs = reference(TEAM)
    detector = LanguageDetector(TEAM, threshold=0.0)
    for text in _corpus():
        cleaned = clean_text(text)[:2000]
        result = detector.detect(text)
        if not any(ch.isalpha() for ch in cleaned):
            assert result == Detection(None, 0.0, None)
            continue
        ranking = theirs.rank(cleaned)
        assert (result.language, result.runner_up) == (ranking[0][0], ranking[1][0])
        assert result.confidence == pytest.approx(ranking[0][1], abs=1e-4)


# --- memory: a fresh process never loads numpy ------------------------------------------------

_FRESH_PROCESS = r"""
import json, sys
from pathlib import Path

def rss_mb():
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

rows = Path(sys.argv[1]).read_text("utf-8").splitlines()[1:]
texts = [line.split("\t", 1)[1] for line in rows]
before = rss_mb()
from bot.language.detector import LanguageDetector, ensure_cache
ensure_cache()
detector = LanguageDetector(["en", "es", "ar", "pt", "fr"])
first = detector.detect("amenaza de bomba en la escuela, video en vivo")
answers = [detector.detect(text).language for text in texts]
after = rss_mb()
print(json.dumps({
    "numpy": "numpy" in sys.modules,
    "py3langid": any(m.split(".")[0] == "py3langid" for m in sys.modules),
    "first": first.language,
    "answered": sum(a is not None for a in answers),
    "vmrss_mb": after,
    "added_mb": after - before,
}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_fresh_process_maps_the_tables_without_numpy() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, str(DATA)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["numpy"] is False and report["py3langid"] is False
    assert report["first"] == "es" and report["answered"] >= 300
    # py3langid's tables in the process took ~70 MB; only the touched pages count now.
    assert report["added_mb"] < 25, report


# --- the cache on disk -------------------------------------------------------------------------


def _python(code: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _leftovers(root: Path) -> list[str]:
    return [p.name for p in root.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("ONCALL_CACHE_DIR", str(root))
    return root


def test_cache_key_follows_py3langid_and_its_model() -> None:
    from importlib import metadata

    import py3langid.langid

    from bot.language import tables

    model = Path(py3langid.langid.MODEL_DIR, py3langid.langid.MODEL_FILE).stat()
    key = tables._cache_key()
    assert key.startswith(f"py3langid-{metadata.version('py3langid')}-f{tables._FORMAT}-")
    assert key.endswith(f"-{model.st_size}-{model.st_mtime_ns}")


def test_a_new_key_builds_a_new_cache(cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.language import tables

    first = tables.ensure_cache()
    assert first.parent == cache_root and tables._read_meta(first) is not None
    built = (first / "meta.json").stat().st_mtime_ns
    assert tables.ensure_cache() == first  # found, not rebuilt
    assert (first / "meta.json").stat().st_mtime_ns == built

    monkeypatch.setattr(tables, "_py3langid_version", lambda package: "99.0")  # an upgrade
    second = tables.ensure_cache()
    assert second != first and "-99.0-" in second.name
    assert tables._read_meta(second) is not None and tables._read_meta(first) is not None
    meta = tables._read_meta(second)
    assert len(meta["classes"]) == len(meta["pc"]) == 142 and "sr" in meta["classes"]
    assert _leftovers(cache_root) == []


def test_concurrent_builds_both_succeed(cache_root: Path, tmp_path: Path) -> None:
    from bot.language import tables

    env = {**os.environ, "ONCALL_CACHE_DIR": str(cache_root)}
    code = "from bot.language.detector import ensure_cache; print(ensure_cache())"
    procs = [_python(code, env) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    paths = {out.strip() for out, _ in outputs}
    assert len(paths) == 1 and tables._read_meta(Path(paths.pop())) is not None
    assert _leftovers(cache_root) == []

    # Without the lock (two builders started directly): one rename wins, the other
    # process discards its copy, and both succeed.
    target = tmp_path / "raced" / tables._cache_key()
    code = ("from bot.language.tables import main; "
            f"main(['build-cache', '--dir', {str(target)!r}])")
    procs = [_python(code, env) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    assert tables._read_meta(target) is not None
    assert _leftovers(target.parent) == []


def test_a_damaged_cache_is_rebuilt(cache_root: Path) -> None:
    from bot.language import tables

    directory = tables.ensure_cache()
    meta = json.loads((directory / "meta.json").read_text("utf-8"))

    def missing_file() -> None:
        (directory / "ptc.f32").unlink()

    def truncated_file() -> None:
        with open(directory / "nextmove.u32", "r+b") as fh:
            fh.truncate(4096)

    def garbage_meta() -> None:
        (directory / "meta.json").write_text("{not json", "utf-8")

    def no_meta() -> None:  # a build that stopped half-way
        (directory / "meta.json").unlink()

    for damage in (missing_file, truncated_file, garbage_meta, no_meta):
        damage()
        assert tables._read_meta(directory) is None, damage.__name__
        assert tables.ensure_cache() == directory
        assert tables._read_meta(directory) == meta, damage.__name__
    assert _leftovers(cache_root) == []

    # A fresh process meeting a damaged cache rebuilds it and detects.
    (directory / "out.i32").unlink()
    code = (
        "from bot.language.detector import LanguageDetector; "
        "print(LanguageDetector(['es', 'pt']).detect('amenaza de bomba en la escuela').language)"
    )
    proc = _python(code, {**os.environ, "ONCALL_CACHE_DIR": str(cache_root)})
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert out.strip() == "es" and tables._read_meta(directory) is not None


def test_an_unwritable_cache_dir_falls_back_to_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from bot.language import tables

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", "utf-8")
    monkeypatch.setenv("ONCALL_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    directory = tables.ensure_cache()
    assert directory.parent == tmp_path / "tmp" / f"oncall-bot-{os.getuid()}"
    assert tables._read_meta(directory) is not None
