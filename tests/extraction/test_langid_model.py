"""``langid_model`` keeps an uncompressed copy of py3langid's model and reads the same model
back from it; a damaged copy or an unwritable cache folder costs time, never a result.

The identifiers built from the copy and from py3langid's own load classify every fixture
text alike in ``test_langid_walk.py`` (its ``identifiers``); here, the arrays themselves and
what happens around the copy.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from py3langid.modelio import load_model as py3langid_load_model

from newscrawl.extraction import langid_model
from newscrawl.extraction.langid_model import (
    ARRAYS,
    Model,
    cache_dir,
    load_model,
    model_file,
    model_key,
    read_cached,
)
from newscrawl.extraction.langid_walk import FastLanguageIdentifier

TEXTS = [
    "Lavrov said what Putin agreed with Kerry in Moscow on Thursday",
    "Лавров рассказал, о чем договорились Путин с Керри",
    "\u00e9t\u00e9 \u00e0 Paris avec les enfants",
    "日本語のテキスト",
    "",
]


@cache
def packaged() -> Model:
    """The model as py3langid's own loader reads its packaged file."""
    return py3langid_load_model(model_file())


def assert_same_model(got: Model, expected: Model) -> None:
    ptc, pc, classes, nextmove, row, output = got
    assert np.array_equal(ptc, expected[0])
    assert ptc.dtype == expected[0].dtype
    assert np.array_equal(pc, expected[1])
    assert pc.dtype == expected[1].dtype
    assert classes == expected[2]
    assert np.array_equal(np.asarray(nextmove), np.frombuffer(expected[3], dtype=np.uint32))
    assert row == expected[4]
    assert row.typecode == expected[4].typecode
    assert output == expected[5]


def identifier(model: Model) -> FastLanguageIdentifier:
    ptc, pc, classes, nextmove, row, output = model
    return FastLanguageIdentifier(
        np.asarray(ptc), np.asarray(pc), classes, nextmove, output, norm_probs=True, tk_row=row
    )


def test_the_copy_holds_the_packaged_models_arrays(tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    first = load_model(folder=folder)  # writes the copy
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{a}.npy" for a in ARRAYS)
    assert_same_model(first, packaged())
    assert_same_model(read_cached(folder), packaged())
    ptc = read_cached(folder)[0]
    assert isinstance(ptc.base, np.memmap)  # mapped, not read


def test_identifiers_from_the_copy_classify_as_py3langids(tmp_path: Path) -> None:
    load_model(folder=tmp_path / "copy")
    fast = identifier(load_model(folder=tmp_path / "copy"))
    plain = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    for text in TEXTS:
        assert fast.rank(text) == plain.rank(text)
        assert fast.classify(text) == plain.classify(text)


def test_a_truncated_copy_is_replaced_and_the_model_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "copy"
    load_model(folder=folder)
    damaged = folder / "nextmove.npy"
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    with pytest.raises(ValueError, match="mmap length"):
        read_cached(folder)
    assert_same_model(load_model(folder=folder), packaged())
    assert "Ignoring the language model copy" in caplog.text
    assert_same_model(read_cached(folder), packaged())  # written again, whole


def test_a_copy_with_an_array_missing_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    load_model(folder=folder)
    (folder / "out_feat.npy").unlink()
    assert_same_model(load_model(folder=folder), packaged())
    assert (folder / "out_feat.npy").exists()


def test_an_empty_array_file_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    load_model(folder=folder)
    (folder / "pc.npy").write_bytes(b"")
    with pytest.raises(ValueError, match="No data left"):
        read_cached(folder)
    assert_same_model(load_model(folder=folder), packaged())


def test_an_unwritable_cache_folder_still_gives_the_model(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    model = load_model(folder=blocker / "copy")
    assert_same_model(model, packaged())
    assert identifier(model).classify(TEXTS[0])[0] == "en"


def test_no_partial_copy_is_left_beside_the_copy(tmp_path: Path) -> None:
    load_model(folder=tmp_path / "copy")
    assert [p.name for p in tmp_path.iterdir()] == ["copy"]


def test_the_copys_name_changes_with_the_model_file(tmp_path: Path) -> None:
    other = tmp_path / "model.npz.xz"
    data = bytearray(model_file().read_bytes())
    data[-1] ^= 1
    other.write_bytes(bytes(data))
    assert model_key(other) != model_key(model_file())
    assert model_key(model_file()).startswith("py3langid-")


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(langid_model.CACHE_ENV, "/somewhere/else")
    assert cache_dir() == Path("/somewhere/else")
    monkeypatch.delenv(langid_model.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert cache_dir() == Path("/xdg/newscrawl")


def test_a_copy_written_meanwhile_by_another_process_stays(tmp_path: Path) -> None:
    """Two processes may both find no copy and write one: the second rename fails, and the
    first copy is used."""
    folder = tmp_path / "copy"
    arrays = langid_model.read_packaged(model_file())
    langid_model.write_cached(arrays, folder)
    first = (folder / "ptc.npy").stat().st_ino
    langid_model.write_cached(arrays, folder)
    assert (folder / "ptc.npy").stat().st_ino == first
    assert [p.name for p in tmp_path.iterdir()] == ["copy"]
    assert_same_model(read_cached(folder), packaged())
