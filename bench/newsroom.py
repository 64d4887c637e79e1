"""A generated modern news portal ("The Meridian"), served from memory on 127.0.0.1.

The second benchmark portal: it shares no markup with the Sahifa-like ``bench/portal.py``
(whose asyncio server and routing it reuses) and looks like a present-day CMS instead:
BEM class names, JSON-LD on every page (``NewsArticle`` + ``BreadcrumbList`` on articles,
``CollectionPage``, ``ProfilePage``, ``ImageGallery``, ``VideoObject``, ``AboutPage``
elsewhere), ``og:*`` tags, and URLs with ids, dates and sections in the path:

- ``/news/<section>/<yyyy>/<mm>/<dd>/<slug>-<id>.html``: English news articles;
- ``/<section>/<id>/<slug>``: sport and opinion articles;
- ``/de/<section>/<yyyy>-<mm>-<dd>/<slug>-<id>``: German articles, some of them
  translations of an English article (``hreflang`` alternates both ways, and each page
  shows the other's headline);
- ``/news/<section>/`` paginated ``/page/<n>/``; ``/sport/``, ``/opinion/``, ``/topics/<tag>/``
  and ``/authors/<slug>/`` paginated ``?page=<n>``; all with ``<link rel="next">``;
- ``/galleries/<id>/<slug>/``, ``/video/<id>/<slug>/``, ``/about/``, ``/imprint/``: not articles;
- ``/robots.txt`` → ``/sitemaps/index.xml`` → news sitemaps (``news:news``, per language,
  the last two days) and monthly article sitemaps with ``<lastmod>``, plus a pages sitemap;
- ``/feeds/atom.xml`` (Atom) and ``/feeds/<section>.rss`` (RSS), announced by
  ``<link rel="alternate">``;
- ``/__stats__``: request counters and the paths that answered 404.

Everything is deterministic from ``--articles`` and ``--seed``. :meth:`Newsroom.truth`
gives, per article, the record a perfect extractor should output (field names of
``docs/record.md``); :meth:`Newsroom.non_articles` lists the HTML pages that are not articles.

Usage::

    python bench/newsroom.py --articles 2000 --port 0   # prints READY http://127.0.0.1:<port>
    python bench/newsroom.py --articles 2000 --truth truth.jsonl --port 0
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench_scripts import load_bench

portal = load_bench("portal")
Resource = portal.Resource
make_resource = portal.make_resource
redirect = portal.redirect

__all__ = ["Article", "Newsroom", "NewsroomApp", "build_routes", "generate_newsroom", "main"]

SITE = "The Meridian"
TZ = ZoneInfo("Europe/Berlin")
START = datetime(2024, 1, 8, 6, 0, tzinfo=TZ)
PER_PAGE = 24
FEED_SIZE = 40
MONTHLY = "/sitemaps/articles-{:%Y-%m}.xml"

# slug, English name, German name, URL prefix of the listing
SECTIONS = (
    ("world", "World", "Welt", "/news/world/"),
    ("politics", "Politics", "Politik", "/news/politics/"),
    ("business", "Business", "Wirtschaft", "/news/business/"),
    ("science", "Science", "Wissenschaft", "/news/science/"),
    ("tech", "Technology", "Technik", "/news/tech/"),
    ("sport", "Sport", "Sport", "/sport/"),
    ("opinion", "Opinion", "Meinung", "/opinion/"),
)
AUTHORS = (
    "Hannah Okafor", "Lukas Brenner", "Priya Raman", "Jonas Albrecht", "Mei-Lin Cho",
    "Tomás Ferreira", "Greta Lindqvist", "Samuel Achterberg", "Aylin Demir", "Oliver Grant",
    "Nadia Haddad", "Felix Hoffmann",
)  # fmt: skip
TAGS = (
    "Climate", "Elections", "Energy", "Trade", "Health", "Space", "Football", "Cycling",
    "Artificial intelligence", "Housing", "Transport", "Europe", "Inflation", "Education",
    "Cybersecurity", "Migration",
)  # fmt: skip
PHOTOGRAPHERS = ("Ana Ruiz", "Kai Weber", "Leah Mensah", "Ivo Petrov", "Sara Lund", "Jin Park")
AGENCIES = ("Meridian Pictures", "Reuters", "dpa", "AFP", "AP")
EN = {
    "actors": ("The regional council", "Europe's largest utility", "A coalition of mayors",
               "The national rail operator", "Researchers in Lyon", "The central bank",
               "A group of engineers", "Port workers", "The health ministry", "Local growers",
               "The football federation", "A start-up from Tallinn"),
    "verbs": ("backs", "rejects", "delays", "unveils", "questions", "expands", "doubles",
              "scraps", "tests", "defends"),
    "topics": ("plan for night trains", "new solar targets", "a cap on rents",
               "the stadium upgrade", "a four-day week", "cheaper transit passes",
               "the water reform", "its data centre project", "a ban on disposable cups",
               "the cross-border tunnel", "a tax on short flights", "the vaccine rollout"),
    "places": ("in Rotterdam", "after long talks", "despite protests", "for the second time",
               "ahead of the summit", "in the north", "before the winter", "in the capital"),
    "subjects": ("Officials", "The committee", "Critics", "Supporters", "Analysts",
                 "Residents", "The company", "Union leaders", "Economists", "Engineers"),
    "predicates": ("said the decision would", "warned that the change could",
                   "expect the measure to", "argued it was too early to",
                   "hoped the vote would", "doubted the budget could"),
    "objects": ("cut costs by a third", "take effect next spring", "reach smaller towns",
                "ease pressure on households", "reshape the market", "need more funding",
                "set an example for neighbours", "face a legal challenge"),
    "tails": ("according to figures published on Monday", "a spokesperson confirmed",
              "the report found", "people familiar with the talks said",
              "in a statement late on Tuesday", "the data show"),
}  # fmt: skip
DE = {
    "actors": ("Der Stadtrat", "Die Landesregierung", "Ein Bündnis von Bürgermeistern",
               "Die Bahn", "Forschende aus Leipzig", "Die Zentralbank", "Ein Ingenieurteam",
               "Die Hafenarbeiter", "Das Gesundheitsministerium", "Der Fußballverband"),
    "verbs": ("unterstützt", "stoppt", "verschiebt", "präsentiert", "prüft", "erweitert"),
    "topics": ("den Plan für Nachtzüge", "neue Solarziele", "die Mietpreisbremse",
               "den Stadionumbau", "die Vier-Tage-Woche", "günstigere Monatskarten",
               "die Wasserreform", "das Rechenzentrum", "die Tunnelpläne"),
    "places": ("in Hamburg", "nach langen Gesprächen", "trotz Protesten", "vor dem Gipfel",
               "im Norden", "vor dem Winter"),
    "subjects": ("Die Behörden", "Die Ausschüsse", "Kritiker", "Befürworter", "Fachleute",
                 "Anwohner", "Die Unternehmen", "Gewerkschafter"),
    "predicates": ("erklärten, die Entscheidung werde", "warnten, die Änderung könne",
                   "erwarten, dass die Maßnahme", "hoffen, die Abstimmung werde"),
    "objects": ("die Kosten deutlich senken", "im Frühjahr gelten", "kleinere Städte erreichen",
                "Haushalte entlasten", "den Markt verändern", "mehr Geld benötigen"),
    "tails": ("wie am Montag veröffentlichte Zahlen zeigen", "bestätigte eine Sprecherin",
              "heißt es in dem Bericht", "sagten Beteiligte"),
}  # fmt: skip
WORDS = {
    "en": {"home": "Home", "news": "News", "by": "By", "and": "and", "updated": "Updated",
           "related": "Related stories", "read_more": "Read more", "also": "Also in German",
           "ad": "Advertisement", "watch": "Watch"},
    "de": {"home": "Startseite", "news": "Nachrichten", "by": "Von", "and": "und",
           "updated": "Aktualisiert", "related": "Mehr zum Thema", "read_more": "Lesen Sie auch",
           "also": "Also in English", "ad": "Anzeige", "watch": "Video"},
}  # fmt: skip
MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
}
WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
}


def slugify(text: str) -> str:
    """Return a lower-case ASCII slug of ``text`` (German umlauts transliterated)."""
    text = text.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("á", "a"), ("'", "")):
        text = text.replace(a, b)
    return "-".join("".join(c if c.isascii() and c.isalnum() else " " for c in text).split())


@dataclass(frozen=True)
class Section:
    """A section: its listing and the articles in it, newest first."""

    slug: str
    names: dict[str, str]
    path: str
    articles: list[Article] = field(default_factory=list, compare=False, repr=False)

    @property
    def is_news(self) -> bool:
        """Whether the section sits under ``/news/``."""
        return self.path.startswith("/news/")

    def page_path(self, page: int) -> str:
        """Path of listing page ``page`` (news sections ``/page/n/``, others ``?page=n``)."""
        if page == 1:
            return self.path
        return f"{self.path}page/{page}/" if self.is_news else f"{self.path}?page={page}"


@dataclass(frozen=True)
class Term:
    """A tag or an author: a listing paginated ``?page=n``."""

    kind: str  # "topics" or "authors"
    name: str
    articles: list[Article] = field(default_factory=list, compare=False, repr=False)

    @property
    def path(self) -> str:
        """Path of the first listing page."""
        return f"/{self.kind}/{slugify(self.name)}/"

    def page_path(self, page: int) -> str:
        """Path of listing page ``page``."""
        return self.path if page == 1 else f"{self.path}?page={page}"


@dataclass(eq=False)
class Article:
    """One article; ``post_id`` and ``path`` are what bench/portal.py's app reads."""

    post_id: int
    lang: str
    headline: str
    section: Section
    published: datetime
    modified: datetime
    authors: tuple[Term, ...]
    tags: tuple[Term, ...]
    paragraphs: tuple[str, ...]
    image: tuple[str, str, str] | None  # path, caption, credit
    path: str = ""
    translation: Article | None = None
    related: tuple[Article, ...] = ()
    read_more: Article | None = None

    @property
    def summary(self) -> str:
        """The description: the first sentence of the first paragraph."""
        first = self.paragraphs[0]
        return first[: first.find(". ") + 1] if ". " in first else first


