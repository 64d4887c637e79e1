"""The body text: trafilatura's main text, with the page's lead, cleaned of what it lets through.

trafilatura (with its own readability and jusText fallbacks) finds the main text, tables
included (annotated bodies keep a table's text). The page's lead (standfirst) is often
outside the block trafilatura picks: when the page's description (``og:description``,
``description``, JSON-LD ``description``) is also shown as a paragraph of the page, it
leads the body. trafilatura reads a copy of the page without the markup it would cut a
sentence at (comments and empty inline elements followed by text, ``<ruby>``), and an
article cut into several containers of one class (by ads, embeds) is joined again. The
paragraphs are then cleaned: the headline or a variant of it among the first lines, credit
lines ("Foto: dpa"), image captions, the byline ("Von Anna Fink"), date lines ("Stand:
22.04.2024, 06:00 Uhr", a short line with the publication date), the tag box, lines that
only link to another article ("Read more: ..."), and the blocks of other articles' cards,
fact boxes, info boxes and author biographies are left out.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Iterable
from urllib.parse import SplitResult, urljoin, urlsplit

from lxml import etree

from newscrawl.extraction.generic.pagetype import running_text
from newscrawl.extraction.generic.structured import Structured
from newscrawl.extraction.generic.text import (
    attribute_names,
    clean,
    element_text,
    first_text,
    key,
    weighted_length,
)
from newscrawl.extraction.processors import is_credit_line

TRAFILATURA_OPTIONS: dict[str, bool] = {
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "favor_precision": True,
    "deduplicate": False,
}
"""What the generic extractor asks of ``trafilatura.extract``: the article text with its
tables, precision first."""
FALLBACK_BELOW = 1500
"""Characters, weighed as ``pagetype.running_text`` weighs them (a Han character counts 3, a
kana or Hangul one 2; see ``text.weighted_length``): on a page with this much running text,
trafilatura's own extractor (``fast``: without its readability and jusText fallbacks) is
run first, and the whole cascade with the fallbacks only when the own text is shorter than
this; on a page with less running text the cascade runs at once. The fallbacks rescue a
text the extractor got short or missed (they replace one only when it is empty,
deficient, or much shorter than theirs); they cost about 40% of a run, and changed no
real page whose own text was longer."""

SHORT_PRECISE_TEXT = 1500
"""Characters, weighed as the running text is: a precision-first text shorter than this may
be a fragment of the article."""
FRAGMENT_RATIO = 4
"""When trafilatura's balanced mode finds this many times more text than its precision-first
mode, the precise text was a fragment (one block of a page split into several) and the
balanced text is the article."""
RERUN_RATIO = 2
"""The balanced mode is tried only on pages whose running text is this many times the
precise text (else it cannot find :data:`FRAGMENT_RATIO` times as much article text)."""

MIN_LEAD = 40
MAX_LEAD_CHILDREN = 3
MAX_LEAD_CANDIDATES = 20
_TEXT_CONTAINING = etree.XPath("//body//text()[contains(., $probe)]")
MAX_DATE_LINE = 80
_DATE_LINE = re.compile(
    r"^(?:(?:stand|updated|published|last updated|aktualisiert|veröffentlicht|publicado|"
    r"actualizado|publié|mis à jour|pubblicato|aggiornato|opdateret|oppdatert|uppdaterad|"
    r"publicerad|zaktualizowano|opublikowano)\b[^\n]{0,60}\d|"
    r"[^a-z\n]{0,20}\d{1,4}[./-]\d{1,2}[./-]\d{2,4}[,\s]*(?:\d{1,2}[:.]\d{2}\s*(?:uhr|h)?)?\s*$)",
    re.IGNORECASE,
)
_BYLINE_LABEL = re.compile(
    r"^(?:by|von|par|por|di|door|av|af|autor(?:in)?:?|author:?|text:?)\s+", re.IGNORECASE
)


def trafilatura_paragraphs(
    root: etree._Element, url: str, running: tuple[int, int] | None = None
) -> list[str]:
    """Return the paragraphs of the main text trafilatura finds in ``root`` (an lxml.html
    tree, which trafilatura copies before it prunes). ``running`` is the page's
    :func:`running_text` when it was counted already.

    trafilatura's readability and jusText fallbacks run only on a short page: running text
    or trafilatura's own text shorter than :data:`FALLBACK_BELOW` characters (on a page of
    little running text the cascade runs at once, without the own extractor's run first).
    A precision-first text under :data:`SHORT_PRECISE_TEXT` characters, on a page with
    :data:`RERUN_RATIO` times as much running text, is checked against trafilatura's
    balanced mode: when that finds :data:`FRAGMENT_RATIO` times as much, its text is taken
    (the precise one kept only a fragment of the article).
    """
    running = running_text(root) if running is None else running
    cleaned = without_splitting_markup(root)
    text = ""
    if running[0] >= FALLBACK_BELOW:
        text = _trafilatura_text(cleaned, url, {**TRAFILATURA_OPTIONS, "fast": True})
    if weighted_length(text) < FALLBACK_BELOW:
        text = _trafilatura_text(cleaned, url, TRAFILATURA_OPTIONS)
    length = weighted_length(text)  # weighed as the running text is
    if length < SHORT_PRECISE_TEXT and cleaned is not root:
        running = running_text(cleaned)  # the copy may count differently (<ruby> unwrapped)
    root = cleaned
    # The balanced mode runs only when the page holds enough running text for it to find
    # much more (long paragraphs; counting them costs far less than a run).
    if length < SHORT_PRECISE_TEXT and running[0] >= RERUN_RATIO * length:
        balanced = _trafilatura_text(root, url, {**TRAFILATURA_OPTIONS, "favor_precision": False})
        if is_fragment(text, balanced):
            text = balanced
    paragraphs = [p for line in text.splitlines() if (p := clean(line))]
    return with_split_containers(root, paragraphs)


_SPLIT_BLOCKS = ("p", "h2", "h3", "h4", "li", "blockquote")
"""Elements that hold one paragraph, subheading or list item of an article's text."""
MAX_SPLIT_LINK_DENSITY = 0.3
"""A block of a sibling container with more of its text in links is a teaser, not text."""


