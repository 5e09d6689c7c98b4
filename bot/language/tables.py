"""The language model's tables: built once per machine from py3langid's model into a cache
directory of raw arrays, then memory-mapped read-only by every process that detects.

py3langid and numpy are imported only by the builder, which runs in a child process
(`python -m bot.language.tables build-cache`, started by `ensure_cache`), so the serving
process never holds them. `load_model()` maps the tables once per process; the detector
(`bot.language.detector`) scores texts with them.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

# --- the table cache on disk -----------------------------------------------------------------
#
# One directory per (format, py3langid version, model file size and mtime), holding raw
# arrays in the machine's byte order:
#   nextmove.u32  the byte automaton's distinct 256-entry rows, concatenated (~39 MB)
#   rowbase.u32   per state, the offset of its row in nextmove (py3langid's tk_row << 8)
#   out.i32       per state, the feature it emits, or -1 (py3langid's tk_output)
#   ptc.f32       log P(feature | class) as float32, class-major: n_classes rows of
#                 n_features, so a language set reads only its own columns (~57 MB)
#   lanes.u32     the same weights feature-major and quantised for the all-language scorer:
#                 per feature, one little-endian uint32 lane per class (~57 MB), read as
#                 one Python int so a text's features are summed with a few big-int adds
#   meta.json     classes (with py3langid's duplicate alias labels), pc (class priors),
#                 the counts above, the format, py3langid's version and the model's stat.
# meta.json is written last and every file's size is checked against it, so a partial or
# truncated directory is rebuilt, not used.

_FORMAT = 2
_MODEL_FILE = ("data", "model.npz.xz")  # py3langid.langid.MODEL_FILE, inside the package
_FILES = {"nextmove.u32": "I", "rowbase.u32": "I", "out.i32": "i", "ptc.f32": "f",
          "lanes.u32": "B"}  # name: type (lanes are read as bytes)
# lanes.u32: each weight minus its feature's smallest (a constant per feature, which the
# softmax cancels), times LANE_SCALE / span, rounded: LANE_BITS bits per value, so a lane
# holds the weighted sum of up to LANE_CHUNK features without overflowing 32 bits.
LANE_BITS = 12
LANE_WEIGHT = 64  # feature counts weigh round(log1p(count) * LANE_WEIGHT)
LANE_CHUNK = 2048
_BUILD_TIMEOUT_S = 600


def _expected_sizes(meta: dict[str, Any]) -> dict[str, int]:
    n_states, n_features = meta["n_states"], meta["n_features"]
    return {
        "nextmove.u32": 4 * meta["n_nextmove"],
        "rowbase.u32": 4 * n_states,
        "out.i32": 4 * n_states,
        "ptc.f32": 4 * n_features * len(meta["classes"]),
        "lanes.u32": 4 * n_features * len(meta["classes"]),
    }


def _read_meta(directory: Path) -> dict[str, Any] | None:
    """The directory's meta.json if the directory is a complete cache of this format, else
    None (missing, partial, truncated, another format or byte order)."""
    try:
        meta = json.loads((directory / "meta.json").read_text("utf-8"))
        if meta.get("format") != _FORMAT or meta.get("byteorder") != sys.byteorder:
            return None
        classes, pc = meta["classes"], meta["pc"]
        if not classes or len(pc) != len(classes) or meta["n_nextmove"] % 256:
            return None
        for name, size in _expected_sizes(meta).items():
            if size <= 0 or (directory / name).stat().st_size != size:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return meta


def _py3langid_dir() -> Path | None:
    """py3langid's package directory, found without importing it (it imports numpy)."""
    import importlib.util

    spec = importlib.util.find_spec("py3langid")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _py3langid_version(package: Path) -> str:
    # The installed distribution's dist-info name carries the version; reading it is
    # much lighter than importlib.metadata (~4.5 MB of imports).
    names = sorted(p.name for p in package.parent.glob("py3langid-*.dist-info"))
    if names:
        version = names[-1][len("py3langid-") : -len(".dist-info")]
    else:
        from importlib import metadata

        try:
            version = metadata.version("py3langid")
        except metadata.PackageNotFoundError:
            version = "unknown"
    return re.sub(r"[^A-Za-z0-9.]+", "_", version)