@dataclass(frozen=True)
class Media:
    """A gallery or a video page."""

    kind: str  # "galleries" or "video"
    media_id: int
    title: str
    published: datetime
    captions: tuple[str, ...]

    @property
    def path(self) -> str:
        """The page's path."""
        return f"/{self.kind}/{self.media_id}/{slugify(self.title)}/"


@dataclass
class Newsroom:
    """A generated portal: articles (oldest first), sections, tags, authors, media."""

    articles: list[Article]
    sections: list[Section]
    tags: list[Term]
    authors: list[Term]
    media: list[Media]
    seed: int

    @property
    def posts(self) -> list[Article]:
        """The articles, under the name bench/portal.py's ``PortalApp`` reads."""
        return self.articles

    @property
    def newest_first(self) -> list[Article]:
        """The articles, newest first."""
        return self.articles[::-1]

    def listings(self) -> list[tuple[Section | Term, int]]:
        """Every paginated listing with its page count."""
        terms: list[Section | Term] = [*self.sections, *self.tags, *self.authors]
        return [(t, max(1, math.ceil(len(t.articles) / PER_PAGE))) for t in terms]

    def truth(self, base_url: str) -> list[dict[str, Any]]:
        """Per article (oldest first), the record fields a perfect extractor outputs."""
        return [_truth(a, base_url.rstrip("/")) for a in self.articles]

    def non_articles(self, base_url: str) -> list[dict[str, str]]:
        """Every HTML page that is not an article, with its kind; none may become a record."""
        base = base_url.rstrip("/")
        pages = [{"url": f"{base}/", "kind": "home"}, {"url": f"{base}/news/", "kind": "listing"}]
        for term, count in self.listings():
            kind = {"topics": "tag", "authors": "author"}.get(getattr(term, "kind", ""), "section")
            pages += [{"url": base + term.page_path(n), "kind": kind} for n in range(1, count + 1)]
        pages += [{"url": f"{base}/{kind}/", "kind": "listing"} for kind in ("galleries", "video")]
        for item in self.media:
            pages.append(
                {
                    "url": base + item.path,
                    "kind": "gallery" if item.kind == "galleries" else "video",
                }
            )
        pages += [{"url": f"{base}/{name}/", "kind": "static"} for name in ("about", "imprint")]
        return pages