def with_split_containers(root: etree._Element, paragraphs: list[str]) -> list[str]:
    """Return ``paragraphs`` with the paragraphs of the article's other text containers.

    Portals cut an article's text into several containers of the same tag and class (in-text
    ads, newsletter boxes and embeds between them); trafilatura often keeps one of them.
    When two or more of ``paragraphs`` are ``<p>`` children of one container, the page's
    other elements of that tag and class in the same ``<article>`` (or none), holding no
    ``<h1>``, give their paragraphs too (blocks with more than a third of their text in links
    left out), in page order. Every line of ``paragraphs`` is kept, in its order; the
    container trafilatura chose adds nothing. ``paragraphs`` is returned as it is when no
    other container adds a paragraph. A block that repeats a kept paragraph (holds it, or
    is part of it) is not added.
    """
    wanted = {_plain(p): p for p in paragraphs}
    groups: dict[tuple[str, str], list[etree._Element]] = {}
    for element in root.iter("p"):
        parent = element.getparent()
        if parent is None or not parent.get("class"):
            continue
        if _plain(element_text(element)) in wanted:
            groups.setdefault((parent.tag, parent.get("class", "")), []).append(parent)
    if not groups:
        return paragraphs
    (tag, classes), parents = max(groups.items(), key=lambda item: len(item[1]))
    if len(parents) < 2 or not isinstance(tag, str):
        return paragraphs
    own = set(parents)
    article = _article_of(parents[0])
    joined = " ".join(wanted)
    merged: list[str] = []
    added = 0
    for container in _SAME_CLASS(root, tag=tag, classes=classes):
        if container not in own and (
            _article_of(container) is not article or container.find(".//h1") is not None
        ):
            continue
        for block in container:
            if block.tag not in _SPLIT_BLOCKS:
                continue
            text = clean(element_text(block))
            if not text:
                continue
            if _plain(text) in wanted:
                merged.append(wanted[_plain(text)])
            elif (
                container not in own
                and _link_density(block, text) <= MAX_SPLIT_LINK_DENSITY
                and not _overlaps(_plain(text), wanted, joined)
            ):
                merged.append(text)
                added += 1
    if not added:
        return paragraphs
    return _interleave(paragraphs, merged)