def _cache_key() -> str:
    """The cache's directory name: changes with the format, py3langid's version and the
    model file's size and mtime, so an upgrade builds a new cache next to the old one."""
    package = _py3langid_dir()
    if package is None:
        return f"py3langid-missing-f{_FORMAT}"  # the builder will say py3langid is missing
    try:
        st = package.joinpath(*_MODEL_FILE).stat()
        stat = f"{st.st_size}-{st.st_mtime_ns}"
    except OSError:
        stat = "nomodel"
    return f"py3langid-{_py3langid_version(package)}-f{_FORMAT}-{stat}"


def _cache_roots() -> list[Path]:
    """Where the cache may live, preferred first: $ONCALL_CACHE_DIR, else
    $XDG_CACHE_HOME/oncall-bot, else ~/.cache/oncall-bot; then a per-user directory in the
    system's temporary directory."""
    roots: list[Path] = []
    configured = os.environ.get("ONCALL_CACHE_DIR")
    xdg = os.environ.get("XDG_CACHE_HOME")
    if configured:
        roots.append(Path(configured).expanduser())
    elif xdg and os.path.isabs(xdg):
        roots.append(Path(xdg) / "oncall-bot")
    else:
        with contextlib.suppress(RuntimeError, KeyError):
            roots.append(Path.home() / ".cache" / "oncall-bot")
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    roots.append(Path(tempfile.gettempdir()) / f"oncall-bot-{uid}")
    return roots


def _ours(root: Path) -> bool:
    """Whether `root` is a directory of this user's (not a symlink): the fallback lives in
    a shared temporary directory, where someone else's cache must not be used."""
    try:
        st = os.lstat(root)
    except OSError:
        return False
    import stat

    owner = os.getuid() if hasattr(os, "getuid") else st.st_uid
    return stat.S_ISDIR(st.st_mode) and st.st_uid == owner


def _usable_root(root: Path, private: bool) -> bool:
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    except OSError:
        return False
    if private and not _ours(root):
        return False
    return root.is_dir() and os.access(root, os.W_OK | os.X_OK)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An advisory lock so that processes starting together build the cache once; where
    locking is unavailable the atomic rename in the builder still keeps the cache whole."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def ensure_cache() -> Path:
    """The directory of the language model's tables, built first if this machine does not
    have it yet (or has a partial or corrupt one).

    Building runs `python -m bot.language.tables build-cache` in a child process (about a second,
    160 MB resident at its peak there, none of it in the caller) and happens once per machine
    and py3langid version; processes that call this at the same time build it once. Call
    it at start-up, before forking workers (`oncall-bot serve` does), so that no request
    waits for it; otherwise the first detection in a process calls it. The location is
    $ONCALL_CACHE_DIR, else $XDG_CACHE_HOME/oncall-bot, else ~/.cache/oncall-bot, or, when
    that is not writable, `<tmp>/oncall-bot-<uid>`. Raises RuntimeError if it cannot be
    built (py3langid missing, no writable directory).
    """
    key = _cache_key()
    roots = _cache_roots()
    private = roots[-1]  # the fallback in the system's temporary directory
    for root in roots:  # a prebuilt cache is used even where it cannot be written
        if (root != private or _ours(root)) and _read_meta(root / key) is not None:
            return root / key
    for root in roots:
        if _usable_root(root, private=root == private):
            target = root / key
            with _exclusive(root / f".{key}.lock"):
                if _read_meta(target) is None:
                    _run_builder(target)
            return target
    raise RuntimeError(f"no writable directory for the language model cache: {roots}")


