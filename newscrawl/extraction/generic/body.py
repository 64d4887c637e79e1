"""The body text: trafilatura's main-text extraction, cleaned of what it lets through.

trafilatura (with its own readability and jusText fallbacks) finds the main text. The
paragraphs it returns are then cleaned: the headline repeated as the first line, image
credits ("Foto: dpa"), and lines that repeat the lead image's caption are left out.
"""

from __future__ import annotations

from lxml import etree

from newscrawl.extraction.generic.text import clean, key
from newscrawl.extraction.processors import is_credit_line

TRAFILATURA_OPTIONS: dict[str, bool] = {
    "include_comments": False,
    "include_tables": False,
    "include_images": False,
    "favor_precision": True,
    "deduplicate": False,
}
"""What the generic extractor asks of ``trafilatura.extract``: the article text, precision first."""


def trafilatura_paragraphs(root: etree._Element, url: str) -> list[str]:
    """Return the paragraphs of the main text trafilatura finds in ``root`` (an lxml.html
    tree, which trafilatura copies before it prunes)."""
    import trafilatura  # imported lazily: only pages without a body selector need it

    try:
        text = trafilatura.extract(root, url=url, **TRAFILATURA_OPTIONS)
    except (ValueError, TypeError, RecursionError, etree.LxmlError):
        return []
    return [p for line in (text or "").splitlines() if (p := clean(line))]


def clean_body(paragraphs: list[str], headline: str | None, captions: set[str]) -> list[str]:
    """Return ``paragraphs`` without a leading repeat of the headline, credit lines and
    image captions."""
    title = key(headline)
    body = list(paragraphs)
    while body and title and key(body[0]) == title:
        body.pop(0)
    caption_keys = {key(c) for c in captions if c}
    return [p for p in body if not is_credit_line(p) and key(p) not in caption_keys]
