"""What a site name, a profile name and a run id may look like.

These names become parts of file paths (``<out>/<site>/<day>/<run_id>-0001.jsonl``,
``<state>/<site>.sqlite``, ``<profiles>/<name>.toml``), so each must be one plain file-name
part: no ``/``, no ``..``, no leading dot or dash, nothing a shell or a glob treats specially.
"""

from __future__ import annotations

import re

NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
"""A site or profile name: lower-case letters, digits, ``_`` and ``-``, not starting with
``_`` or ``-``."""

RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""A run id: as a name, and upper-case letters too, since the default id is a UTC time such as
``20261205T115300Z``."""

MAX_LENGTH = 100
"""Longest name or run id accepted (file systems allow 255 bytes a part; we add suffixes)."""


class BadName(ValueError):
    """A site name, profile name or run id is not a plain file-name part."""


def check_name(label: str, value: object) -> str:
    """Return ``value`` when it is a valid site or profile name; raise ``BadName``.

    ``label`` says what the value is (``"site"``, ``"profile"``) in the one-line message.

    >>> check_name("site", "jmn")
    'jmn'
    """
    return _check(label, value, NAME, "[a-z0-9][a-z0-9_-]*")


def check_run_id(value: object) -> str:
    """Return ``value`` when it is a valid run id; raise ``BadName``.

    >>> check_run_id("20261205T115300Z")
    '20261205T115300Z'
    """
    return _check("run id", value, RUN_ID, "[A-Za-z0-9][A-Za-z0-9_-]*")


def _check(label: str, value: object, pattern: re.Pattern[str], spelled: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value) or len(value) > MAX_LENGTH:
        raise BadName(
            f"{label} {value!r} is not allowed: it must match {spelled} "
            f"(at most {MAX_LENGTH} characters)"
        )
    return value