def _run_builder(target: Path) -> None:
    import subprocess

    package_root = str(Path(__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": package_root + (os.pathsep + path if path else "")}
    command = [sys.executable, "-m", "bot.language.tables", "build-cache", "--dir", str(target)]
    try:
        proc = subprocess.run(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_BUILD_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"building the language model cache in {target} failed: {exc}") from exc
    if proc.returncode != 0 or _read_meta(target) is None:
        detail = (proc.stderr or proc.stdout or "").strip()[-2000:]
        raise RuntimeError(
            f"building the language model cache in {target} failed "
            f"(exit {proc.returncode}): {detail}"
        )


def _build_cache(target: Path) -> None:
    """Write the cache directory `target` (the child process's work: imports py3langid and
    numpy). Builds in a temporary sibling and renames it into place; when another process
    got there first with a complete cache, ours is discarded."""
    import shutil
    import tempfile

    if _read_meta(target) is not None:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp: Path | None = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        _write_tables(tmp)
        for _ in range(3):
            try:
                os.rename(tmp, target)
                tmp = None
                return
            except OSError:
                if _read_meta(target) is not None:
                    return  # another process won the race: keep theirs
                # A partial or corrupt cache is in the way: move it aside, then retry.
                trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
                try:
                    os.rename(target, trash / "cache")
                except FileNotFoundError:
                    pass
                finally:
                    shutil.rmtree(trash, ignore_errors=True)
        raise RuntimeError(f"could not move the language model cache into {target}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _write_tables(directory: Path) -> None:
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    try:
        from py3langid import __version__ as py3langid_version
    except ImportError:
        py3langid_version = "unknown"
    model_path = Path(MODEL_FILE) if Path(MODEL_FILE).is_absolute() else MODEL_DIR / MODEL_FILE
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    classes = [str(c) for c in identifier.nb_classes]
    ptc = np.asarray(identifier.nb_ptc)
    pc = np.asarray(identifier.nb_pc, dtype=np.float32)
    nextmove = np.asarray(identifier.tk_nextmove, dtype=np.uint32)
    rowbase = np.asarray(identifier.tk_row, dtype=np.uint32) << np.uint32(8)
    out = np.asarray(identifier.tk_output, dtype=np.int32)
    n_features, n_classes = ptc.shape
    n_states = len(rowbase)
    # What the detector's automaton walk relies on, checked once here.
    if not (
        n_classes == len(classes) == len(pc)
        and len(out) == n_states
        and len(nextmove) % 256 == 0
        and int(rowbase.max()) + 256 <= len(nextmove)
        and int(nextmove.max()) < n_states
        and int(out.min()) >= -1
        and int(out.max()) < n_features
    ):
        raise RuntimeError("py3langid's model does not have the expected layout")
    arrays = {
        "nextmove.u32": nextmove,
        "rowbase.u32": rowbase,
        "out.i32": out,
        "ptc.f32": np.ascontiguousarray(ptc.T, dtype=np.float32),  # class-major
    }
    # float32 and in place: the child's peak stays near the model's own size.
    shifted = np.array(ptc, dtype=np.float32)
    shifted -= shifted.min(axis=1, keepdims=True)
    span = float(shifted.max()) or 1.0
    lane_scale = ((1 << LANE_BITS) - 1) / span
    shifted *= np.float32(lane_scale)
    np.rint(shifted, out=shifted)
    arrays["lanes.u32"] = shifted.astype("<u4")  # feature-major
    del shifted
    for name, values in arrays.items():
        with open(directory / name, "wb") as fh:
            fh.write(memoryview(np.ascontiguousarray(values)).cast("B"))
            fh.flush()
            os.fsync(fh.fileno())
            _drop_unmapped_cache(fh.fileno())  # written pages may sit in large folios
    st = model_path.stat()
    meta = {
        "format": _FORMAT,
        "byteorder": sys.byteorder,
        "py3langid": str(py3langid_version),
        "model_size": st.st_size,
        "model_mtime_ns": st.st_mtime_ns,
        "classes": classes,
        "pc": [float(p) for p in pc],
        "n_features": int(n_features),
        "n_states": int(n_states),
        "n_nextmove": int(len(nextmove)),
        "ptc_layout": "class-major",
        "lane_scale": lane_scale,
    }
    with open(directory / "meta.json", "w", encoding="utf-8") as fh:
        json.dump(meta, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(directory, 0o755)


# --- the mapped model ------------------------------------------------------------------------


class MappedModel:
    """The tables, mapped read-only; shared by every language set in the process."""

    def __init__(self, directory: Path) -> None:
        meta = _read_meta(directory)
        if meta is None:
            raise ValueError(f"{directory} is not a complete language model cache")
        self.classes: tuple[str, ...] = tuple(meta["classes"])
        self.pc: tuple[float, ...] = tuple(float(p) for p in meta["pc"])
        self.n_features: int = meta["n_features"]
        self.labels = frozenset(self.classes)
        self._maps: list[mmap.mmap] = []
        self._by_name: dict[str, mmap.mmap] = {}
        views = {}
        sizes = _expected_sizes(meta)
        # The lanes are read, not mapped: a text reads a few hundred scattered rows of
        # them, and each fault on a mapping maps the pages around it too (fault-around),
        # so a mapped lanes table held 10 MB of the serving process after a surge of
        # detected texts, and could reach all 57 MB between trims. Read with pread, a row
        # costs no more than a mapped one (docs/language-detection.md) and holds nothing
        # resident.
        self._lanes_fd = os.open(directory / "lanes.u32", os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        if os.fstat(self._lanes_fd).st_size != sizes.pop("lanes.u32"):
            os.close(self._lanes_fd)
            raise ValueError(f"{directory / 'lanes.u32'} changed size")
        if hasattr(os, "posix_fadvise") and hasattr(os, "POSIX_FADV_RANDOM"):
            with contextlib.suppress(OSError):  # no read-ahead around each row
                os.posix_fadvise(self._lanes_fd, 0, 0, os.POSIX_FADV_RANDOM)
        for name, size in sizes.items():
            with open(directory / name, "rb") as fh:
                _drop_unmapped_cache(fh.fileno())
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            if len(mm) != size:  # replaced since it was checked
                mm.close()
                raise ValueError(f"{directory / name} changed size")
            for advice in ("MADV_RANDOM", "MADV_NOHUGEPAGE"):
                # MADV_RANDOM: a page fault reads one page, not read-ahead around it.
                # MADV_NOHUGEPAGE: no 2 MB mappings of the file.
                if hasattr(mm, "madvise") and hasattr(mmap, advice):
                    with contextlib.suppress(OSError):
                        mm.madvise(getattr(mmap, advice))
            self._maps.append(mm)
            self._by_name[name] = mm
            views[name] = memoryview(mm).cast(_FILES[name])
        self.nextmove = views["nextmove.u32"]
        self.rowbase = views["rowbase.u32"]
        self.out = views["out.i32"]
        self.ptc = views["ptc.f32"]
        self.lane_bytes = 4 * len(self.classes)
        self.lane_scale = float(meta["lane_scale"]) * LANE_WEIGHT

    def lane_row(self, feature: int) -> bytes:
        """Feature `feature`'s row of the lanes: one little-endian uint32 per class."""
        return os.pread(self._lanes_fd, self.lane_bytes, feature * self.lane_bytes)

    def trim(self) -> None:
        """Unmap the resident pages of the big table a text walks (the automaton) from
        this process: they are clean file pages, so they stay in the page cache and the
        next texts fault back only what they touch. Called now and then by the detector,
        it bounds what a long-running process holds of it by what recent texts touched,
        not by every text since start-up. (The lanes are read, never mapped.)"""
        advice = getattr(mmap, "MADV_DONTNEED", None)
        if advice is None:
            return
        mm = self._by_name.get("nextmove.u32")
        if mm is not None and hasattr(mm, "madvise"):
            with contextlib.suppress(OSError, ValueError):
                mm.madvise(advice)

    def features(self, data: bytes) -> dict[int, int]:
        """py3langid's `visit_counts`: the automaton's features in `data`, with counts."""
        nextmove, rowbase, out = self.nextmove, self.rowbase, self.out
        counts: dict[int, int] = {}
        get = counts.get
        state = 0
        for byte in data:
            state = nextmove[rowbase[state] + byte]
            feature = out[state]
            if feature >= 0:
                counts[feature] = get(feature, 0) + 1
        return counts


def _drop_unmapped_cache(fd: int) -> None:
    """Drop the file's pages that no process maps from the page cache (Linux; elsewhere
    nothing). Pages cached by a large write or by read-ahead can sit in large folios (up
    to 2 MB on ext4 with Linux 6.x), and a fault on any byte of a folio maps all of it:
    one text then made 26 MB resident. Pages read back by a MADV_RANDOM fault are single
    pages, so a process maps only what it touches. Pages that other processes map are
    kept, and shared."""
    if hasattr(os, "posix_fadvise") and hasattr(os, "POSIX_FADV_DONTNEED"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)




_lock = threading.Lock()
_model: MappedModel | None = None


def load_model() -> MappedModel:
    """The tables, mapped once per process (the cache built first if this machine has
    none)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                try:
                    model = MappedModel(ensure_cache())
                except (OSError, ValueError):
                    # The cache was replaced or damaged between the check and the mapping.
                    model = MappedModel(ensure_cache())
                _model = model
    return _model


# --- command line: the cache builder's child process ------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """`build-cache [--dir DIR]`: write the tables into DIR (default: `ensure_cache`'s)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m bot.language.tables", description="The language model's table cache."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build-cache", help="write the tables into a cache directory")
    build.add_argument("--dir", type=Path, help="the cache directory (default: ensure_cache's)")
    args = parser.parse_args(argv)
    if args.dir is None:
        print(ensure_cache())
    else:
        _build_cache(args.dir.expanduser().absolute())
        print(args.dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