def _truth(a: Article, base: str) -> dict[str, Any]:
    """The expected record fields of article ``a``."""
    image = None
    if a.image:
        image = {"url": base + a.image[0], "caption": a.image[1], "credit": a.image[2]}
    other = a.translation
    return {
        "url": base + a.path,
        "canonical_url": base + a.path,
        "language": a.lang,
        "section": a.section.names[a.lang],
        "breadcrumb": [{"name": n, "url": u and base + u} for n, u in _crumbs(a)],
        "headline": a.headline,
        "headline_alt": {"text": other.headline, "lang": other.lang} if other else None,
        "authors": [t.name for t in a.authors],
        "published_at": a.published.isoformat(),
        "modified_at": a.modified.isoformat(),
        "body": list(a.paragraphs),
        "photo_credit": a.image[2] if a.image else None,
        "images": [image] if image else [],
        "teasers": [
            {"title": r.headline, "url": base + r.path, "excerpt": r.summary} for r in a.related
        ],
        "tags": [t.name for t in a.tags],
    }


def _crumbs(a: Article) -> list[tuple[str, str | None]]:
    """Breadcrumb of ``a`` as (name, path or None), the article's own crumb last."""
    words = WORDS[a.lang]
    steps: list[tuple[str, str | None]] = [(words["home"], "/")]
    if a.section.is_news:
        steps.append((words["news"], "/news/"))
    return [*steps, (a.section.names[a.lang], a.section.path), (a.headline, None)]


# --- generation ----------------------------------------------------------------------


class _Writer:
    """Generated headlines and paragraphs in one language."""

    def __init__(self, rng: random.Random, words: dict[str, tuple[str, ...]]) -> None:
        """Draw from ``rng`` with vocabulary ``words``."""
        self.rng = rng
        self.w = words

    def headline(self) -> str:
        """A headline such as ``The central bank backs a cap on rents in the north``."""
        c = self.rng.choice
        w = self.w
        return f"{c(w['actors'])} {c(w['verbs'])} {c(w['topics'])} {c(w['places'])}"

    def sentence(self) -> str:
        """One sentence of two or three clauses."""
        c = self.rng.choice
        w = self.w
        text = f"{c(w['subjects'])} {c(w['predicates'])} {c(w['objects'])}"
        if self.rng.random() < 0.6:
            text += f", {c(w['tails'])}"
        if self.rng.random() < 0.3:
            text += f" ({self.rng.randint(2, 97)} %)"
        return text + "."

    def paragraph(self) -> str:
        """A paragraph of two to four sentences."""
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))


def _article_path(a: Article) -> str:
    """The URL shape of ``a``: by language and by section."""
    slug = "-".join(slugify(a.headline).split("-")[:9])
    if a.lang == "de":
        return f"/de/{a.section.slug}/{a.published:%Y-%m-%d}/{slug}-{a.post_id}"
    if a.section.is_news:
        return f"{a.section.path}{a.published:%Y/%m/%d}/{slug}-{a.post_id}.html"
    return f"{a.section.path}{a.post_id}/{slug}"