def _interleave(paragraphs: list[str], merged: list[str]) -> list[str]:
    """Return every line of ``paragraphs`` (in their order) and the added lines of
    ``merged`` (those not in ``paragraphs``) at their place among them."""
    index = {}
    for i, p in enumerate(paragraphs):
        index.setdefault(p, i)
    out: list[str] = []
    done = 0
    for line in merged:
        at = index.get(line)
        if at is None:
            out.append(line)
        elif at >= done:
            out.extend(paragraphs[done : at + 1])
            done = at + 1
    return out + paragraphs[done:]


_SAME_CLASS = etree.XPath("//*[local-name() = $tag][@class = $classes]")


MIN_OVERLAP = 40
"""Characters: a kept paragraph this long found inside a block means the block repeats it."""


def _overlaps(text: str, wanted: dict[str, str], joined: str) -> bool:
    """Tell whether a block's text is already among the kept paragraphs: inside their text,
    or holding one of them (trafilatura split a dateline or a label off it)."""
    return text in joined or any(len(p) >= MIN_OVERLAP and p in text for p in wanted)


def _plain(text: str) -> str:
    return " ".join(text.split())


def _article_of(element: etree._Element) -> etree._Element | None:
    return next(element.iterancestors("article"), None)


def _link_density(block: etree._Element, text: str) -> float:
    linked = sum(len(element_text(a).strip()) for a in block.iter("a"))
    return linked / max(len(text), 1)


_INLINE = ("b", "strong", "i", "em", "u", "span", "font", "small", "mark", "a")
"""Inline elements that, left empty, sit inside a sentence (``<b>1925:</b> <b/>"Howard``)."""


def splitting_markup(root: etree._Element) -> list[etree._Element]:
    """Return the markup inside the body that trafilatura cuts a paragraph at: comments and
    empty inline elements followed by text (``When <!-- -->President``, ``<b>1925-40:</b>
    <b/>"Howard ...``) and ruby annotations (``<ruby>弾劾<rp>（</rp><rt>だんがい</rt><rp>）
    </rp></ruby>``)."""
    found: list[etree._Element] = []
    for body in root.iter("body"):
        for node in body.iter(etree.Comment, "ruby", *_INLINE):
            if node.tag == "ruby" or (
                node.tail
                and node.tail.strip()
                and (node.tag is etree.Comment or (len(node) == 0 and not node.text))
            ):
                found.append(node)
    return found


def without_splitting_markup(root: etree._Element) -> etree._Element:
    """Return ``root``, or a copy of it without the markup that splits sentences (see
    :func:`splitting_markup`): comments and empty inline elements removed (the text after
    them kept), ``<ruby>`` annotations unwrapped (their text inline: "弾劾（だんがい）").
    trafilatura drops such a node with the text after it, which would cut the paragraph
    there. ``root`` is not changed."""
    found = splitting_markup(root)
    if not found:
        return root
    copied = copy.deepcopy(root)
    empty = [
        _same_place(node, root, copied)
        for node in found
        if node.tag != "ruby" and node.tag is not etree.Comment
    ]  # found once, in ``root``; their twins in the copy are reached by position
    for node in empty:
        _drop_keeping_tail(node)
    etree.strip_tags(copied, etree.Comment, "ruby", "rb", "rt", "rp", "rtc")
    return copied


