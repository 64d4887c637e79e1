"""What plain parsel selects: the reference the fast query paths are compared with."""

from __future__ import annotations

from typing import Any

from lxml import etree
from parsel import Selector


def parsel_nodes(root: etree._Element, query: str) -> list[Any]:
    """Return what parsel's CSS ``query`` selects under ``root``: each result's element, or
    its string for an attribute or text query."""
    return [s.root for s in Selector(root=root, type="html").css(query)]