def generate_newsroom(articles: int, seed: int = 1) -> Newsroom:
    """Generate ``articles`` articles and their listings; equal arguments give equal sites.

    About 15% of the articles are German; about a tenth of the English ones are followed
    by their German translation (counted among ``articles``).
    """
    if articles < 1:
        raise ValueError("articles must be >= 1")
    rng = random.Random(seed)
    writers = {"en": _Writer(rng, EN), "de": _Writer(rng, DE)}
    sections = [Section(slug, {"en": en, "de": de}, path) for slug, en, de, path in SECTIONS]
    tags = [Term("topics", name) for name in TAGS]
    authors = [Term("authors", name) for name in AUTHORS]
    out: list[Article] = []
    when = START
    post_id = 204_000

    def make(lang: str, section: Section, original: Article | None = None) -> Article:
        nonlocal post_id
        post_id += rng.randint(1, 9)
        writer = writers[lang]
        modified = when + timedelta(minutes=rng.randint(5, 600)) if rng.random() < 0.4 else when
        image = None
        if rng.random() < 0.85:
            caption = writer.sentence()
            credit = f"{rng.choice(PHOTOGRAPHERS)} / {rng.choice(AGENCIES)}"
            image = (f"/media/{when:%Y/%m}/{post_id}-lead.jpg", caption, credit)
        article = Article(
            post_id=post_id,
            lang=lang,
            headline=writer.headline(),
            section=section,
            published=when,
            modified=modified,
            authors=original.authors
            if original
            else tuple(rng.sample(authors, rng.choice((1, 1, 1, 2, 3)))),
            tags=tuple(rng.sample(tags, rng.randint(1, 4))),
            paragraphs=tuple(writer.paragraph() for _ in range(rng.randint(5, 14))),
            image=image,
            translation=original,
        )
        article.path = _article_path(article)
        if original is not None:
            original.translation = article
        return article

    while len(out) < articles:
        when += timedelta(minutes=rng.randint(10, 70), seconds=rng.randint(0, 59))
        section = rng.choice(sections)
        lang = "de" if rng.random() < 0.06 else "en"
        article = make(lang, section)
        out.append(article)
        if lang == "en" and len(out) < articles and rng.random() < 0.1:
            when += timedelta(minutes=rng.randint(20, 90))
            out.append(make("de", section, article))
    for article in reversed(out):
        article.section.articles.append(article)
        for term in (*article.tags, *article.authors):
            term.articles.append(article)
    for section in sections:
        same = section.articles  # newest first
        for index, article in enumerate(same):
            pool = same[index + 1 : index + 4] + same[max(0, index - 3) : index]
            article.related = tuple(pool[:3])
            if len(article.paragraphs) >= 6 and len(same) > 1:
                article.read_more = rng.choice([a for a in pool[3:] or same if a is not article])
    media = []
    for number in range(max(3, articles // 50)):
        kind = "galleries" if number % 2 == 0 else "video"
        day = START + timedelta(days=rng.randint(0, max(1, (when - START).days)))
        captions = tuple(writers["en"].sentence() for _ in range(rng.randint(4, 9)))
        media.append(Media(kind, 900_000 + number * 7, writers["en"].headline(), day, captions))
    return Newsroom(out, sections, [t for t in tags if t.articles], authors, media, seed)


# --- HTML ----------------------------------------------------------------------------


def _ld(data: dict[str, Any]) -> str:
    """A JSON-LD script element (``</`` escaped so the text cannot end the script)."""
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def _visible_date(when: datetime, lang: str) -> str:
    """``Tuesday 5 March 2024, 14.32 CET`` or ``Dienstag, 5. März 2024, 14:32 Uhr``."""
    day, month = WEEKDAYS[lang][when.weekday()], MONTHS[lang][when.month - 1]
    if lang == "de":
        return f"{day}, {when.day}. {month} {when.year}, {when:%H:%M} Uhr"
    return f"{day} {when.day} {month} {when.year}, {when:%H.%M} {when.tzname()}"


class Renderer:
    """Renders the pages of a :class:`Newsroom` for one base URL."""

    def __init__(self, site: Newsroom, base_url: str) -> None:
        """Render ``site`` with absolute URLs under ``base_url``."""
        self.site = site
        self.base = base_url.rstrip("/")
        nav = "".join(
            f'<li class="site-nav__item"><a class="site-nav__link" href="{s.path}">'
            f"{s.names['en']}</a></li>"
            for s in site.sections
        )
        self.header = (
            '<a class="skip-link" href="#content">Skip to content</a>'
            '<header class="site-header" role="banner"><div class="site-header__inner">'
            f'<a class="site-header__brand" href="/" rel="home">{SITE}</a>'
            '<nav class="site-nav" aria-label="Sections"><ul class="site-nav__list">'
            f'<li class="site-nav__item"><a class="site-nav__link" href="/news/">News</a></li>{nav}'
            '<li class="site-nav__item"><a class="site-nav__link" href="/galleries/">Galleries</a>'
            "</li>"
            '<li class="site-nav__item"><a class="site-nav__link" href="/video/">Video</a></li>'
            "</ul></nav></div></header>"
        )
        self.footer = (
            '<footer class="site-footer"><ul class="site-footer__links">'
            '<li><a href="/about/">About us</a></li><li><a href="/imprint/">Imprint</a></li>'
            '<li><a href="/feeds/atom.xml">Atom feed</a></li>'
            '<li><a href="https://social.example.net/meridian" rel="me">Follow us</a></li></ul>'
            f'<p class="site-footer__copy">© 2024 {SITE} Media GmbH</p></footer>'
            '<script src="/assets/app.4f2a.js" defer></script>'
        )

    def page(
        self,
        path: str,
        title: str,
        main: str,
        ld: list[dict[str, Any]],
        *,
        lang: str = "en",
        head: str = "",
        description: str = "",
        og_type: str = "website",
    ) -> bytes:
        """A whole HTML page: head (canonical, og:*, JSON-LD), site header, ``main``, footer."""
        url = self.base + path
        return (
            f'<!doctype html>\n<html lang="{lang}" class="no-js"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} | {SITE}</title>"
            f'<meta name="description" content="{escape(description)}">'
            f'<link rel="canonical" href="{url}">'
            f'<meta property="og:site_name" content="{SITE}">'
            f'<meta property="og:type" content="{og_type}">'
            f'<meta property="og:title" content="{escape(title)}">'
            f'<meta property="og:url" content="{url}">'
            f'<meta property="og:description" content="{escape(description)}">'
            '<link rel="stylesheet" href="/assets/app.4f2a.css">'
            f"{head}{''.join(_ld(item) for item in ld)}</head>"
            f'<body class="page page--{og_type}">{self.header}'
            f'<main id="content" class="page__main">{main}</main>{self.footer}</body></html>\n'
        ).encode()

    def _card(self, a: Article) -> str:
        """A teaser card on a listing: an ``<article>`` element, as many CMSs write them."""
        return (
            f'<article class="card card--{a.section.slug}" lang="{a.lang}">'
            f'<a class="card__link" href="{a.path}"><h3 class="card__title">'
            f"{escape(a.headline)}</h3></a>"
            f'<p class="card__summary">{escape(a.summary)}</p>'
            f'<time class="card__time" datetime="{a.published.isoformat()}">'
            f"{a.published:%d.%m.%Y}</time></article>"
        )

    def _figure(self, a: Article) -> str:
        """The lead figure with caption and credit, or nothing."""
        if not a.image:
            return ""
        src, caption, credit = a.image
        return (
            '<figure class="story__lead-media"><picture>'
            f'<source srcset="{src}?w=1600 1600w" type="image/jpeg">'
            f'<img class="story__lead-image" src="{src}" width="1200" height="675" '
            f'alt="{escape(caption)}"></picture>'
            '<figcaption class="story__caption"><span class="story__caption-text">'
            f"{escape(caption)}</span> "
            f'<span class="story__credit">{escape(credit)}</span></figcaption></figure>'
        )

    def _body(self, a: Article) -> str:
        """Body paragraphs with an ad slot, a "read more" box and a video embed between them."""
        w = WORDS[a.lang]
        parts = [f"<p>{escape(p)}</p>" for p in a.paragraphs]
        parts.insert(
            2,
            '<div class="ad-slot ad-slot--mpu" data-slot="mpu-1"><span class="ad-slot__label">'
            f"{w['ad']}</span></div>",
        )
        if a.read_more is not None:
            parts.insert(
                5,
                (
                    '<aside class="inline-promo"><h3 class="inline-promo__label">'
                    f"{w['read_more']}</h3>"
                    f'<a class="inline-promo__link" href="{a.read_more.path}">'
                    f"{escape(a.read_more.headline)}</a></aside>"
                ),
            )
        videos = [m for m in self.site.media if m.kind == "video"]
        if videos and len(a.paragraphs) > 8:
            video = videos[a.post_id % len(videos)]
            parts.insert(
                8,
                (
                    f'<div class="embed embed--video" data-embed="video"><a href="{video.path}">'
                    f'<span class="embed__label">{w["watch"]}:</span> {escape(video.title)}</a>'
                    "</div>"
                ),
            )
        return f'<div class="story__body" data-component="text-block">{"".join(parts)}</div>'

    def article(self, a: Article) -> bytes:
        """An article page."""
        w, base, url = WORDS[a.lang], self.base, self.base + a.path
        names = [escape(t.name) for t in a.authors]
        joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {w['and']} {names[-1]}"
        for t, n in zip(a.authors, names, strict=True):
            joined = joined.replace(
                n, f'<a class="byline__author" rel="author" href="{t.path}">{n}</a>', 1
            )
        updated = ""
        if a.modified != a.published:
            updated = (
                f' <span class="story__updated">{w["updated"]} '
                f'<time datetime="{a.modified.isoformat()}">'
                f"{_visible_date(a.modified, a.lang)}</time></span>"
            )
        crumbs = _crumbs(a)
        crumb_html = "".join(
            f'<li class="crumbs__item"><a href="{p}">{escape(n)}</a></li>'
            if p
            else f'<li class="crumbs__item" aria-current="page">{escape(n)}</li>'
            for n, p in crumbs
        )
        head = (
            "".join(f'<meta property="article:tag" content="{escape(t.name)}">' for t in a.tags)
            + f'<meta property="article:published_time" content="{a.published.isoformat()}">'
        )
        alt_line = ""
        news: dict[str, Any] = {}
        if a.translation is not None:
            t = a.translation
            head += (
                f'<link rel="alternate" hreflang="{a.lang}" href="{url}">'
                f'<link rel="alternate" hreflang="{t.lang}" href="{base}{t.path}">'
            )
            alt_line = (
                f'<p class="story__translation">{w["also"]}: '
                f'<a href="{t.path}" hreflang="{t.lang}" lang="{t.lang}">{escape(t.headline)}</a>'
                "</p>"
            )
            news["alternativeHeadline"] = t.headline
            relation = "workTranslation" if a.lang == "en" else "translationOfWork"
            news[relation] = {"@id": base + t.path}
        if a.image:
            head += f'<meta property="og:image" content="{base}{a.image[0]}">'
            news["image"] = {
                "@type": "ImageObject",
                "url": base + a.image[0],
                "width": 1200,
                "height": 675,
                "caption": a.image[1],
                "creditText": a.image[2],
            }
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "@id": url + "#article",
            "mainEntityOfPage": url,
            "headline": a.headline,
            **news,
            "description": a.summary,
            "datePublished": a.published.isoformat(),
            "dateModified": a.modified.isoformat(),
            "author": [
                {"@type": "Person", "name": t.name, "url": base + t.path} for t in a.authors
            ],
            "publisher": {"@type": "NewsMediaOrganization", "name": SITE, "url": base + "/"},
            "articleSection": a.section.names[a.lang],
            "keywords": [t.name for t in a.tags],
            "inLanguage": a.lang,
            "isAccessibleForFree": True,
        }
        crumbs_ld = {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": i, "name": n, **({"item": base + p} if p else {})}
                for i, (n, p) in enumerate(crumbs, 1)
            ],
        }
        tags = "".join(
            f'<li class="tag-list__item"><a href="{t.path}" rel="tag">{escape(t.name)}</a></li>'
            for t in a.tags
        )
        related = "".join(
            f'<li class="teaser"><a class="teaser__link" href="{r.path}"><h3 class="teaser__title">'
            f"{escape(r.headline)}</h3></a>"
            f'<p class="teaser__excerpt">{escape(r.summary)}</p></li>'
            for r in a.related
        )
        share = f"https://www.facebook.com/sharer/sharer.php?u={url}"
        main = (
            '<nav class="crumbs" aria-label="Breadcrumb"><ol class="crumbs__list">'
            f"{crumb_html}</ol></nav>"
            f'<div class="story" data-story-id="{a.post_id}">'
            '<header class="story__header"><span class="story__kicker">'
            f"{escape(a.section.names[a.lang])}</span>"
            f'<h1 class="story__headline">{escape(a.headline)}</h1>{alt_line}'
            f'<div class="story__meta"><p class="byline">{w["by"]} {joined}</p>'
            f'<p class="story__dateline"><time datetime="{a.published.isoformat()}">'
            f"{_visible_date(a.published, a.lang)}</time>{updated}</p></div>"
            f"</header>{self._figure(a)}{self._body(a)}"
            f'<footer class="story__footer"><ul class="tag-list">{tags}</ul>'
            f'<div class="share-bar"><a class="share-bar__fb" href="{share}">Share</a></div>'
            "</footer></div>"
            '<section class="related-stories" aria-labelledby="related-h"><h2 id="related-h">'
            f"{w['related']}</h2>"
            f'<ul class="related-stories__list">{related}</ul></section>'
        )
        return self.page(
            a.path,
            a.headline,
            main,
            [ld, crumbs_ld],
            lang=a.lang,
            head=head,
            description=a.summary,
            og_type="article",
        )

    def listing(self, term: Section | Term, page: int, count: int) -> bytes:
        """Page ``page`` of ``count`` of a section, tag or author listing."""
        items = term.articles[(page - 1) * PER_PAGE : page * PER_PAGE]
        title = term.names["en"] if isinstance(term, Section) else term.name
        if page > 1:
            title += f" – page {page}"
        head, pager = "", ""
        if page > 1:
            head += f'<link rel="prev" href="{self.base}{term.page_path(page - 1)}">'
            pager += f'<a class="pager__prev" href="{term.page_path(page - 1)}">Newer</a>'
        if page < count:
            head += f'<link rel="next" href="{self.base}{term.page_path(page + 1)}">'
            following = term.page_path(page + 1)
            pager += f'<a class="pager__next" rel="next" href="{following}">Older stories</a>'
        if isinstance(term, Section):
            slug = term.slug
            head += (
                f'<link rel="alternate" type="application/rss+xml" title="{title}" '
                f'href="/feeds/{slug}.rss">'
            )
        kind = "ProfilePage" if getattr(term, "kind", "") == "authors" else "CollectionPage"
        ld = {
            "@context": "https://schema.org",
            "@type": kind,
            "name": title,
            "url": self.base + term.page_path(page),
            "mainEntity": {
                "@type": "ItemList",
                "itemListElement": [
                    {"@type": "ListItem", "position": i, "url": self.base + a.path}
                    for i, a in enumerate(items, 1)
                ],
            },
        }
        main = (
            f'<header class="listing__header"><h1 class="listing__title">{escape(title)}</h1>'
            "</header>"
            f'<div class="listing__grid">{"".join(self._card(a) for a in items)}</div>'
            f'<nav class="pager" aria-label="Pagination">{pager}</nav>'
        )
        return self.page(term.page_path(page), title, main, [ld], head=head)

    def home(self) -> bytes:
        """The home page: top stories, one rail per section, media rails; feeds announced."""
        site = self.site
        rails = "".join(
            f'<section class="rail rail--{s.slug}"><h2 class="rail__title"><a href="{s.path}">'
            f"{s.names['en']}</a></h2>"
            f"{''.join(self._card(a) for a in s.articles[:4])}</section>"
            for s in site.sections
        )
        media = "".join(
            f'<li class="media-rail__item media-rail__item--{m.kind}"><a href="{m.path}">'
            f"{escape(m.title)}</a></li>"
            for m in site.media[-8:]
        )
        head = (
            f'<link rel="alternate" type="application/atom+xml" title="{SITE}" '
            'href="/feeds/atom.xml"><link rel="alternate" type="application/rss+xml" '
            'title="World" href="/feeds/world.rss">'
        )
        ld = {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "name": SITE, "url": self.base + "/"},
                {
                    "@type": "NewsMediaOrganization",
                    "name": SITE,
                    "url": self.base + "/",
                    "logo": self.base + "/assets/logo.png",
                },
            ],
        }
        main = (
            '<section class="top-stories"><h2 class="visually-hidden">Top stories</h2>'
            f"{''.join(self._card(a) for a in site.newest_first[:12])}</section>{rails}"
            f'<section class="media-rail"><h2>Galleries and video</h2><ul>{media}</ul></section>'
        )
        return self.page("/", "News, analysis and opinion", main, [ld], head=head)

    def news_index(self) -> bytes:
        """``/news/``: the latest stories of the news sections, and links to them."""
        latest = [a for a in self.site.newest_first if a.section.is_news][:PER_PAGE]
        links = "".join(
            f'<li><a href="{s.path}">{s.names["en"]}</a></li>'
            for s in self.site.sections
            if s.is_news
        )
        ld = {"@context": "https://schema.org", "@type": "CollectionPage", "name": "News"}
        main = (
            f'<h1 class="listing__title">News</h1><ul class="subnav">{links}</ul>'
            f'<div class="listing__grid">{"".join(self._card(a) for a in latest)}</div>'
        )
        return self.page("/news/", "News", main, [ld])

    def media_page(self, m: Media) -> bytes:
        """A photo gallery (``ImageGallery``) or a video page (``VideoObject``)."""
        if m.kind == "galleries":
            figures = "".join(
                '<figure class="gallery__slide">'
                f'<img src="/media/galleries/{m.media_id}/{i}.jpg" alt="">'
                f"<figcaption>{escape(c)}</figcaption></figure>"
                for i, c in enumerate(m.captions, 1)
            )
            ld = {
                "@context": "https://schema.org",
                "@type": "ImageGallery",
                "name": m.title,
                "datePublished": m.published.isoformat(),
                "image": [
                    {
                        "@type": "ImageObject",
                        "contentUrl": f"{self.base}/media/galleries/{m.media_id}/{i}.jpg",
                        "caption": c,
                    }
                    for i, c in enumerate(m.captions, 1)
                ],
            }
            body = f'<div class="gallery">{figures}</div>'
        else:
            ld = {
                "@context": "https://schema.org",
                "@type": "VideoObject",
                "name": m.title,
                "description": m.captions[0],
                "uploadDate": m.published.isoformat(),
                "thumbnailUrl": f"{self.base}/media/video/{m.media_id}.jpg",
                "contentUrl": f"{self.base}/media/video/{m.media_id}.mp4",
                "duration": "PT2M14S",
            }
            body = (
                f'<div class="video-player"><video controls poster="/media/video/{m.media_id}.jpg">'
                f'<source src="/media/video/{m.media_id}.mp4" type="video/mp4"></video></div>'
                f'<p class="video__description">{escape(m.captions[0])}</p>'
            )
        main = f'<h1 class="media__title">{escape(m.title)}</h1>{body}'
        return self.page(
            m.path, m.title, main, [ld], og_type="video.other" if m.kind == "video" else "website"
        )

    def media_index(self, kind: str) -> bytes:
        """``/galleries/`` or ``/video/``: every media page of that kind."""
        items = "".join(
            f'<li><a href="{m.path}">{escape(m.title)}</a></li>'
            for m in self.site.media
            if m.kind == kind
        )
        title = "Galleries" if kind == "galleries" else "Video"
        ld = {"@context": "https://schema.org", "@type": "CollectionPage", "name": title}
        return self.page(
            f"/{kind}/", title, f"<h1>{title}</h1><ul class='media-list'>{items}</ul>", [ld]
        )

    def static(self, name: str) -> bytes:
        """``/about/`` or ``/imprint/``: a static page with some running text."""
        title = "About us" if name == "about" else "Imprint"
        text = (
            f"{SITE} is an independent newsroom founded in 2011. Our reporters cover politics, "
            "business, science, technology and sport from offices in Berlin, Lisbon and Tallinn. "
            "We correct errors openly and note every change to a story at its foot."
        )
        ld = {
            "@context": "https://schema.org",
            "@type": "AboutPage" if name == "about" else "WebPage",
            "name": title,
        }
        main = f'<div class="static-page"><h1>{title}</h1><p>{text}</p><p>{text}</p></div>'
        return self.page(f"/{name}/", title, main, [ld])

    def not_found(self) -> bytes:
        """The 404 page."""
        main = '<div class="error-page"><h1>Page not found</h1><p><a href="/">Home</a></p></div>'
        return self.page("/404", "Page not found", main, [])

    # --- feeds and sitemaps ---

    def atom(self) -> bytes:
        """Atom feed of the latest articles."""
        latest = self.site.newest_first[:FEED_SIZE]
        entries = "".join(
            f'<entry><title>{escape(a.headline)}</title><link href="{self.base}{a.path}"/>'
            f"<id>{self.base}{a.path}</id><published>{a.published.isoformat()}</published>"
            f"<updated>{a.modified.isoformat()}</updated><summary>{escape(a.summary)}</summary>"
            + "".join(f"<author><name>{escape(t.name)}</name></author>" for t in a.authors)
            + "</entry>"
            for a in latest
        )
        updated = max((a.modified for a in latest), default=START).isoformat()
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>{SITE}</title><link rel="self" href="{self.base}/feeds/atom.xml"/>'
            f'<link href="{self.base}/"/><id>{self.base}/</id><updated>{updated}</updated>'
            f"{entries}</feed>\n"
        ).encode()

    def rss(self, section: Section) -> bytes:
        """RSS 2.0 feed of one section's latest articles."""
        items = "".join(
            f"<item><title>{escape(a.headline)}</title><link>{self.base}{a.path}</link>"
            f'<guid isPermaLink="true">{self.base}{a.path}</guid>'
            f"<pubDate>{format_datetime(a.published)}</pubDate><description>"
            f"{escape(a.summary)}</description></item>"
            for a in section.articles[:FEED_SIZE]
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{section.names['en']} | {SITE}</title><link>{self.base}{section.path}</link>"
            f"<description>{section.names['en']}</description>{items}</channel></rss>\n"
        ).encode()

    def sitemaps(self) -> dict[str, bytes]:
        """Every sitemap by path: the index, news sitemaps per language, monthly, pages."""
        site, base = self.site, self.base
        out: dict[str, bytes] = {}
        urlset = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        newest = site.articles[-1].published
        recent = [a for a in site.newest_first if newest - a.published <= timedelta(days=2)][:1000]
        for lang in ("en", "de"):
            entries = "".join(
                f"<url><loc>{base}{a.path}</loc><news:news><news:publication><news:name>"
                f"{SITE}</news:name>"
                f"<news:language>{lang}</news:language></news:publication>"
                f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
                f"<news:title>{escape(a.headline)}</news:title></news:news></url>"
                for a in recent
                if a.lang == lang
            )
            news_ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
            out[f"/sitemaps/news-{lang}.xml"] = f"{urlset}{news_ns}>{entries}</urlset>\n".encode()
        months: dict[str, list[Article]] = {}
        for a in site.articles:
            months.setdefault(MONTHLY.format(a.published), []).append(a)
        for path, items in months.items():
            entries = "".join(
                f"<url><loc>{base}{a.path}</loc><lastmod>{a.modified.isoformat()}</lastmod></url>"
                for a in items
            )
            out[path] = f"{urlset}>{entries}</urlset>\n".encode()
        pages = [
            p["url"]
            for p in site.non_articles(base)
            if "?" not in p["url"] and "/page/" not in p["url"]
        ]
        entries = "".join(f"<url><loc>{escape(u)}</loc></url>" for u in pages)
        out["/sitemaps/pages.xml"] = f"{urlset}>{entries}</urlset>\n".encode()
        index = "".join(
            f"<sitemap><loc>{base}{path}</loc>"
            + (
                f"<lastmod>{max(a.modified for a in months[path]).isoformat()}</lastmod>"
                if path in months
                else ""
            )
            + "</sitemap>"
            for path in out
        )
        out["/sitemaps/index.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{index}</sitemapindex>\n"
        ).encode()
        return out


