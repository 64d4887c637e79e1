"""Images and their credits: the cover image from structured data, figures from the DOM.

A credit comes, in order, from the image's structured data (``creditText``,
``copyrightHolder``, ``author``, ``copyrightNotice``), from an element of its figure whose
class or ``itemprop`` names a credit, copyright, source or photographer, or from a
labelled tail of its caption ("Foto: …", "Photo: …", "Фото: …", "©").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newscrawl.extraction.generic.structured import Structured, types_of
from newscrawl.extraction.generic.text import clean
from newscrawl.extraction.processors import split_credit, strip_credit_label

_CREDIT_WORDS = (
    "credit",
    "copyright",
    "source",
    "photographer",
    "byline",
    "author",
    "quelle",
    "autor",
    "fotograf",
    "rights",
)
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CREDIT_ELEMENTS = etree.XPath(
    ".//*["
    + " or ".join(
        f"contains(translate(@class, '{_UPPER}', '{_UPPER.lower()}'), '{w}')" for w in _CREDIT_WORDS
    )
    + " or @itemprop='copyrightHolder' or @itemprop='author' or @itemprop='creditText']"
    "[not(self::img)]"
)
_CAPTIONS = etree.XPath(
    ".//figcaption | .//*[contains(@class, 'caption')]"
    " | .//*[@itemprop='caption' or @itemprop='description']"
)
_FIGURES = etree.XPath("//figure")
_FIGURE_LIKE = etree.XPath(
    "//*[contains(@class, 'figure') or contains(@class, 'image') or contains(@class, 'photo')"
    " or contains(@class, 'media')][.//img]"
)
"""What :func:`figure_like` selects, as libxml2 would find it (tests compare the two)."""
_ALL_IMGS = etree.XPath("//img")
_FIGURE_WORDS = ("figure", "image", "photo", "media")


def figure_like(root: etree._Element) -> list[etree._Element]:
    """Return what ``_FIGURE_LIKE`` selects: the elements whose class mentions a figure word
    and that hold an ``<img>``, in document order.

    They are the ancestors of the page's images, climbed from each image up to the first
    ancestor seen before (the new ancestors of an image all follow what came before it,
    so the list stays in document order). libxml2 tested every element's class four times
    instead, which took as long as parsing the page.
    """
    seen: set[etree._Element] = set()
    found: list[etree._Element] = []
    for img in _ALL_IMGS(root):
        climbed: list[etree._Element] = []
        node = img.getparent()
        while node is not None and node not in seen:
            seen.add(node)
            climbed.append(node)
            node = node.getparent()
        for element in reversed(climbed):
            classes = element.get("class")
            if classes and any(word in classes for word in _FIGURE_WORDS):
                found.append(element)
    return found


_IMGS = etree.XPath(".//img")
_LABEL_WORDS = (
    r"(?:ap\s+)?photo(?:graph)?s?|illustration|image|picture|pic|video|graphic|grafik|credit|"
    r"crédit(?:\s+photo)?|foto(?:s|grafie|grafia)?|bild(?:er)?|fotó|zdjęcie|kuva|billede|"
    r"фото|photo\s+credit|image\s+credit|quelle|source|fuente|fonte|źródło|copyright"
)
_CAPTION_CREDIT = re.compile(
    rf"(?:^|(?<=[\s,.;|(\[]))(?:{_LABEL_WORDS})(?:\s*(?:[:：]|by|von|par|por|di|av|af)\s*|\s+)"
    r"(?P<credit>[^()\[\]]{2,%d}?)\s*[)\]]?\s*$" % 160,
    re.IGNORECASE,
)
_LEADING_LABEL = re.compile(
    rf"^\s*(?:(?:{_LABEL_WORDS})(?:\s*[:：]|\s+(?:by|von|par|por|di|av|af)\b:?)\s*|©\s*|\(c\)\s*)",
    re.IGNORECASE,
)
MAX_FIGURES = 60
MAX_CREDIT = 200
_STEM = re.compile(r"[^/]+?(?=(?:[._-]\d+x\d+)?(?:\.\w{2,5})?$)")


@dataclass
class FoundImage:
    """An image of the article with its caption and credit (each may be None)."""

    url: str | None
    caption: str | None = None
    credit: str | None = None


def strip_label(text: str | None) -> str | None:
    """Return a credit without its labels ("Photo by", "Foto:", "Illustration by", "©").

    >>> strip_label("Illustration by Jane Doe")
    'Jane Doe'
    >>> strip_label("Foto: © dpa")
    'dpa'
    """
    cleaned = clean(text)
    for _ in range(3):
        if not cleaned:
            return None
        stripped = _LEADING_LABEL.sub("", cleaned, count=1)
        if stripped == cleaned:
            break
        cleaned = stripped.strip() or None
    return strip_credit_label(cleaned)


def caption_credit(text: str | None) -> tuple[str | None, str | None]:
    """Split a caption into (caption, credit) when it ends with a labelled credit, also after
    a comma ("…, Foto: LAT Images").

    >>> caption_credit("Riders in Barcelona, Foto: LAT Images")
    ('Riders in Barcelona', 'LAT Images')
    """
    caption, credit = split_credit(text)
    if credit:
        return caption, strip_label(credit)
    cleaned = clean(text)
    match = _CAPTION_CREDIT.search(cleaned or "")
    if not cleaned or not match:
        return cleaned, None
    before = cleaned[: match.start()].rstrip(" ,;|(/-–—[")
    return (before or None), strip_label(match.group("credit"))


def _names(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for v in value if (n := _names(v))]
        return " / ".join(dict.fromkeys(names)) or None
    if isinstance(value, dict):
        return clean(value.get("name")) if isinstance(value.get("name"), str) else None
    return clean(value)


def structured_credit(image: dict[str, Any]) -> str | None:
    """Return the credit an ImageObject declares, without its label, or None."""
    for name in ("creditText", "copyrightHolder", "author", "creator", "copyrightNotice", "credit"):
        if (credit := _names(image.get(name))) and len(credit) <= MAX_CREDIT:
            return strip_label(credit)
    for name in ("caption", "description"):
        _, credit = caption_credit(
            clean(image.get(name)) if isinstance(image.get(name), str) else None
        )
        if credit:
            return credit
    return None


def _image_objects(structured: Structured, url: str) -> list[dict[str, Any]]:
    """Return the article's images as objects (ImageObject nodes, or {"url": ...})."""
    article = structured.article(url)
    by_id = {n.get("@id"): n for n in structured.nodes if isinstance(n.get("@id"), str)}
    images: list[dict[str, Any]] = []
    value = article.get("image") or article.get("thumbnailUrl")
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and "@id" in item and len(item) <= 2:
            item = by_id.get(item["@id"], item)
        if isinstance(item, str):
            item = {"url": item}
        if isinstance(item, dict):
            images.append(item)
    return images


