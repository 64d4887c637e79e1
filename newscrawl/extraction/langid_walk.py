"""py3langid's feature count, vectorised: the same counts as its byte-by-byte walk.

py3langid finds its features (byte n-grams) with an Aho-Corasick automaton that it walks
one byte at a time in Python (``py3langid.langid.visit_counts``): about a fifth of the
time of extracting a profile page went there. In such an automaton the state after a
byte stands for the longest suffix of the bytes read so far that is a prefix of some
feature, so it depends only on the last ``depth`` bytes, where ``depth`` is the length of
the longest feature. The state at every position therefore comes from walking, from the
start state, the ``depth`` bytes that end there: ``depth`` vectorised steps over all
positions at once instead of one Python step per byte.

The counts, and the order in which features first occur (which fixes the order of the
sums in py3langid's score), are those of ``visit_counts``;
``tests/extraction/test_langid_walk.py`` compares the two over the fixtures and
``../shared/realpages``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from py3langid.langid import LanguageIdentifier

DEPTH = 6
"""The most bytes a state of py3langid 0.4.0's model stands for (its longest feature).
Computing it (:func:`depth`) takes seconds, so it is fixed here and a test checks it."""


class Automaton:
    """py3langid's feature automaton as numpy arrays (no copy of the transition table)."""

    def __init__(self, nextmove: Any, row: Any, output: Any, depth: int = DEPTH) -> None:
        self.nextmove = np.frombuffer(nextmove, dtype=np.dtype(nextmove.typecode))
        self.rowbase = np.asarray(row, dtype=np.int64) << 8
        self.output = np.asarray(output, dtype=np.int64)
        self.depth = depth

    def states(self, text: bytes) -> np.ndarray:
        """Return the state after each byte of ``text`` (a walk from the start state)."""
        data = np.frombuffer(text, dtype=np.uint8).astype(np.int64)
        states = np.zeros(len(data), dtype=np.int64)
        # Step k reads, for every position i >= k, the byte k places before it: oldest first.
        for back in range(min(self.depth, len(data)) - 1, -1, -1):
            tail = states[back:]
            states[back:] = self.nextmove[self.rowbase[tail] + data[: len(data) - back]]
        return states

    def visit_counts(self, text: bytes) -> Counter[int] | None:
        """Return what ``py3langid.langid.visit_counts`` returns for ``text``: how often each
        feature occurs, in order of first occurrence; None when none does."""
        if not text:
            return None
        features = self.output[self.states(text)]
        found = features[features >= 0]
        return Counter(found.tolist()) if len(found) else None


def depth(automaton: Automaton, chunk: int = 2048) -> int:
    """Return the most bytes a state of ``automaton`` stands for: the greatest distance of a
    state from the start state.

    Every input that reaches a state ends with the string the state stands for, and that
    string reaches it, so a breadth-first search from the start gives each state's length.
    """
    seen = np.zeros(len(automaton.rowbase), dtype=bool)
    seen[0] = True
    frontier = np.array([0], dtype=np.int64)
    level = 0
    everybyte = np.arange(256, dtype=np.int64)
    while True:
        found: list[np.ndarray] = []
        for start in range(0, len(frontier), chunk):
            bases = automaton.rowbase[frontier[start : start + chunk]]
            reached = automaton.nextmove[(bases[:, None] + everybyte).ravel()]
            new = np.unique(reached[~seen[reached]])
            seen[new] = True
            found.append(new.astype(np.int64))
        frontier = np.concatenate(found)
        if not len(frontier):
            return level
        level += 1


ROW_CACHE_ROWS = 16_384
"""Feature rows :class:`RowCache` keeps as float32 (9 MB at the model's 142 languages,
touched only as they fill): English and Russian texts stay within a few thousand."""


class RowCache:
    """Rows of a float16 score table, converted to float32 once and kept.

    py3langid scores a text as ``log1p(counts) @ table[features]`` on its float16 table:
    numpy casts the gathered rows to float32 and multiplies those. The cast (0.2 µs a row)
    took more than half of the score. The rows handed out here are that same cast, made once
    per feature, so the product is the same to the bit. When full, the cache starts afresh.
    """

    def __init__(self, table: Any, capacity: int = ROW_CACHE_ROWS) -> None:
        self.table = table
        self.capacity = capacity
        self.slot = np.full(len(table), -1, dtype=np.int64)
        self.rows = np.empty((capacity, table.shape[1]), dtype=np.float32)
        self.used = 0

    def rows_of(self, features: np.ndarray) -> np.ndarray:
        """Return ``table[features].astype(float32)``; ``features`` holds no index twice."""
        if len(features) > self.capacity:
            return self.table[features].astype(np.float32)
        slots = self.slot[features]
        missing = features[slots < 0]
        if len(missing):
            if self.used + len(missing) > self.capacity:
                self.slot[:] = -1
                self.used = 0
                missing = features
            new = np.arange(self.used, self.used + len(missing))
            self.rows[new] = self.table[missing].astype(np.float32)
            self.slot[missing] = new
            self.used += len(missing)
            slots = self.slot[features]
        return self.rows.take(slots, axis=0)


class FastLanguageIdentifier(LanguageIdentifier):
    """py3langid's identifier whose feature count is :class:`Automaton`'s and whose score
    reads converted rows from a :class:`RowCache`: same scores."""

    __slots__ = ("_automaton", "_rows")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._automaton = Automaton(self.tk_nextmove, self.tk_row, self.tk_output)
        self._rows: RowCache | None = None

    def _sparse_score(self, visits: Counter[int], table: Any) -> np.ndarray:
        """py3langid's score of ``visits`` against ``table``, with rows from the cache when
        ``table`` is the model's float16 table (py3langid's own code otherwise)."""
        if table is not self.nb_ptc or table.dtype != np.float16:
            return super()._sparse_score(visits, table)
        if self._rows is None or self._rows.table is not table:
            self._rows = RowCache(table)
        idx = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
        counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
        return np.log1p(counts) @ self._rows.rows_of(idx) + self.nb_pc

    def _raw_score(self, text: bytes) -> np.ndarray:
        visits = self._automaton.visit_counts(text)
        if visits:
            return self._sparse_score(visits, self.nb_ptc)
        return super()._raw_score(b"")  # no features: py3langid's own fill