# --- routes and server ---------------------------------------------------------------


def build_routes(
    site: Newsroom, base_url: str, *, compress: bool = False
) -> tuple[dict[bytes, Any], Any]:
    """Render every page of ``site`` for ``base_url``; return routes and the 404 page.

    Keys are request targets as bytes: the path, plus the query for ``?page=n`` listings.
    """
    r = Renderer(site, base_url)
    routes: dict[bytes, Any] = {}

    def add(path: str, body: bytes, content_type: str = portal.HTML) -> None:
        routes[path.encode()] = make_resource(200, body, content_type, compress=compress)

    add("/", r.home())
    add("/news/", r.news_index())
    for a in site.articles:
        add(a.path, r.article(a))
    for term, count in site.listings():
        for number in range(1, count + 1):
            add(term.page_path(number), r.listing(term, number, count))
        first = f"{r.base}{term.path}"
        paged = f"{term.path}page/1/" if getattr(term, "is_news", False) else f"{term.path}?page=1"
        routes[paged.encode()] = redirect(first)
    for kind in ("galleries", "video"):
        add(f"/{kind}/", r.media_index(kind))
    for m in site.media:
        add(m.path, r.media_page(m))
    for name in ("about", "imprint"):
        add(f"/{name}/", r.static(name))
    add("/feeds/atom.xml", r.atom(), "application/atom+xml; charset=utf-8")
    for s in site.sections:
        add(f"/feeds/{s.slug}.rss", r.rss(s), "application/rss+xml; charset=utf-8")
    for path, body in r.sitemaps().items():
        add(path, body, "application/xml; charset=utf-8")
    sitemap = f"Sitemap: {r.base}/sitemaps/index.xml\n"
    robots = f"User-agent: *\nDisallow: /search\nDisallow: /api/\n\n{sitemap}"
    add("/robots.txt", robots.encode(), "text/plain; charset=utf-8")
    return routes, make_resource(404, r.not_found(), compress=compress)