def _image_url(item: dict[str, Any]) -> str | None:
    for name in ("url", "contentUrl", "@id"):
        if isinstance(item.get(name), str) and item[name].strip():
            return item[name].strip()
    return None


def stem(url: str | None) -> str | None:
    """Return the file name of an image URL without size suffix and extension, lowercased.

    >>> stem("https://cdn.example.org/img/2024/storm-1200x630.jpg?w=800")
    'storm'
    """
    if not url:
        return None
    path = urlsplit(url).path.rstrip("/")
    match = _STEM.search(path)
    return match.group(0).lower() if match and match.group(0) else None


def _img_src(img: etree._Element, base: str) -> str | None:
    for attr in ("data-src", "data-lazy-src", "data-original", "src"):
        value = img.get(attr)
        if value and not value.startswith("data:"):
            return urljoin(base, value.strip())
    srcset = img.get("srcset") or img.get("data-srcset")
    if srcset:
        return urljoin(base, srcset.strip().split(",")[0].split()[0])
    return None


def _text(element: etree._Element) -> str | None:
    return clean(etree.tostring(element, method="text", encoding="unicode", with_tail=False))


def figure_credit(figure: etree._Element) -> tuple[str | None, str | None]:
    """Return (caption, credit) of a figure-like element."""
    credit = None
    for element in _CREDIT_ELEMENTS(figure):
        text = _text(element) or clean(element.get("content"))
        if text and len(text) <= MAX_CREDIT:
            credit = strip_label(text)
            if credit:
                break
    caption = None
    for element in _CAPTIONS(figure):
        text = _text(element)
        if text:
            caption, labelled = caption_credit(text)
            parts = [c for c in element if isinstance(c.tag, str)]
            if not labelled and not credit and len(parts) >= 2:
                # "<figcaption><span>caption</span><span>Agency</span>": a short last part
                # without a full stop is the credit.
                last = _text(parts[-1])
                if last and len(last) <= 60 and not last.endswith((".", "!", "?")) and last != text:
                    labelled = strip_label(last)
                    caption = (
                        clean(text[: len(text) - len(last)]) if text.endswith(last) else caption
                    )
            if credit and caption and credit in caption:
                caption = clean(caption.replace(credit, "").strip(" |/-–—()"))
            credit = credit or labelled
            break
    return caption, credit


def figures(root: etree._Element, base: str) -> list[FoundImage]:
    """Return the page's figure-like elements with an image, as images with their caption and
    credit, in page order (each image URL once)."""
    found: list[FoundImage] = []
    seen: set[str] = set()
    for figure in _FIGURES(root)[:MAX_FIGURES] + figure_like(root)[:MAX_FIGURES]:
        img = next(iter(_IMGS(figure)), None)
        url = _img_src(img, base) if img is not None else None
        if not url and (source := figure.find(".//source[@srcset]")) is not None:
            url = _img_src(source, base)
        if not url or url in seen:
            continue
        seen.add(url)
        caption, credit = figure_credit(figure)
        found.append(FoundImage(url=url, caption=caption, credit=credit))
    return found


def cover_image(
    structured: Structured,
    root: etree._Element,
    url: str,
    in_page: list[FoundImage] | None = None,
) -> FoundImage | None:
    """Return the article's cover image with its caption and credit, or None.

    ``in_page`` are the page's :func:`figures`, when the caller has read them already.
    """
    objects = _image_objects(structured, url)
    og = structured.first_meta("og:image", "og:image:url", "twitter:image")
    cover_url = _image_url(objects[0]) if objects else None
    cover_url = cover_url or og
    credit = structured_credit(objects[0]) if objects else None
    caption = None
    stems = {s for s in (stem(cover_url), stem(og)) if s}
    in_page = figures(root, url) if in_page is None else in_page
    match = next((f for f in in_page if stem(f.url) in stems), None)
    if match is None or not match.credit:
        # The lead figure often shows another rendition of the cover: the first credited
        # figure stands for it.
        match = next((f for f in in_page if f.credit), match)
    if match is not None:
        caption = match.caption
        credit = credit or match.credit
    if not cover_url and match is None:
        return None
    alt = structured.first_meta("og:image:alt")
    if credit is None and alt:
        _, credit = caption_credit(clean(alt))
    if cover_url:
        cover_url = urljoin(url, cover_url)
    return FoundImage(
        url=cover_url or (match.url if match else None), caption=caption, credit=credit
    )


__all__ = ["FoundImage", "cover_image", "figure_credit", "figures", "structured_credit", "types_of"]