_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters an HTML parser keeps (from the bytes, or from ``&#x1;``) that lxml refuses to
store in a tree it builds: C0 controls other than tab, line feed and carriage return, and
U+FFFE and U+FFFF."""


def xml_compatible(tree: etree._Element) -> etree._Element:
    """Return ``tree``, or, when its text holds characters lxml refuses to store
    (:data:`_XML_INCOMPATIBLE`), a copy of it without them (``tree`` is not changed).
    Browsers show the page without them."""
    text = etree.tostring(tree, method="text", encoding="unicode")
    if not _XML_INCOMPATIBLE.search(text):
        return tree
    cleaned = copy.deepcopy(tree)
    for node in cleaned.iter():
        if node.text and _XML_INCOMPATIBLE.search(node.text):
            node.text = _XML_INCOMPATIBLE.sub("", node.text)
        if node.tail and _XML_INCOMPATIBLE.search(node.tail):
            node.tail = _XML_INCOMPATIBLE.sub("", node.tail)
        for name, value in node.attrib.items() if isinstance(node.tag, str) else ():
            if _XML_INCOMPATIBLE.search(value):
                node.set(name, _XML_INCOMPATIBLE.sub("", value))
    return cleaned


def _same_place(
    node: etree._Element, root: etree._Element, copied: etree._Element
) -> etree._Element:
    """Return the node of ``copied`` (a deep copy of ``root``) that stands where ``node``
    stands in ``root``: the same child index at every level down from the root."""
    indices = []
    while node is not root:
        parent = node.getparent()
        assert parent is not None, "node is not inside root"
        indices.append(parent.index(node))
        node = parent
    for index in reversed(indices):
        copied = copied[index]
    return copied


def _drop_keeping_tail(element: etree._Element) -> None:
    """Remove an empty ``element`` from its tree; its tail text stays where it was."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    # The HTML parser keeps control characters that lxml refuses to be assigned.
    if previous is not None:
        previous.tail = _NOT_XML.sub("", (previous.tail or "") + tail)
    else:
        parent.text = _NOT_XML.sub("", (parent.text or "") + tail)
    parent.remove(element)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters an lxml text or tail may not be set to."""


def is_fragment(precise: str, balanced: str) -> bool:
    """Tell whether the precision-first text is only a fragment of the article: it is short
    and the balanced mode found :data:`FRAGMENT_RATIO` times as much.

    >>> is_fragment("x" * 500, "y" * 2000)
    True
    >>> is_fragment("x" * 500, "y" * 1500)
    False
    """
    short = weighted_length(precise) < SHORT_PRECISE_TEXT
    return short and len(balanced) >= FRAGMENT_RATIO * max(len(precise), 1)


def _trafilatura_text(root: etree._Element, url: str, options: dict[str, bool]) -> str:
    """Return the text trafilatura extracts from ``root`` with ``options``, "" for none.

    trafilatura builds its result with lxml, which refuses some characters an HTML parser
    keeps (:data:`_XML_INCOMPATIBLE`, from the bytes or from ``&#x1;``): one of them in the
    article's text made it drop the whole text. So when it finds none, and only then (the
    check reads the page's text), it reads a copy without them.
    """
    text = _run_trafilatura(root, url, options)
    if text or (safe := xml_compatible(root)) is root:
        return text
    return _run_trafilatura(safe, url, options)


def _run_trafilatura(root: etree._Element, url: str, options: dict[str, bool]) -> str:
    import trafilatura  # imported lazily: only pages without a body selector need it

    try:
        return trafilatura.extract(root, url=url, **options) or ""
    except (ValueError, TypeError, RecursionError, etree.LxmlError):
        return ""


_CAPTIONS = etree.XPath(
    "//figcaption | //*[@class][contains(@class, 'aption') or contains(@class, 'egend')]"
)
"""Caption elements: ``<figcaption>``, a class naming a caption or legend (either case)."""
_FIGCAPTIONS = etree.XPath("//figcaption")
"""The caption elements of a page where no class names a caption or legend."""
MIN_ALT = 20
"""Characters: shorter ``alt`` texts ("Foto", "Logo") are not worth comparing."""


def caption_texts(root: etree._Element, names: str | None = None) -> set[str]:
    """Return the keys of the page's image texts: captions (``<figcaption>``, elements whose
    class names a caption or legend) and images' ``alt`` and ``title`` of 20 characters or
    more. A body line equal to one of them describes a picture (or a teaser card's image);
    it is not the article's text. ``names`` is the page's :func:`attribute_names` when it
    was read already."""
    names = attribute_names(root) if names is None else names
    named = "aption" in names or "egend" in names  # else no class names one
    texts = {key(element_text(e)) for e in (_CAPTIONS if named else _FIGCAPTIONS)(root)}
    for image in root.iter("img"):
        for name in ("alt", "title"):
            value = clean(image.get(name))
            if value and len(value) >= MIN_ALT:
                texts.add(key(value))
    texts.discard("")
    return texts


_LINKS = etree.XPath("//body//a[@href]")
MIN_LINK_WORDS = 3
"""Words: shorter link texts ("Home", "More") are not compared with body lines."""
_LINK_LABEL = re.compile(r"^[^:|\n]{1,30}[:|]\s+")
"""A short label before a link: "Read more: ", "ALSO READ: ", "Lesen Sie auch: ", "MORE | "."""
_LINK_TAG = re.compile(r"\s*\[[^\]\n]{1,20}\]$")
"""A bracketed tag after a link: " [VIDEO]", " [PICS]"."""
_BULLET = re.compile(r"^[-•*]\s+")


def other_page_links(root: etree._Element, url: str, paragraphs: Iterable[str] = ()) -> set[str]:
    """Return the texts (whitespace normalised) of the page's links of three words or more
    that lead to another page of the same site: the titles of teasers, "read more" links
    and related articles. Links within the page (``#...``), to other sites (sources,
    shops, share buttons) and to the page itself are not counted. With ``paragraphs``,
    only the links whose text could make one of them a link line (see
    :func:`is_link_line`) are looked at (resolving every link's address costs more)."""
    page = urlsplit(url)
    candidates = {c for p in paragraphs for c in _link_line_candidates(p)}
    texts: set[str] = set()
    for link in _LINKS(root):
        text = " ".join(element_text(link).split())
        if (
            text.count(" ") + 1 >= MIN_LINK_WORDS
            and (not paragraphs or text in candidates)
            and _leads_to_other_page(link.get("href", ""), url, page)
        ):
            texts.add(text)
    return texts


def _leads_to_other_page(href: str, url: str, page: SplitResult) -> bool:
    href = href.strip()
    if not href or href.startswith("#"):
        return False
    try:
        target = urlsplit(urljoin(url, href))
    except ValueError:
        return False
    return (
        target.scheme in ("http", "https")
        and _same_site(target.hostname or "", page.hostname or "")
        and target.path.rstrip("/") != page.path.rstrip("/")
    )


def _same_site(host: str, other: str) -> bool:
    """Tell whether two host names are one site (``www.`` ignored, or one a subdomain of the
    other)."""
    host, other = host.removeprefix("www."), other.removeprefix("www.")
    return host == other or host.endswith("." + other) or other.endswith("." + host)


def is_link_line(text: str, link_texts: Collection[str]) -> bool:
    """Tell whether a body line is only a link to another article: its text is the text of
    one of ``link_texts``, perhaps after a list bullet, a short label ("Read more:") and
    before a bracketed tag ("[VIDEO]").

    >>> links = {"Ferry strike ends after two days"}
    >>> is_link_line("READ MORE: Ferry strike ends after two days", links)
    True
    >>> is_link_line("The ferry strike ends after two days.", links)
    False
    """
    if not link_texts:
        return False
    return any(c in link_texts for c in _link_line_candidates(text))


def _link_line_candidates(text: str) -> list[str]:
    """Return the texts a link must have for ``text`` to be a link line: the line without
    its bullet, and without a short label before and a bracketed tag after it."""
    line = " ".join(_BULLET.sub("", text).split())
    bare = _LINK_TAG.sub("", _LINK_LABEL.sub("", line))
    if bare != line and bare.count(" ") + 1 >= MIN_LINK_WORDS:
        return [line, bare]
    return [line]


def _nested_articles(root: etree._Element) -> list[etree._Element]:
    """Return the ``<article>`` elements inside another one, in document order (what
    ``//article//article`` selects, in time linear in the page: libxml2 takes time
    quadratic in the depth for that query on articles nested in each other)."""
    return [a for a in root.iter("article") if next(a.iterancestors("article"), None) is not None]


def card_texts(root: etree._Element, paragraphs: list[str]) -> set[str]:
    """Return the texts (whitespace normalised) of the blocks of the cards of other articles
    inside the page's article: ``<article>`` elements nested in another one, when there are
    two or more. A nested article that holds most of ``paragraphs`` (the article itself,
    wrapped twice) gives none. Time is linear in the page, however deep cards nest."""
    nested = _nested_articles(root)
    if len(nested) < 2:
        return set()
    cards = set(nested)
    wanted = {_plain(p) for p in paragraphs}
    read: dict[etree._Element, str] = {}
    found: set[str] = set()  # the texts of every block inside a card
    holds: dict[etree._Element, set[str]] = {card: set() for card in nested}
    walked: set[etree._Element] = set()
    for top in nested:  # in document order: a card inside a walked one was walked with it
        if top in walked:
            continue
        open_cards: list[etree._Element] = []
        for event, element in etree.iterwalk(top, events=("start", "end")):
            if element in cards:
                if event == "start":
                    walked.add(element)
                    open_cards.append(element)
                else:
                    open_cards.pop()
            elif event == "start" and element.tag in _SPLIT_BLOCKS:
                text = _read_once(element, read)
                if text:
                    found.add(text)
                    if text in wanted:
                        for card in open_cards:
                            holds[card].add(text)
    main = max(nested, key=lambda card: len(holds[card]))
    if 2 * len(holds[main]) <= len(wanted):
        return found
    own = {t for block in main.iter(*_SPLIT_BLOCKS) if (t := _read_once(block, read))}
    return found - own


def _read_once(block: etree._Element, read: dict[etree._Element, str]) -> str:
    """Return the text of ``block`` (whitespace normalised), from ``read`` when it holds it."""
    text = read.get(block)
    if text is None:
        text = read[block] = _plain(element_text(block))
    return text


_FACT_BOX = re.compile(
    r"fact-?box|info-?box|faktenbox|author(?:-|_|__)?(?:bio|info)|about-the-author|biography",
    re.IGNORECASE,
)
"""A class naming a fact box, an info box or the author's biography."""
_BOX_CLASSES = etree.XPath(
    "//body//*[contains(@class, 'ox') or contains(@class, 'OX') or contains(@class, 'uthor')"
    " or contains(@class, 'iograph')]"
)
"""Elements whose class may name a box (a cheap filter before :data:`_FACT_BOX`)."""
_BOX_BLOCKS = (*_SPLIT_BLOCKS, "h5", "div", "span", "strong")
_BOX_HINTS = ("ox", "OX", "uthor", "iograph")
"""What :data:`_BOX_CLASSES` asks of a class."""


def _names_a_box(names: str) -> bool:
    """Tell whether one of the page's attribute values ``names`` (one per line, see
    :func:`attribute_names`) would name a box for :func:`fact_box_texts`: holds one of
    :data:`_BOX_HINTS` and matches :data:`_FACT_BOX` (a search of each such line costs far
    less than one case-insensitive search of them all)."""
    lines: set[str] = set()
    for hint in _BOX_HINTS:
        at = names.find(hint)
        while at >= 0:
            start = names.rfind("\n", 0, at) + 1
            end = names.find("\n", at)
            end = len(names) if end < 0 else end
            lines.add(names[start:end])
            at = names.find(hint, end)
    return any(_FACT_BOX.search(line) for line in lines)


def fact_box_texts(
    root: etree._Element, paragraphs: list[str], names: str | None = None
) -> set[str]:
    """Return the texts (whitespace normalised) of the blocks of the page's fact boxes, info
    boxes and author biographies (a class naming ``factbox``, ``infobox``, ``info-box``,
    ``fact-box``, ``faktenbox``, ``author-bio``, ``author-info``, ``about-the-author`` or
    ``biography``): boxed asides beside the article's text (the author's note, key
    figures, a transcript, a reading list), not part of it; lines broken by ``<br>``
    count one by one. A box holding most of ``paragraphs`` is
    the article's own container (a class such as ``article has-infobox``) and gives none.
    ``names`` is the page's :func:`attribute_names` when it was read already."""
    if not _names_a_box(attribute_names(root) if names is None else names):
        return set()  # no class on the page names a box
    wanted = {_plain(p) for p in paragraphs}
    texts: set[str] = set()
    taken: set[etree._Element] = set()
    lines: dict[etree._Element, list[str]] = {}  # each block read once, however many boxes
    for box in _BOX_CLASSES(root):  # in document order: outer boxes first
        if not _FACT_BOX.search(box.get("class", "")):
            continue
        if any(outer in taken for outer in box.iterancestors()):
            continue  # inside a box already taken: its texts are in
        blocks: set[str] = set()
        for block in box.iter(*_BOX_BLOCKS):
            if (found := lines.get(block)) is None:
                found = lines[block] = _block_lines(block)
            blocks.update(found)
        if 2 * len(blocks & wanted) <= len(wanted):
            texts |= blocks
            taken.add(box)
    return texts


def _block_lines(block: etree._Element) -> list[str]:
    """Return the text of ``block`` (whitespace normalised) and, when ``<br>`` breaks it,
    each of its lines (trafilatura gives them as lines of their own)."""
    text = _plain(element_text(block))
    if not text:
        return []
    if block.find(".//br") is None:
        return [text]
    copied = copy.deepcopy(block)
    copied.tail = None
    for br in copied.iter("br"):
        br.tail = _LINE_BREAK + (br.tail or "")
    lines = etree.tostring(copied, method="text", encoding="unicode", with_tail=False)
    return [text, *(p for line in lines.split(_LINE_BREAK) if (p := _plain(line)))]


_LINE_BREAK = "\ue000"
"""A private-use character marking a ``<br>`` (the page's own newlines are whitespace)."""


def aside_texts(root: etree._Element, paragraphs: list[str], names: str | None = None) -> set[str]:
    """Return the texts of the blocks that are not the article's running text although
    trafilatura may keep them: other articles' cards (:func:`card_texts`) and fact boxes
    (:func:`fact_box_texts`; ``names`` is the page's :func:`attribute_names` when it was
    read already)."""
    return card_texts(root, paragraphs) | fact_box_texts(root, paragraphs, names)


_TAG_SEPARATORS = re.compile(r"[,;|]")


def is_tag_list(text: str, tags: Iterable[str]) -> bool:
    """Tell whether a line only lists the page's tags (two or more, separated by commas,
    semicolons or bars): the tag box printed under the article. ``tags`` may be given as a
    frozenset of their :func:`key` already.

    >>> is_tag_list("Harbour, Ferries, Council", ["harbour", "ferries", "council", "Bus"])
    True
    >>> is_tag_list("Harbour", ["harbour"])
    False
    """
    if _TAG_SEPARATORS.search(text) is None:
        return False
    names = tags if isinstance(tags, frozenset) else frozenset(key(t) for t in tags if t)
    if not names:
        return False
    parts = [part for p in _TAG_SEPARATORS.split(text) if (part := key(p).strip(" ."))]
    return len(parts) >= 2 and all(p in names for p in parts)


MAX_DATELINE = 60
"""Characters: a line that only dates the article is shorter than this."""
_NUMBERS = re.compile(r"\d+")
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b")


def shows_publication_date(text: str, published: str | None) -> bool:
    """Tell whether a short line only dates the article: under :data:`MAX_DATELINE`
    characters, not a sentence (no final period), holding the year, the day and either the
    month's number or a clock time of the publication date ``published`` (ISO 8601), in
    any language and format. A signature
    line ("— Ann Lee (@ann) May 3, 2024", as embedded posts end) is not one.

    >>> shows_publication_date("segunda-feira, 22 de janeiro de 2018 às 0:13", "2018-01-22T00:13")
    True
    >>> shows_publication_date("The council met on 22 January 2018.", "2018-01-22T00:13")
    False
    """
    if not published or len(text) >= MAX_DATELINE or text.rstrip().endswith("."):
        return False
    if "@" in text or text.lstrip()[:1] in ("—", "–", "-"):
        return False
    numbers = _NUMBERS.findall(text)
    year, month, day = published[:4], published[5:7], published[8:10]
    return (
        year in numbers
        and (day in numbers or day.lstrip("0") in numbers)
        and (month in numbers or month.lstrip("0") in numbers or _CLOCK.search(text) is not None)
    )


def visible_lead(structured: Structured, root: etree._Element, url: str) -> str | None:
    """Return the page's description when a paragraph-like element of the page shows it
    (then it is the lead, not only a summary for search engines); else None."""
    article = structured.article(url)
    descriptions = {
        key(d)
        for d in (
            structured.first_meta("og:description"),
            structured.first_meta("description"),
            structured.first_meta("twitter:description"),
            first_text(article.get("description")),
        )
        if d and len(d) >= MIN_LEAD
    }
    if not descriptions:
        return None
    # Find the text nodes holding the longest word of the description's start (in C; a word,
    # since the page may write no-break spaces where the cleaned description has spaces),
    # then compare whole elements.
    starts = (d[: MIN_LEAD // 2].split() for d in _raw_descriptions(structured, article))
    for probe in dict.fromkeys(max(words, key=len) for words in starts if words):
        for node in _TEXT_CONTAINING(root, probe=probe)[:MAX_LEAD_CANDIDATES]:
            element = node.getparent()
            for _ in range(MAX_LEAD_CHILDREN):
                if element is None or element.tag in ("head", "title", "script", "style", "meta"):
                    break
                text = clean(
                    etree.tostring(element, method="text", encoding="unicode", with_tail=False)
                )
                if text and key(text) in descriptions:
                    return text
                if text and len(text) > 2 * max(len(d) for d in descriptions):
                    break
                element = element.getparent()
    return None


def _raw_descriptions(structured: Structured, article: dict[str, object]) -> list[str]:
    values = (
        structured.first_meta("og:description"),
        structured.first_meta("description"),
        structured.first_meta("twitter:description"),
        first_text(article.get("description")),
    )
    return [c for v in values if (c := clean(v)) and len(c) >= MIN_LEAD]


def is_date_line(text: str) -> bool:
    """Tell whether a short line only says when the article was published or updated.

    >>> is_date_line("Stand: 22.04.2024, 06:00 Uhr")
    True
    >>> is_date_line("Der Landtag berät am 22.04.2024 über das Gesetz.")
    False
    """
    return len(text) <= MAX_DATE_LINE and _DATE_LINE.search(text) is not None


_NAME_SEPARATORS = re.compile(r",|\s(?:and|und|og|och|et|y|e|i|&)\s")


def is_byline(text: str, authors: Iterable[str]) -> bool:
    """Tell whether a line is only the byline: its names (after "By", "Von" ...) are the
    article's authors.

    >>> is_byline("Von Nina Doe", ["Nina Doe"])
    True
    """
    names = {key(a) for a in authors if a}
    if not names or len(text) > MAX_DATE_LINE:
        return False
    rest = key(_BYLINE_LABEL.sub("", text))
    parts = {p.strip() for p in _NAME_SEPARATORS.split(rest)}
    return bool(parts) and parts <= names


HEADLINE_LINES = 3
"""The first lines of the text that may repeat the headline (the page's title or kicker
block printed above the text)."""
MIN_SHARED_WORDS = 3
SHARED_WORDS = 0.7
"""Share of the words of the longer of a line and the headline that both must have for the
line to be a variant of the headline."""
_WORD = re.compile(r"\w+")


def repeats(line: str, headline: str | None) -> bool:
    """Tell whether ``line`` is the headline or a variant of it: not a sentence (no final
    period), at most half as long again, and sharing :data:`SHARED_WORDS` of the words of
    the longer of the two (at least three): "Site | Headline", a kicker before it, an
    abbreviation ("HS Roundup" for "High School Roundup").

    >>> repeats("Milan 2018 | Anastassiades' light installation for FLOS",
    ...         "Milan 2018 | Anastassiades' light installation for Flos")
    True
    >>> repeats("The council met on Monday to approve the new bridge.", "Council approves bridge")
    False
    """
    if not headline:
        return False
    if key(line) == key(headline):
        return True
    if line.rstrip().endswith(".") or len(line) > 1.5 * len(headline) + 10:
        return False
    words, title = set(_WORD.findall(key(line))), set(_WORD.findall(key(headline)))
    shared = len(words & title)
    return shared >= MIN_SHARED_WORDS and shared >= SHARED_WORDS * max(len(words), len(title))


def clean_body(
    paragraphs: list[str],
    headline: str | None,
    captions: Iterable[str],
    authors: Iterable[str] = (),
    lead: str | None = None,
    link_texts: Collection[str] = (),
    tags: Iterable[str] = (),
    asides: Collection[str] = (),
    published: str | None = None,
    headings: Iterable[str] = (),
) -> list[str]:
    """Return ``paragraphs`` led by ``lead`` (when they lack it), without the headline or a
    variant of it among the first lines (see :func:`repeats`) nor, there, the text of one
    of the page's ``headings`` (its ``<h1>``, when the headline chosen is another
    source's text), credit lines, image
    captions, the byline, date lines (``published``, see
    :func:`shows_publication_date`), lists of the page's ``tags``, lines that are only a
    link to another article (``link_texts``, see :func:`is_link_line`) and lines of other
    articles' cards and of fact boxes (``asides``, see :func:`aside_texts`)."""
    heading_keys = {key(h) for h in headings}
    body = [
        p
        for i, p in enumerate(paragraphs)
        if i >= HEADLINE_LINES or not (repeats(p, headline) or key(p) in heading_keys)
    ]
    caption_keys = {key(c) for c in captions if c}
    authors, tags = list(authors), frozenset(key(t) for t in tags if t)
    body = [
        p
        for p in body
        if not is_credit_line(p)
        and key(p) not in caption_keys
        and not is_date_line(p)
        and not is_byline(p, authors)
        and not is_link_line(p, link_texts)
        and not is_tag_list(p, tags)
        and not shows_publication_date(p, published)
        and _plain(p) not in asides
    ]
    if lead and body and key(lead) not in key(" ".join(body[:3])):
        body.insert(0, lead)
    return body