class NewsroomApp(portal.PortalApp):  # type: ignore[name-defined,misc]
    """bench/portal.py's app, routing on path and query, and remembering 404 targets."""

    def __init__(
        self, site: Newsroom, routes: dict[bytes, Any], not_found: Any, base_url: str
    ) -> None:
        """Serve ``routes`` for ``site`` at ``base_url``."""
        super().__init__(site, routes, not_found, base_url)
        self.missing: Counter[str] = Counter()
        self.foreign: Counter[str] = Counter()

    def resolve(self, target: bytes) -> Any:
        """Return the resource for ``target``: the exact target (path and query) first.

        A listing page that does not exist (``?page=99``) is a 404; any other query is
        ignored as bench/portal.py does. 404 paths and foreign hosts are counted.
        """
        if not target.startswith(b"/"):
            authority, _, rest = target.partition(b"://")[2].partition(b"/")
            if authority != self.base.partition("://")[2].encode():
                self.foreign[authority.decode("latin-1")] += 1
            target = b"/" + rest
        resource = self.routes.get(target)
        if resource is None:
            query = target.partition(b"?")[2]
            paged = any(pair.startswith(b"page=") for pair in query.split(b"&"))
            resource = self.not_found if paged else super().resolve(target)
        key = target.decode("latin-1")
        if resource.status == 404 and (key in self.missing or len(self.missing) < 1000):
            self.missing[key] += 1
        return resource

    def stats_json(self) -> bytes:
        """The counters of bench/portal.py, plus 404 paths and foreign hosts asked for."""
        stats = json.loads(super().stats_json())
        stats["not_found"] = dict(self.missing.most_common(100))
        stats["foreign_hosts"] = dict(self.foreign)
        return json.dumps(stats).encode()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the generated portal on 127.0.0.1 until SIGTERM/SIGINT; print READY first."""
    parser = argparse.ArgumentParser(
        description="Serve a generated modern news portal (JSON-LD, news sitemaps) on 127.0.0.1."
    )
    parser.add_argument("--articles", type=int, default=2000, help="articles to generate")
    parser.add_argument("--seed", type=int, default=1, help="generation seed")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument("--gzip", action="store_true", help="honour Accept-Encoding: gzip")
    parser.add_argument("--truth", type=Path, help="write the expected records here (JSON Lines)")
    parser.add_argument(
        "--non-articles", type=Path, help="write the non-article pages here (JSON Lines)"
    )
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be at least 1")
    sock = portal.bind("127.0.0.1", args.port)
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    started = time.perf_counter()
    site = generate_newsroom(args.articles, args.seed)
    routes, not_found = build_routes(site, base_url, compress=args.gzip)
    for path, rows in (
        (args.truth, site.truth(base_url)),
        (args.non_articles, site.non_articles(base_url)),
    ):
        if path is not None:
            lines = (json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
            path.write_text("".join(lines), encoding="utf-8")
    app = NewsroomApp(site, routes, not_found, base_url)
    print(
        f"newsroom: {len(site.articles)} articles, {len(routes)} routes, "
        f"rendered in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    portal.serve_until_signalled(sock, app, base_url, compress=args.gzip)
    print(f"newsroom: stopped; {app.stats_json().decode()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
