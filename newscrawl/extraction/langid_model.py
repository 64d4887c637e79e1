"""py3langid's model, loaded from an uncompressed copy kept in a cache folder.

py3langid ships its model as an xz-compressed ``.npz`` (4.5 MB, 68 MB unpacked) and
decompresses it in every process that identifies a language: 0.45 s of CPU per crawl
process and per extraction worker, 0.35 s of it in xz. The first load here does the same
and also writes the model's arrays, unchanged, as ``.npy`` files into a folder of
:func:`cache_dir`; later loads map those files into memory (``numpy.load(mmap_mode="r")``):
a few milliseconds, nothing decompressed, and the pages of the model are shared by every
process that maps them instead of copied into each.

The folder's name holds py3langid's version and the SHA-256 of its model file, so a new
model or a new py3langid never meets an old copy. The folder is written under a temporary
name and renamed when complete, so a reader sees a whole copy or none; a copy that cannot
be read (or a cache folder that cannot be written) falls back to py3langid's own load,
with the same arrays. ``tests/extraction/test_langid_model.py`` checks that identifiers
built either way classify every fixture text alike.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from array import array
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

CACHE_ENV = "NEWSCRAWL_CACHE_DIR"
"""Environment variable naming the cache folder (default: ``$XDG_CACHE_HOME/newscrawl``,
else ``~/.cache/newscrawl``)."""

ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
"""The arrays of py3langid's model file (``py3langid.modelio.save_model``)."""

_TYPECODES = {2: "H", 4: "I", 8: "L"}
"""``array`` type codes of unsigned integers by size, as ``py3langid.modelio._to_array``."""

Model = tuple[Any, Any, list[str], Any, array, list[int]]
"""What ``py3langid.modelio.load_model`` returns: (nb_ptc, nb_pc, nb_classes, tk_nextmove,
tk_row, tk_output)."""


def cache_dir() -> Path:
    """Return the folder newscrawl keeps derived files in (it may not exist yet)."""
    if configured := os.environ.get(CACHE_ENV):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newscrawl"


def model_file() -> Path:
    """Return the path of py3langid's packaged model."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return Path(MODEL_DIR) / MODEL_FILE


def model_key(path: Path) -> str:
    """Return the name of the cached copy of the model at ``path``: py3langid's version and
    the first 16 hex digits of the file's SHA-256."""
    import py3langid

    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"py3langid-{py3langid.__version__}-{digest}"


def _uint_array(values: np.ndarray) -> array:
    """Return ``values`` (unsigned integers) as a stdlib ``array``, as py3langid does."""
    out = array(_TYPECODES[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


def _model_from(arrays: dict[str, np.ndarray]) -> Model:
    """Return the model tuple from its named arrays, typed as py3langid's loader types them,
    except ``tk_nextmove``, kept as a numpy array (``langid_walk`` reads it as one)."""
    # Plain ndarray views of the mapped files: numpy.memmap's own indexing is slower.
    return (
        np.asarray(arrays["ptc"]),
        np.asarray(arrays["pc"]),
        arrays["classes"].tolist(),
        np.asarray(arrays["nextmove"]),
        _uint_array(arrays["nextmove_row"]),
        arrays["out_feat"].tolist(),
    )


def read_cached(folder: Path) -> Model:
    """Return the model whose arrays ``folder`` holds, mapped read-only; raise OSError or
    ValueError when the folder is missing or not a whole copy."""
    try:
        arrays = {
            name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            for name in ARRAYS
        }
    except EOFError as exc:  # an empty file
        raise ValueError(f"{folder}: {exc}") from exc
    classes = len(arrays["pc"])
    if arrays["ptc"].ndim != 2 or {arrays["ptc"].shape[1], len(arrays["classes"])} != {classes}:
        raise ValueError(f"{folder}: the score table does not match the classes")
    if len(arrays["out_feat"]) != len(arrays["nextmove_row"]):
        raise ValueError(f"{folder}: one output per state expected")
    return _model_from(arrays)


def read_packaged(path: Path) -> dict[str, np.ndarray]:
    """Return the arrays of py3langid's compressed model file, as stored in it."""
    import lzma

    with tempfile.TemporaryFile(suffix=".npz") as unpacked:
        with lzma.open(path) as source:
            shutil.copyfileobj(source, unpacked, length=1 << 20)
        unpacked.seek(0)
        with np.load(unpacked, allow_pickle=False) as data:
            missing = set(ARRAYS).difference(data.files)
            if missing:
                raise ValueError(f"{path}: not a py3langid 0.4 model, missing {sorted(missing)}")
            return {name: data[name] for name in ARRAYS}


def write_cached(arrays: dict[str, np.ndarray], folder: Path) -> None:
    """Write ``arrays`` as ``.npy`` files into ``folder``, atomically: into a temporary
    sibling first, renamed when complete. A copy already there (another process's) stays."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name in ARRAYS:
            with (partial / f"{name}.npy").open("wb") as handle:
                np.save(handle, arrays[name], allow_pickle=False)
                handle.flush()
                os.fsync(handle.fileno())
        try:
            partial.rename(folder)
        except OSError:
            if not folder.is_dir():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def load_model(path: Path | None = None, folder: Path | None = None) -> Model:
    """Return py3langid's model (``path``: its packaged file), from the cached copy in
    ``folder`` (default: named by :func:`model_key` in :func:`cache_dir`) when there is a
    readable one; else from ``path``, writing the copy for the next process if it can."""
    path = path or model_file()
    folder = folder or cache_dir() / model_key(path)
    if folder.is_dir():
        try:
            return read_cached(folder)
        except (OSError, ValueError) as exc:
            logger.warning("Ignoring the language model copy in %s: %s", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
    arrays = read_packaged(path)
    try:
        write_cached(arrays, folder)
    except OSError as exc:
        logger.info("Cannot keep an uncompressed language model in %s: %s", folder, exc)
        return _model_from(arrays)
    return read_cached(folder)
