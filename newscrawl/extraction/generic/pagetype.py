"""What kind of page this is: article, live blog, listing, gallery, video or other.

Evidence, strongest first: error pages by their title or ``<h1>`` (a page or article said
to be missing, an error code) and little text of their own; consent dialogs and
subscription walls that hold all of a page's text (by the names of their elements); the
page's structured data (its own article object, not one a listing object lists; a
collection, search, profile, gallery, video, calendar or about page); readers' comments
and figure captions, which are not a page's running text; the URL's shape (the site's
root, search, tag, category and author paths, page numbers); what a page says it is
(``og:type`` profile or website, a CMS's static-page or single-post template class,
``WebPage`` types without a date); and the DOM: many headline links in cards against the
text of one main block. The excerpts of several cards (a headline link, under a heading or
bare, and a paragraph or two under it) are the cards' text, not the page's: the running
text that makes an article is the page's own, so that a section page of such cards is no
article however long its excerpts are, at whatever URL. (A page that says it is an
article, by its meta tags, a dated story URL or its CMS's post template, needs less text
when it has fewer than 5 cards.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from newscrawl.extraction.generic.dates import date_candidates, url_day
from newscrawl.extraction.generic.structured import (
    ARTICLE_TYPES,
    GALLERY_TYPES,
    LISTING_TYPES,
    VIDEO_TYPES,
    Structured,
    types_of,
)
from newscrawl.extraction.generic.text import (
    MAX_CHARACTER_WEIGHT,
    attribute_names,
    clean,
    element_text,
    names_readers_comments,
    weighted_length,
)
from newscrawl.listing_paths import LISTING_PATH, LISTING_SEGMENT, PAGE_NUMBER

ARTICLE = "article"
LIVE_BLOG = "live-blog"
LISTING = "listing"
GALLERY = "gallery"
VIDEO = "video"
OTHER = "other"
RECORD_KINDS = frozenset({ARTICLE, LIVE_BLOG})
"""The kinds of page that give a record."""

_LISTING_PATH = LISTING_PATH  # search, section, tag, author, archive and page-number paths
_SEARCH_QUERY = re.compile(r"(?:^|&)(?:q|query|s|search|suche)=", re.IGNORECASE)
_PAGE_NOUNS = (
    r"page|seite|p[aá]gina|pagina|страниц[аы]|stránka|artikel|article|art[ií]culo|articolo|"
    r"beitrag|contenu|contenido|contenuto|content|inhalt|статья|материал|file|datei"
)
"""Words for what a site says is missing: a page, an article, its content (en, de, es, pt,
it, fr, ru, cs)."""
_MISSING = (
    r"not found|can(?:no|'|’)?t be found|could not be found|nicht gefunden|introuvable|"
    r"n['’]existe pas|no encontrad[ao]|no existe|non trovat[ao]|non esiste|не найден[аоы]?|"
    r"не существует|niet gevonden|no longer (?:available|exists)|(?:is|are) not available|"
    r"nicht mehr verfügbar|nicht verfügbar|existiert nicht|n['’]est plus disponible|"
    r"ya no está disponible|no está disponible|non è più disponibile|больше не доступ\w*|"
    r"недоступ\w*|удал[её]н[аоы]?|(?:has|have) been (?:removed|deleted)|was (?:removed|deleted)|"
    r"wurde (?:entfernt|gelöscht)|a été supprimée?|ha sido (?:eliminad|retirad)[ao]"
)
"""What a site says of a page it cannot show: not found, no longer available, removed."""
_ERROR_TITLE = re.compile(
    rf"\b(?:{_PAGE_NOUNS})\b.{{0,40}}?(?:{_MISSING})"
    r"|\b(?:error|fehler|erreur|ошибка|errore|código)\s*:?\s*(?:404|410)\b"
    r"|^\s*(?:404|410)\b|\b(?:404|410)\s*[-–—:|·]?\s*(?:not found|error|fehler|erreur|ошибка)"
    r"|^\s*not found\b|nie znaleziono",
    re.IGNORECASE,
)
"""A title or ``<h1>`` of an error page: a page, article or content said to be missing
("Seite nicht gefunden", "Страница не найдена", "This article has been removed"), an
error code ("Error 404", "404 Not Found"). Not "not found" alone: a headline says that of
a missing person ("Missing kayaker still not found")."""
_CONSENT = re.compile(
    r"cookie|consent|einwilligung|zustimmen|akzeptieren|accept all|alle akzeptieren|"
    r"privacy settings|datenschutz|gdpr|consentement|consentimiento",
    re.IGNORECASE,
)
_WALL_WORDS = ("onsent", "ookie", "gdpr", "didomi", "onetrust", "sp_message", "qc-cmp")
_WALL_WORDS += ("usercentrics", "aywall", "regwall")
_COMMENT_WORDS = ("omment", "disqus")


def _named_query(words: tuple[str, ...]) -> etree.XPath:
    """An XPath to the ``class`` and ``id`` attributes holding one of ``words`` (their
    elements are the attributes' parents): reading attributes down the descendant axis is
    several times faster than testing each element in a predicate."""
    test = " or ".join(f"contains(., '{word}')" for word in words)
    return etree.XPath(f"/descendant::*/@class[{test}] | /descendant::*/@id[{test}]")


_WALL_NAMES = _named_query(_WALL_WORDS)
"""``class`` and ``id`` values that may name a consent dialog or a subscription wall
(:data:`_CONSENT_NAME` and :data:`_PAYWALL_NAME` decide)."""
_COMMENT_NAMES = _named_query(_COMMENT_WORDS)
"""``class`` and ``id`` values that may name readers' comments
(:func:`~newscrawl.extraction.generic.text.names_readers_comments` decides)."""
MAX_WALL_TEXT = 3000
"""More running text than a consent dialog or a subscription wall holds: a page with more
is not looked at for them (its own text is more than either rule allows)."""
_CONSENT_NAME = re.compile(
    r"consent|cookie|gdpr|didomi|onetrust|sp_message|qc-cmp|usercentrics", re.IGNORECASE
)
"""A consent dialog's id or class: the words, and the names of the common consent managers'
containers (Didomi, OneTrust, Sourcepoint, Quantcast Choice, Usercentrics)."""
_PAYWALL_NAME = re.compile(r"pay-?wall|regwall", re.IGNORECASE)
_SUBSCRIBE = re.compile(
    r"subscri|abonn|suscri|assin(?:e|at)|подпис|log ?in\b|sign ?in\b|anmelden|connectez|"
    r"inicia sesión",
    re.IGNORECASE,
)
"""What a subscription wall asks: subscribe, log in (en, de, fr, es, pt, ru)."""
_PAGE_WRAPPERS = ("html", "body", "main", "article")
"""Elements that hold the page or its story, and so no dialog, wall or comments of their
own: a class of theirs is a state of the page ("cookies-not-set", "gdpr-applies")."""
_STATIC_PAGE_CLASS = re.compile(
    r"(?:^|\s)(?:type-page|node--type-page|node-type-page|page-node-type-page)(?:\s|$)",
    re.MULTILINE,
)
"""A class by which a CMS marks a static page of the site, not a post: WordPress's
``type-page`` (a post's is ``type-post``), Drupal's ``node--type-page`` and
``page-node-type-page`` (an article's ``node--type-article``)."""
MIN_EVENTS = 2
"""Events a page declares that make it a calendar (one is an event's own page)."""
MAX_TEXT_BLOCKS = 5000
MIN_PARAGRAPH = 80
"""The :func:`~newscrawl.extraction.generic.text.weighted_length` of a long paragraph: a
sentence or so (80 characters of English, 27 Han characters, 40 of kana or Hangul)."""
_SHORTEST_PARAGRAPH = -(-MIN_PARAGRAPH // MAX_CHARACTER_WEIGHT)
"""The fewest characters that can weigh :data:`MIN_PARAGRAPH` (27 Han characters)."""
_TEXT_BLOCKS = etree.XPath(
    f"(//p | //div | //td | //section | //article)[position() <= {MAX_TEXT_BLOCKS}]"
    f"[self::p and string-length(.) >= {_SHORTEST_PARAGRAPH}"
    " or not(self::p) and text()[normalize-space()]]"
)
"""The first :data:`MAX_TEXT_BLOCKS` blocks that may hold a paragraph of running text:
``<p>`` of :data:`_SHORTEST_PARAGRAPH` characters or more before cleaning (cleaning never
makes a text weigh more: it removes characters, and decodes an entity of 3 or more ASCII
characters, or mojibake of 2 to 4 characters, into one), other blocks with text of their
own (the rest give none)."""
_CARDS = etree.XPath("//article[.//a[@href]] | (//h2 | //h3)[a[@href] or parent::a[@href]]")
_LINK_HEADLINES = etree.XPath(
    "//a[@href][not(ancestor::p or ancestor::h1 or ancestor::h2 or ancestor::h3"
    " or ancestor::nav or ancestor::header or ancestor::footer)][not(.//h2 or .//h3)]"
)
"""Links that may be a card's headline without a heading around them (``<a class=title>``
of a result list, a link around a whole teaser): not inside running text, a heading or the
site's menus, and holding no heading (a link around an ``<h3>`` is that heading's)."""
MIN_LINK_HEADLINE = 25
"""The weighted length of a link's text that reads as a headline rather than a menu entry,
a name or "Read more"."""
_HEADING_TAGS = frozenset({"h2", "h3"})
"""The headings among :data:`_CARDS`: a card's headline link."""
_TEXT_BLOCK_TAGS = ("p", "div", "td", "section", "article")
"""The elements :data:`_TEXT_BLOCKS` reads."""
MIN_EXCERPT_CARDS = 3
"""Cards with an excerpt whose text is not the page's own text: more than a story's one
or two promos among its paragraphs, as few as a related-stories block (whose excerpts are
no more the story's text than a section page's are)."""
MAX_EXCERPT_PARAGRAPHS = 3
"""The most long paragraphs a card's excerpt has (as a teaser's, see
:mod:`~newscrawl.extraction.generic.teasers`); a container with more is a text of its own."""
MIN_DECLARED_ARTICLE_TEXT = 200
"""Running text enough for a page whose meta tags say it is an article."""
_GALLERY_IMAGES = etree.XPath("//figure//img | //*[contains(@class, 'gallery')]//img")
_CAPTIONED_FIGURES = etree.XPath("count(//figure[.//img][.//figcaption])")
"""Figures with an image and a caption: six or more and little other text make a gallery
even where the page's meta tags call it an article."""
MIN_ARTICLE_TEXT = 400
"""Running text (weighted characters of long paragraphs, see :func:`running_text`) that
makes an article."""
WEB_PAGE_TYPES: frozenset[str] = frozenset(
    {"WebPage", "AboutPage", "ContactPage", "FAQPage", "QAPage", "CheckoutPage"}
)
"""schema.org types of a site's own pages (about us, imprint, contact): not articles."""
SITE_PAGE_TYPES: frozenset[str] = frozenset({"AboutPage", "ContactPage", "CheckoutPage"})
"""The types of :data:`WEB_PAGE_TYPES` that name a page of the site's own (about us,
contact, checkout): such a page is no article whatever its ``og:type``, unless it has a
publication time. Not a plain ``WebPage``, which wraps many a CMS's articles too, nor an
``FAQPage`` or ``QAPage``, which an explainer may be."""


@dataclass(frozen=True)
class PageType:
    """The kind of a page and the evidence that decided it."""

    kind: str
    reason: str

    @property
    def gives_record(self) -> bool:
        """True for articles and live blogs."""
        return self.kind in RECORD_KINDS


def running_text(root: etree._Element) -> tuple[int, int]:
    """Return (length of the long paragraphs, number of long paragraphs) outside links.

    Lengths are weighted (:func:`~newscrawl.extraction.generic.text.weighted_length`), so
    that a Chinese, Japanese or Korean text counts about as much as an English one that
    says as much. A paragraph is a ``<p>`` of :data:`MIN_PARAGRAPH` or more, not half links, or the
    text a ``<div>``, ``<td>`` or ``<section>`` holds itself (between ``<br>``, say) when
    that is as long.
    """
    chars = count = 0
    for element in _TEXT_BLOCKS(root)[:MAX_TEXT_BLOCKS]:
        if length := paragraph_length(element):
            chars += length
            count += 1
    return chars, count


def card_excerpts(
    cards: Sequence[etree._Element], url: str, links: Sequence[etree._Element] = ()
) -> tuple[int, int]:
    """Return (length of the cards' excerpts, number of cards with an excerpt) among
    ``cards`` (:data:`_CARDS` of the page at ``url``) and the headline ``links`` (see
    :func:`link_headlines`), when given.

    A card is the largest element around a headline link to another page (an ``<h2>`` or
    ``<h3>`` with a link, or one of ``links``) that holds no other headline link; its
    excerpt is the long paragraphs (see :func:`running_text`) after the headline in it,
    and those inside a link that wraps the card, one to :data:`MAX_EXCERPT_PARAGRAPHS` of
    them. Lengths are weighted as in :func:`running_text`. Headlines in one container with
    no element of their own (a story's linked subheadings among its paragraphs) make no
    card.

    >>> from lxml import html
    >>> card = "<div><h3><a href='/a/'>Ferry fares frozen</a></h3><p>{}</p></div>"
    >>> root = html.fromstring("<main>" + card.format("x" * 90) * 3 + "</main>")
    >>> card_excerpts(_CARDS(root), "https://example.org/b/")
    (270, 3)
    """
    page = urldefrag(url).url
    headlines = [h for h in cards if h.tag in _HEADING_TAGS and _links_away(h, page)]
    headlines += [a for a in links if _links_away(a, page)]
    owner: dict[etree._Element, etree._Element | None] = {}
    for headline in headlines:  # each ancestor: its one headline, or None for several
        for ancestor in headline.iterancestors():
            if ancestor not in owner:
                owner[ancestor] = headline
            elif owner[ancestor] is None:
                break  # and so are its ancestors
            else:
                owner[ancestor] = None
    chars = count = 0
    for headline in headlines:
        excerpt = excerpt_paragraphs(headline, owner)
        if 0 < len(excerpt) <= MAX_EXCERPT_PARAGRAPHS:
            chars += sum(excerpt)
            count += 1
    return chars, count


def link_headlines(root: etree._Element) -> list[etree._Element]:
    """Return the links of the page ``root`` that read as a card's headline with no heading
    around them (:data:`_LINK_HEADLINES` whose text weighs :data:`MIN_LINK_HEADLINE` or more
    and has three words or more, or no spaces, as in Chinese)."""
    found = []
    for link in _LINK_HEADLINES(root):
        text = clean(element_text(link)) or ""
        if weighted_length(text) >= MIN_LINK_HEADLINE and (
            len(text.split()) >= 3 or " " not in text
        ):
            found.append(link)
    return found


def _links_away(headline: etree._Element, page: str) -> bool:
    """Tell whether ``headline`` links to a page other than ``page`` (not an anchor)."""
    link = headline if headline.tag == "a" else headline.find("a[@href]")
    if link is None:
        link = headline.getparent()
    href = (link.get("href") or "").strip() if link is not None else ""
    if not href or href.startswith("#") or href.lower().startswith("javascript:"):
        return False
    return urldefrag(urljoin(page, href)).url != page


def excerpt_paragraphs(
    headline: etree._Element, owner: dict[etree._Element, etree._Element | None]
) -> list[int]:
    """Return the lengths of the long paragraphs after ``headline`` in its card: the
    ancestors that ``owner`` gives no other headline."""
    lengths: list[int] = []
    if headline.tag == "a":  # a link around the card holds its excerpt
        lengths += filter(None, map(paragraph_length, headline.iter(*_TEXT_BLOCK_TAGS)))
    node = headline
    while (parent := node.getparent()) is not None and owner.get(parent) is headline:
        for sibling in node.itersiblings():
            for element in sibling.iter(*_TEXT_BLOCK_TAGS):
                if length := paragraph_length(element):
                    lengths.append(length)
        if len(lengths) > MAX_EXCERPT_PARAGRAPHS:
            break
        node = parent
    return lengths


def paragraph_length(element: etree._Element) -> int:
    """Return the weighted length of ``element``'s text when it counts as a long paragraph
    (see :func:`running_text`), else 0."""
    if element.tag == "p":
        text = etree.tostring(element, method="text", encoding="unicode", with_tail=False)
        if len(text) < MIN_PARAGRAPH and text.isascii():
            return 0  # cleaned, ASCII weighs no more than its length (entities shorten)
        linked = sum(weighted_length(element_text(a)) for a in element.iter("a"))
    else:
        text = (element.text or "") + "".join(c.tail or "" for c in element)
        linked = 0
    length = weighted_length(clean(text) or "")
    return length if length >= MIN_PARAGRAPH and linked < length / 2 else 0


def _title(root: etree._Element) -> str:
    parts = [root.findtext(".//title") or ""]
    parts += [element_text(h) for h in root.iter("h1")][:2]
    return " ".join(parts)


def page_type(
    structured: Structured,
    root: etree._Element,
    url: str,
    running: tuple[int, int] | None = None,
    names: str | None = None,
) -> PageType:
    """Return the kind of the page ``root`` at ``url``; ``running`` is its
    :func:`running_text` and ``names`` its
    :func:`~newscrawl.extraction.generic.text.attribute_names` when they were read
    already."""
    types = set().union(*(types_of(n) for n in structured.nodes)) if structured.nodes else set()
    article = structured.article(url)
    split = urlsplit(url)
    path = split.path.strip("/")
    chars, paragraphs = running_text(root) if running is None else running
    names = attribute_names(root) if names is None else names
    title = _title(root)
    if _ERROR_TITLE.search(title) and own_text(root, url, chars) < 2 * MIN_ARTICLE_TEXT:
        return PageType(OTHER, "an error page: its title says so")
    maybe_walled = chars < MAX_WALL_TEXT and any(word in names for word in _WALL_WORDS)
    wall = walls(root) if maybe_walled else Walls()
    outside = chars - wall.consent - wall.paywall
    if wall.consent and outside < MIN_DECLARED_ARTICLE_TEXT:
        return PageType(OTHER, "a consent wall: its text is the consent dialog's")
    if chars < MIN_ARTICLE_TEXT and _CONSENT.search(title + " " + _visible_sample(root)):
        return PageType(OTHER, "a consent wall: little text, and that about cookies")
    if (
        wall.paywall_asks
        and not wall.headline_outside
        and outside < MIN_PARAGRAPH
        and wall.paywall < 2 * MIN_ARTICLE_TEXT
    ):
        return PageType(OTHER, "a subscription wall: no headline or text but the offer's")
    if article:
        if "LiveBlogPosting" in types_of(article):
            return PageType(LIVE_BLOG, "structured data: LiveBlogPosting")
        if path or chars >= MIN_ARTICLE_TEXT:
            return PageType(ARTICLE, f"structured data: {'/'.join(sorted(types_of(article)))}")
    if any(word in names for word in _COMMENT_WORDS):
        chars -= readers_comments(root)  # readers' text, not the page's
    if types & GALLERY_TYPES and chars - caption_text(root) < MIN_ARTICLE_TEXT:
        return PageType(GALLERY, "structured data: a gallery")
    if types & VIDEO_TYPES and not types & ARTICLE_TYPES and chars < MIN_ARTICLE_TEXT:
        return PageType(VIDEO, "structured data: a video without article text")
    card_nodes = _CARDS(root)
    cards = len(card_nodes)
    og_type = (structured.first_meta("og:type") or "").lower()
    published = structured.first_meta("article:published_time")
    og_article = og_type == "article" or bool(published)
    if not path and not article:
        return PageType(LISTING, "the site's home page")
    if types & LISTING_TYPES and not og_article:
        return PageType(LISTING, "structured data: a collection page")
    if og_type == "profile" and not published:
        return PageType(LISTING, "og:type profile: a person's page")
    if sum(1 for n in structured.nodes if _is_event(n)) >= MIN_EVENTS and not published:
        return PageType(LISTING, "structured data: a calendar of events")
    later_page = bool(published and PAGE_NUMBER.search(path) and not LISTING_SEGMENT.search(path))
    if (
        (_LISTING_PATH.search(path) or _SEARCH_QUERY.search(split.query))
        and chars < 3 * MIN_ARTICLE_TEXT
        and not later_page  # a later page of an article ("…/story/seite/2/"): dated
    ):
        return PageType(LISTING, "a search, tag, category or author URL")
    if not published and _STATIC_PAGE_CLASS.search(names):
        return PageType(OTHER, "its CMS marks it a static page of the site, undated")
    if not published and not article and types & SITE_PAGE_TYPES:
        return PageType(OTHER, f"structured data: {'/'.join(sorted(types & SITE_PAGE_TYPES))}")
    if (
        cards < 5
        and not article
        and not og_article
        and _undated_site_page(structured, types, root, url)
    ):
        return PageType(OTHER, "declared a web page (og:type website or WebPage), undated")
    if (
        not og_article
        and og_type == "website"
        and chars < 3 * MIN_ARTICLE_TEXT
        and (headlines := cards + len(link_headlines(root))) >= 5
    ):
        return PageType(LISTING, f"og:type website, {headlines} headline links, little text")
    if _CAPTIONED_FIGURES(root) >= 6 and chars - caption_text(root) < MIN_ARTICLE_TEXT:
        return PageType(GALLERY, "many captioned figures and little text besides")
    excerpt_cards = 0
    dated = (
        not og_article
        and (_dated_story_url(path, url) or _post_template(root))
        and root.find(".//h1") is not None
    )
    if chars >= MIN_DECLARED_ARTICLE_TEXT and (og_article or dated or chars >= MIN_ARTICLE_TEXT):
        excerpts, excerpt_cards = card_excerpts(card_nodes, url, link_headlines(root))
        own = chars - excerpts if excerpt_cards >= MIN_EXCERPT_CARDS else chars
        if og_article and own >= MIN_DECLARED_ARTICLE_TEXT and cards < 5:
            return PageType(ARTICLE, "og:type article or article:published_time, and its text")
        if dated and own >= MIN_DECLARED_ARTICLE_TEXT and cards < 5:
            return PageType(ARTICLE, "a headline and its text, at a story's URL or template")
        if own >= MIN_ARTICLE_TEXT and (og_article or cards < 3 * max(paragraphs, 2)):
            return PageType(ARTICLE, f"{paragraphs} paragraphs of running text")
    if len(_GALLERY_IMAGES(root)) >= 6 and chars - caption_text(root) < MIN_ARTICLE_TEXT:
        return PageType(GALLERY, "many figures and little text")
    if cards >= 5 or excerpt_cards >= 5:
        cards = max(cards, excerpt_cards)
        return PageType(LISTING, f"{cards} headline links and {paragraphs} paragraphs of text")
    return PageType(OTHER, f"no article: {chars} characters of running text")


@dataclass(frozen=True)
class Walls:
    """Running text (weighted, as :func:`running_text` counts it) in a page's consent
    dialogs and subscription walls, which is not the page's own text."""

    consent: int = 0
    paywall: int = 0
    paywall_asks: bool = False
    """Whether a subscription wall's text asks the reader to subscribe or log in."""
    headline_outside: bool = True
    """Whether the page has an ``<h1>`` outside its subscription walls (a story's teaser
    above the wall has; an interstitial, whose heading is the wall's, has not)."""


def _named(root: etree._Element, query: etree.XPath) -> dict[etree._Element, str]:
    """Return the elements whose ``class`` or ``id`` ``query`` finds, with those values,
    leaving out the page, its ``<main>``, an ``<article>`` and the elements holding one
    (:data:`_PAGE_WRAPPERS`): a name of theirs is a state of the page."""
    found: dict[etree._Element, str] = {}
    for value in query(root):
        element = value.getparent()
        if element is None or next(element.iter(*_PAGE_WRAPPERS), None) is not None:
            continue
        found[element] = f"{found.get(element, '')} {value}"
    return found


def _outermost_text(elements: Sequence[etree._Element]) -> int:
    """Return the running text in ``elements``, each counted once (in the outermost of
    ``elements`` that holds it)."""
    among = set(elements)
    return sum(
        sum(map(paragraph_length, element.iter(*_TEXT_BLOCK_TAGS)))
        for element in elements
        if not any(ancestor in among for ancestor in element.iterancestors())
    )


def walls(root: etree._Element) -> Walls:
    """Return the running text of the page ``root`` in its consent dialogs (an ``id`` or
    ``class`` of :data:`_CONSENT_NAME`) and subscription walls (:data:`_PAYWALL_NAME`),
    whether a wall asks to subscribe, and whether an ``<h1>`` stands outside the walls."""
    named = _named(root, _WALL_NAMES)
    consent = [e for e, names in named.items() if _CONSENT_NAME.search(names)]
    paywall = [e for e, names in named.items() if e not in consent and _PAYWALL_NAME.search(names)]
    asks = any(_SUBSCRIBE.search(element_text(e)) for e in paywall)
    walled = set(paywall)
    outside = any(not any(a in walled for a in h1.iterancestors()) for h1 in root.iter("h1"))
    return Walls(_outermost_text(consent), _outermost_text(paywall), asks, outside)


def readers_comments(root: etree._Element) -> int:
    """Return the running text of the page ``root`` in readers' comments: elements whose
    ``id`` or ``class`` names them (``text.names_readers_comments``), not holding the
    page's ``<h1>`` (an opinion piece's class may call it a comment: it is the article)."""
    named = _named(root, _COMMENT_NAMES)
    comments = [
        element
        for element, names in named.items()
        if names_readers_comments(names) and next(element.iter("h1"), None) is None
    ]
    return _outermost_text(comments)


def caption_text(root: etree._Element) -> int:
    """Return the running text of the page ``root`` in its figures (``<figure>``, a
    ``<figcaption>`` outside one): a gallery's captions, however long, are not an
    article's text."""
    figures = list(root.iter("figure", "figcaption"))
    return _outermost_text(figures)


def _is_event(node: dict[str, Any]) -> bool:
    """Tell whether a structured data object is an event (``Event``, ``MusicEvent``,
    ``Festival`` ...)."""
    return any(t.endswith("Event") or t == "Festival" for t in types_of(node))


def own_text(root: etree._Element, url: str, chars: int) -> int:
    """Return the page's running text ``chars`` less the excerpts of its cards, when 3 or
    more cards have one (:func:`card_excerpts`, headline links of any markup counted): the
    text the page says itself, not that of the stories it suggests."""
    excerpts, excerpt_cards = card_excerpts(_CARDS(root), url, link_headlines(root))
    return chars - excerpts if excerpt_cards >= MIN_EXCERPT_CARDS else chars


_SLUG = re.compile(r"[^\W\d_]{2,}[-_][^\W\d_]{2,}")
"""Words joined by a hyphen or an underscore: a story's slug."""


def _dated_story_url(path: str, url: str) -> bool:
    """Tell whether the page's ``path`` names a story: a day in it (``/2024/03/11/``) and a
    slug in its last segment (a print view of a story, say; not a day's archive)."""
    return url_day(url) is not None and bool(_SLUG.search(path.rsplit("/", 1)[-1]))


_POST_BODY_CLASS = re.compile(
    r"(?:^|\s)(?:single-post|page-node-type-article|node-type-article)(?:\s|$)"
)
"""A class by which a CMS marks the page of one post or article: WordPress's body class of
a single post (an archive's is ``archive``), Drupal's body class of an article node (its
teasers in a listing carry ``node--type-article`` on their own elements, not the body)."""


def _post_template(root: etree._Element) -> bool:
    """Tell whether the page's ``<body>`` says its CMS shows one post or article on it."""
    body = root.find(".//body")
    return body is not None and bool(_POST_BODY_CLASS.search(body.get("class") or ""))


def _undated_site_page(
    structured: Structured, types: set[str], root: etree._Element, url: str
) -> bool:
    """Tell whether the page says it is a page of the site rather than an article
    (``og:type`` ``website``, or a JSON-LD web page type: about, contact ...) and has no
    publication date anywhere (metadata, ``<time>``, the URL)."""
    og_type = (structured.first_meta("og:type") or "").lower()
    if og_type != "website" and not types & WEB_PAGE_TYPES:
        return False
    return not date_candidates(structured, root, url, "published") and url_day(url) is None


def _visible_sample(root: etree._Element) -> str:
    body = root.find(".//body")
    if body is None:
        return ""
    text = etree.tostring(body, method="text", encoding="unicode")
    return text[:3000]
