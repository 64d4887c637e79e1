"""Images and their credits: the cover image from structured data, figures from the DOM.

A credit comes, in order, from the image's structured data (``creditText``,
``copyrightHolder``, ``author``, ``copyrightNotice``), from an element of its figure whose
class or ``itemprop`` names a credit, copyright, source or photographer, or from a
labelled tail of its caption ("Foto: …", "Photo: …", "Фото: …", "©").
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from itertools import islice
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
    "quelle",
    "autor",
    "fotograf",
    "rights",
    "author",
)
_CREDIT_CLASS = re.compile("|".join(_CREDIT_WORDS))
_CREDIT_ITEMPROPS = frozenset({"copyrightHolder", "author", "creditText"})
_CREDIT_TAGS = ("cite", "footer", "small")
"""Elements that mark an attribution by their tag alone: ``<footer>`` (a figure's foot),
``<small>`` (HTML's small print, attributions among it) and ``<cite>`` (a source's name),
as in "<figcaption>… <cite>Jane Doe/AP</cite></figcaption>"."""
MAX_UNLABELLED_CREDIT = 60
"""The longest credit read without a label or a credit class: a name or two and an
agency, not a sentence of the caption."""


MAX_FIGURE_NODES = 200
"""Elements of a figure looked at: its first ones (a figure nested in figures, 1,000 deep,
would otherwise make every figure read the whole page)."""


def _nodes(figure: etree._Element) -> list[etree._Element]:
    """Return the first :data:`MAX_FIGURE_NODES` elements inside ``figure``."""
    return [e for e in islice(figure.iterdescendants(), MAX_FIGURE_NODES) if isinstance(e.tag, str)]


def _is_caption(element: etree._Element) -> bool:
    if element.tag == "figcaption" or element.get("itemprop") in ("caption", "description"):
        return True
    names = element.get("class") or ""
    return "caption" in names or "description" in names


def _credit_elements(figure: etree._Element) -> list[etree._Element]:
    """Return the elements of ``figure`` whose class names a credit (or whose ``itemprop``
    is a credit's), in document order."""
    found = []
    for element in _nodes(figure):
        if element.tag == "img":
            continue
        if element.get("itemprop") in _CREDIT_ITEMPROPS or _CREDIT_CLASS.search(
            (element.get("class") or "").lower()
        ):
            found.append(element)
    return found


_FIGURES = etree.XPath("//figure")
_ALL_IMAGES = etree.XPath("//img")
_FIGURE_CLASS = re.compile("figure|image|photo|media")
MAX_IMAGES = 300


def _figure_like(root: etree._Element) -> list[etree._Element]:
    """Return elements that hold an image and whose class says they are its box ("image",
    "photo", "media", "figure"): the image's parent and the four above it."""
    found: list[etree._Element] = []
    for img in _ALL_IMAGES(root)[:MAX_IMAGES]:
        element = img.getparent()
        levels = 0
        while element is not None and levels < 5 and element.tag not in ("body", "html"):
            if element.tag not in ("source", "picture", "a"):  # wrappers do not count
                levels += 1
                if _FIGURE_CLASS.search((element.get("class") or "").lower()):
                    found.append(element)
            element = element.getparent()
    return found


_LABEL_WORDS = (
    r"(?:ap\s+)?photo(?:graph)?s?|illustration|image|picture|pic|video|graphic|grafik|credit|"
    r"crédit(?:\s+photo)?|foto(?:s|grafie|grafia|ğraf)?|bild(?:er|quelle|nachweis)?|fotó|"
    r"zdjęcie|kuva|billede|beeld|imagen|imagem|isithombe|"
    r"фото|photo\s+credit|image\s+credit|quelle|source|fuente|fonte|źródło|copyright"
)
"""Words that label a credit, before a colon or "by": English, French, German
("Bildquelle", "Bildnachweis"), Spanish and Portuguese ("Imagen", "Imagem"), Italian,
Dutch ("Beeld"), Polish, Finnish, Danish, Hungarian, Turkish ("Fotoğraf"), Zulu
("Isithombe"), Russian."""
_CAPTION_CREDIT = re.compile(
    rf"(?:^|(?<=[\s,.;|(\[]))(?:{_LABEL_WORDS})(?:\s*[:：]|\s+(?:by|von|par|por|di|av|af)\b:?)\s*"
    r"(?P<credit>[^()\[\]]{2,%d}?)\s*[)\]]?\s*$" % 160,
    re.IGNORECASE,
)
_LEADING_LABEL = re.compile(
    rf"^\s*(?:(?:{_LABEL_WORDS})(?:\s*[:：]|\s+(?:by|von|par|por|di|av|af)\b:?)\s*|©\s*|\(c\)\s*)",
    re.IGNORECASE,
)
MAX_FIGURES = 120
MAX_CAPTION_ELEMENTS = 20
"""A caption holds a few elements; an element with more is a section that names one."""
_BY = re.compile(r"^(?:by|von|par|por|di|av|af)\s", re.IGNORECASE)
_ORPHAN_CAPTION_CLASS = re.compile("caption|description|credit|copyright")
MAX_ORPHAN_DEPTH = 30


def _in_figure(element: etree._Element) -> bool:
    """Tell whether a ``<figure>`` holds ``element`` (among its nearest 30 ancestors)."""
    for depth, ancestor in enumerate(element.iterancestors()):
        if ancestor.tag == "figure":
            return True
        if depth >= MAX_ORPHAN_DEPTH:
            return False
    return False


def _orphan_caption_elements(root: etree._Element) -> list[etree._Element]:
    found = []
    for element in root.iter("figcaption", "p", "span", "div"):
        if element.tag != "figcaption" and not _ORPHAN_CAPTION_CLASS.search(
            element.get("class") or ""
        ):
            continue
        if not _in_figure(element):
            found.append(element)
            if len(found) >= MAX_FIGURES:
                break
    return found


MAX_LEAF = 120
_PLACEHOLDER = re.compile(r"\.svg(?:[?#]|$)|placeholder|blank\.gif|spacer", re.IGNORECASE)
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


_NAME_PART = rf"[^|()\[\]\d]{{2,{MAX_UNLABELLED_CREDIT}}}"
"""A name or an agency: no brackets, bars or digits."""
_UNLABELLED_TAIL = re.compile(
    r"(?<=[.!?…\"”’)])"  # the caption's last sentence ends
    rf"(?:\s+\|\s*(?P<piped>{_NAME_PART})"  # "| Jo Doe/PA Images"
    rf"|\s\((?P<bracketed>{_NAME_PART}/{_NAME_PART})\))\s*$"  # "(Jo Doe/AP)"
)
"""An unlabelled credit at a caption's end, after the caption's last sentence: set off by
" | " ("… Higgins. | Jo Doe/PA Images"), or in brackets in the photographer/agency form
("… in 2011. (Adel Doe/Associated Press)"); without digits (a date, "(2019/2020)")."""


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


def unlabelled_tail(caption: str) -> tuple[str | None, str | None]:
    """Return (caption, credit) of a figure's caption that ends with an unlabelled credit set
    off by " | " or brackets (:data:`_UNLABELLED_TAIL`: a name, no sentence, a capital
    letter); (caption, None) otherwise. Not for alt texts and titles, where " | " sets off
    the site's name.

    >>> unlabelled_tail("Riders wait at dawn. (Jin Park/Associated Press)")
    ('Riders wait at dawn.', 'Jin Park/Associated Press')
    >>> unlabelled_tail("Riders wait at dawn. | Jin Park/PA Images")
    ('Riders wait at dawn.', 'Jin Park/PA Images')
    >>> unlabelled_tail("Riders wait at dawn. (Archive)")
    ('Riders wait at dawn. (Archive)', None)
    """
    match = _UNLABELLED_TAIL.search(caption)
    if match is None:
        return caption, None
    credit = (match.group("piped") or match.group("bracketed")).strip()
    if (
        len(credit) > MAX_UNLABELLED_CREDIT
        or credit.endswith((".", "!", "?", ":"))
        or credit.islower()
        or not caption[: match.start()]
    ):
        return caption, None
    return caption[: match.start()].rstrip(_SEPARATORS) or None, credit


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
    # The last segment only: searched over the whole path, the pattern tried every start
    # in every segment up to its "/" (a 16 KB segment took 7 s, a fuzzed page minutes).
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    match = _STEM.search(name)
    return match.group(0).lower() if match and match.group(0) else None


def _img_src(img: etree._Element, base: str) -> str | None:
    """Return the image URL of an ``<img>`` or ``<source>``: lazy-loading attributes first,
    and never a placeholder (a ``data:`` URL or an SVG)."""
    for attr in ("data-src", "data-lazy-src", "data-original", "src", "data-srcset", "srcset"):
        value = (img.get(attr) or "").strip()
        if attr.endswith("srcset") and value:
            value = value.split(",")[0].split()[0]
        if value and not value.startswith("data:") and not _PLACEHOLDER.search(value):
            try:
                return urljoin(base, value)
            except ValueError:
                return None
    return None


def _text(element: etree._Element) -> str | None:
    return clean(etree.tostring(element, method="text", encoding="unicode", with_tail=False))


def figure_credit(figure: etree._Element) -> tuple[str | None, str | None]:
    """Return (caption, credit) of a figure-like element. A credit element inside the
    caption element is not part of the caption."""
    credit = None
    credit_text = None
    for element in _credit_elements(figure):
        text = _text(element) or clean(element.get("content"))
        credit_text = _text(element)
        if text and text[0] in "([" and text[-1] in ")]":
            text = text[1:-1]
        if text and _BY.match(text):
            continue  # "By Jane Doe": the story's byline, not the photo's
        if text and len(text) <= MAX_CREDIT:
            credit = strip_label(text)
            if credit:
                if more := _slashed_rest(element):
                    credit = f"{credit} / {more}"
                    credit_text = clean(f"{credit_text or ''}{element.tail or ''}{more}")
                break
    caption = None
    nodes = _nodes(figure)
    for element in (e for e in nodes if _is_caption(e)):
        text = _text(element)
        if text and credit and credit_text and credit_text != text:
            rest = _without_part(text, credit_text)
            if rest != text:  # the credit element sits at the caption's start or end
                caption = rest
                break
        if text:
            caption, labelled = caption_credit(text)
            parts = [c for c in element if isinstance(c.tag, str)]
            last = _text(parts[-1]) if parts and not (parts[-1].tail or "").strip() else None
            head = text[: len(text) - len(last)].rstrip(" |/-\u2013\u2014") if last else ""
            # "<figcaption><span>caption</span><span>Agency</span>" or "caption |
            # <strong>Agency</strong>": a short last part without a full stop is the credit.
            if (
                not labelled
                and not credit
                and last
                and text.endswith(last)
                and (len(head) >= 20 or len(parts) >= 2)
                and len(last) <= MAX_UNLABELLED_CREDIT
                and not last.endswith((".", "!", "?"))
            ):
                labelled = strip_label(last)
                caption = clean(head)
            credit = credit or labelled
            break
    if credit is None:
        credit, caption = _tagged_credit(nodes, caption)
    if credit is None and caption:
        caption, credit = unlabelled_tail(caption)
    if credit is None:
        leaves = (e for e in nodes if len(e) == 0 and e.text and len(e.text) < MAX_LEAF)
        for leaf in islice(leaves, 20):
            text = _text(leaf)
            if text and text != caption and _LEADING_LABEL.match(text):
                credit = strip_label(text)
                if credit:
                    break
    if credit is None:
        for img in [e for e in nodes if e.tag == "img"][:1]:
            for attr in ("alt", "title"):
                _, credit = caption_credit(clean(img.get(attr)))
                if credit:
                    break
    return caption, credit


def _slashed_rest(element: etree._Element) -> str | None:
    """Return what follows a credit element to the end of its parent when it goes on after a
    slash, as a credit does from photographer to agency ("<span class=credit>Photo by Jo
    Doe</span> /<span>AFP via Getty Images</span>"): that rest without the slash, or None."""
    after = [element.tail or ""]
    for sibling in element.itersiblings():
        if not isinstance(sibling.tag, str):
            after.append(sibling.tail or "")
            continue
        after.append(etree.tostring(sibling, method="text", encoding="unicode", with_tail=True))
        if sum(map(len, after)) > MAX_CREDIT:
            return None
    rest = clean("".join(after))
    if not rest or not rest.startswith("/"):
        return None
    rest = clean(rest[1:])
    if not rest or len(rest) > MAX_UNLABELLED_CREDIT or rest.endswith((".", "!", "?")):
        return None
    return rest


def _tagged_credit(
    nodes: list[etree._Element], caption: str | None
) -> tuple[str | None, str | None]:
    """Return (credit, caption) from the first ``<cite>``, ``<footer>`` or ``<small>`` of a
    figure's ``nodes`` that reads as a credit (short, no sentence), the caption losing it
    at its start or end; (None, caption) when there is none. Asked only when no credit
    class and no labelled caption named one: a label says more than a tag."""
    for element in (e for e in nodes if e.tag in _CREDIT_TAGS):
        text = _text(element)
        if (
            not text
            or len(text) > MAX_UNLABELLED_CREDIT
            or text.endswith((".", "!", "?"))
            or _BY.match(text)  # "By Jane Doe": the story's byline
        ):
            continue
        if credit := strip_label(text):
            return credit, _without_part(caption, text) if caption else caption
    return None, caption


_SEPARATORS = " |/-\u2013\u2014\u00b7:,;"


def _without_part(caption: str, part: str) -> str | None:
    """Return ``caption`` without ``part`` (a credit) at its end or start, with the
    separators between them.

    >>> _without_part("Riders at dawn. Jin Park / dpa", "Jin Park / dpa")
    'Riders at dawn.'
    """
    if caption.endswith(part):
        return clean(caption[: -len(part)].rstrip(_SEPARATORS)) or None
    if caption.startswith(part):
        return clean(caption[len(part) :].lstrip(_SEPARATORS)) or None
    return caption


def figures(root: etree._Element, base: str) -> list[FoundImage]:
    """Return the page's figure-like elements with an image, as images with their caption and
    credit, in page order (each image URL once)."""
    found: list[FoundImage] = []
    seen: set[etree._Element] = set()
    for figure in _FIGURES(root)[:MAX_FIGURES] + _figure_like(root)[:MAX_FIGURES]:
        if figure in seen:
            continue
        seen.add(figure)
        nodes = _nodes(figure)
        img = next((e for e in nodes if e.tag == "img"), None)
        url = _img_src(img, base) if img is not None else None
        if not url:
            sources = (e for e in nodes if e.tag == "source")
            url = next((u for e in sources if (u := _img_src(e, base))), None)
        if not url:
            continue
        caption, credit = figure_credit(figure)
        found.append(FoundImage(url=url, caption=caption, credit=credit))
    found += _orphan_captions(root, base)
    return found


def _orphan_captions(root: etree._Element, base: str) -> list[FoundImage]:
    """Return images whose caption stands outside any ``<figure>``: a caption-like element
    right after an element holding the image (a ``<figcaption>`` the parser moved out of a
    ``<figure>``, a ``<p class="img-description">`` after a picture's box)."""
    found: list[FoundImage] = []
    for caption in _orphan_caption_elements(root):
        if next(islice(caption.iter(), MAX_CAPTION_ELEMENTS, None), None) is not None:
            continue  # a whole section, not a caption
        url = None
        holder = caption.getparent()
        for candidate in (
            caption.getprevious(),
            holder,
            holder.getprevious() if holder is not None else None,
        ):
            if candidate is None or not isinstance(candidate.tag, str):
                continue
            img = (
                candidate
                if candidate.tag == "img"
                else next((e for e in _nodes(candidate) if e.tag == "img"), None)
            )
            if img is not None and (url := _img_src(img, base)):
                break
        if url:
            wrapper = etree.Element("div")
            wrapper.append(copy.deepcopy(caption))
            caption_text, credit = figure_credit(wrapper)
            found.append(FoundImage(url=url, caption=caption_text, credit=credit))
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
