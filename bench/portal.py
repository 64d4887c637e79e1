"""A generated Sahifa-like WordPress news portal, served from memory on 127.0.0.1.

Benchmarks crawl it to compare newscrawl with a bare Scrapy spider, so the server has
to be far faster than any crawler: every page is rendered into memory at start-up
(deterministically from ``--seed``) and answered by a small asyncio HTTP/1.1 server
(keep-alive, pipelining, HEAD, optional gzip) running in its own process on one core.

The portal imitates a TieLabs "Sahifa" site such as jmn.info (see
``fixtures/jmn/README.md``): a home page with one block per category; category,
tag and author archives paginated 20 posts a page (``/category/<slug>/page/<n>/``);
``/robots.txt``; a Yoast-style ``/sitemap_index.xml`` with ``/post-sitemap.xml``,
``/post-sitemap2.xml``, ... (at most 1000 URLs each, with ``<lastmod>``); RSS at
``/feed/`` (latest 50) and ``/category/<slug>/feed/``; and one article page per post at
``/<yyyy>/<mm>/<slug>-<id>/`` with crumbs, ``article#the-post``, an optional Russian
alternate headline as the first ``<h2>`` of ``div.entry``, a credit line, tags, related
posts and a "Check Also" box. ``/?p=<id>`` redirects to the post like WordPress does.
``/__stats__`` (linked from nowhere) returns request counters as JSON.

Usage::

    python bench/portal.py --articles 10000 --port 0      # prints READY http://127.0.0.1:<port>
    python bench/portal.py --articles 10000 --selftest    # measures requests/s against itself
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, formatdate
from functools import cached_property
from html import escape
from pathlib import Path
from urllib.parse import quote_plus

__all__ = [
    "LoadResult",
    "Portal",
    "Post",
    "Resource",
    "Term",
    "build_routes",
    "generate_portal",
    "run_load",
    "serve",
]

SITE_NAME = "JMN News"
SITE_TAGLINE = "News of Russia and the world"
TZ = timezone(timedelta(hours=3))
"""The portal's clock (Moscow time), used in every date it prints."""
START = datetime(2016, 1, 11, 8, 0, tzinfo=TZ)
"""Publication time of the oldest generated post."""
PER_PAGE = 20
"""Posts per archive page, as in WordPress's default "Blog pages show at most"."""
SITEMAP_SIZE = 1000
"""URLs per post sitemap, as in Yoast SEO."""
FEED_SIZE = 50
"""Items in the main RSS feed."""
CATEGORY_FEED_SIZE = 10
"""Items in each category's RSS feed."""
MAX_REQUEST_HEAD = 64 * 1024
"""Longest request head (request line plus headers) the server accepts."""

CATEGORIES = (
    ("policy", "Policy"),
    ("economy", "Economy"),
    ("society", "Society"),
    ("incidents", "Incidents"),
    ("sport", "Sport"),
    ("culture", "Culture"),
)
AUTHORS = (
    ("anna-petrova", "Anna Petrova"),
    ("ivan-sokolov", "Ivan Sokolov"),
    ("editor", "Editor"),
    ("maria-orlova", "Maria Orlova"),
    ("dmitry-belov", "Dmitry Belov"),
)
TAGS = (
    "Russia", "USA", "Syria", "Ukraine", "Vladimir Putin", "Sergei Lavrov", "economy",
    "ruble", "sanctions", "Moscow", "oil", "football", "Olympics", "elections", "Crimea",
    "terrorism", "EU", "NATO", "China", "Turkey", "gas", "banks", "budget", "health",
    "education", "weather", "accident", "court", "police", "culture", "cinema", "Donbass",
    "Kiev", "Washington", "Germany",
)  # fmt: skip

FEMININE_PAST = "\u0430"
"""Ending (Cyrillic "a") that makes a Russian past-tense verb feminine: "заявил" -> "заявила"."""

# --- vocabulary for headlines: (English, Russian, Russian is feminine) ----------------
HEADLINE_ACTORS = (
    ("Lavrov", "Лавров", False), ("Putin", "Путин", False), ("Medvedev", "Медведев", False),
    ("Peskov", "Песков", False), ("Zakharova", "Захарова", True), ("Shoigu", "Шойгу", False),
    ("Sobyanin", "Собянин", False), ("Nabiullina", "Набиуллина", True),
    ("Siluanov", "Силуанов", False), ("Kerry", "Керри", False), ("Obama", "Обама", False),
    ("Merkel", "Меркель", True), ("Erdogan", "Эрдоган", False),
    ("Poroshenko", "Порошенко", False), ("Matviyenko", "Матвиенко", True),
    ("Kudrin", "Кудрин", False), ("Volodin", "Володин", False), ("Rogozin", "Рогозин", False),
    ("The Ministry of Finance", "Минфин", False), ("The Central Bank", "Центробанк", False),
    ("The State Duma", "Госдума", True), ("The Kremlin", "Кремль", False),
    ("The Pentagon", "Пентагон", False), ("The European Union", "Евросоюз", False),
)  # fmt: skip
HEADLINE_VERBS = (
    ("commented on", "прокомментировал"), ("criticized", "раскритиковал"),
    ("assessed", "оценил"), ("discussed", "обсудил"), ("predicted", "спрогнозировал"),
    ("supported", "поддержал"), ("called into question", "поставил под сомнение"),
    ("announced", "анонсировал"), ("explained", "объяснил"),
)  # fmt: skip
HEADLINE_TOPICS = (
    ("the results of Russian-American negotiations", "итоги российско-американских переговоров"),
    ("the situation in Syria", "ситуацию в Сирии"),
    ("the exchange rate of the ruble", "курс рубля"),
    ("the sanctions against Russia", "санкции против России"),
    ("the new budget", "новый бюджет"),
    ("the pension reform", "пенсионную реформу"),
    ("the elections to the State Duma", "выборы в Госдуму"),
    ("the statement of the Pentagon", "заявление Пентагона"),
    ("the prices of gasoline", "цены на бензин"),
    ("the decision of the Olympic Committee", "решение Олимпийского комитета"),
    ("the construction of the Crimean bridge", "строительство Крымского моста"),
    ("the proposal of Kiev", "предложение Киева"),
    ("the work of the Central Bank", "работу Центробанка"),
    ("the doping scandal", "допинговый скандал"),
    ("the forecast of oil prices", "прогноз цен на нефть"),
    ("the Minsk agreements", "Минские соглашения"),
    ("the import substitution program", "программу импортозамещения"),
    ("the visit of the US Secretary of state", "визит госсекретаря США"),
    ("the new rules for holding rallies", "новые правила проведения митингов"),
    ("the results of the year", "итоги года"),
)
HEADLINE_PLACES = (
    ("In Moscow", "Москва"), ("In St. Petersburg", "Петербург"), ("In the Crimea", "Крым"),
    ("In Kazan", "Казань"), ("In Yekaterinburg", "Екатеринбург"),
    ("In Novosibirsk", "Новосибирск"), ("In Sochi", "Сочи"),
)  # fmt: skip
HEADLINE_EVENTS = (
    ("a fire broke out in a shopping center", "пожар в торговом центре"),
    ("a bus and a truck collided", "столкновение автобуса и грузовика"),
    ("a new metro station was opened", "открыта новая станция метро"),
    ("the police detained a gang of fraudsters", "полиция задержала банду мошенников"),
    ("a record snowfall was recorded", "зафиксирован рекордный снегопад"),
    ("the festival of street art started", "стартовал фестиваль уличного искусства"),
    ("the prices for housing fell", "подешевело жилье"),
    ("the court arrested the former mayor", "суд арестовал бывшего мэра"),
)

# --- vocabulary for body text, in the portal's machine-translated English -------------
SUBJECTS = (
    "the parties", "Moscow and Washington", "the Russian side", "the government",
    "the Ministry of Finance", "the Central Bank", "the regional authorities",
    "local residents", "law enforcement officers", "the deputies of the State Duma",
    "the European Union", "the American side", "the organizers", "experts",
    "the head of the Department", "the investigators", "the company's management",
    "the Kremlin", "NATO countries", "the Syrian opposition",
    "the Ministry of emergency situations",
    "the city administration", "representatives of the business", "the Federation Council",
)  # fmt: skip
PREDICATES = (
    "agreed to continue", "intend to discuss", "will strengthen", "have already begun to prepare",
    "do not exclude", "urge to intensify", "plan to complete", "refused to comment on",
    "called for", "expect to receive", "are going to revise", "announced", "postponed",
    "supported", "criticized", "noted the importance of", "spoke in favor of", "will achieve",
    "insist on", "are ready to finance", "will check",
)  # fmt: skip
OBJECTS = (
    "the exchange of prisoners", "coordination of actions", "the ceasefire regime in Syria",
    "a new package of sanctions", "the construction of the bridge",
    "the reform of the pension system", "the budget for the next year",
    "the investigation of the incident", "the implementation of the Minsk agreements",
    "the price of oil", "the exchange rate of the ruble", "the project of the new stadium",
    "negotiations on the gas transit", "the draft law", "the repair of roads",
    "the modernization of the army", "the preparation for the elections",
    "the development of tourism", "the fight against terrorism", "the situation in the region",
    "the support of small business", "the indexation of pensions", "the security measures",
)  # fmt: skip
PLACES = (
    " in Moscow", " in Syria", " in the Crimea", " in St. Petersburg", " in the Donbass",
    " in Washington", " in Brussels", " in the Far East", " in the capital",
    " on the territory of the country", " in the region", " in Geneva",
)  # fmt: skip
TIMES = (
    " in the near future", " until the end of the year", " next week", " in 2017",
    " in the coming months", " this year", " on Monday", " on Wednesday", " on Friday",
)  # fmt: skip
CONNECTORS = (
    "Thus", "In addition", "However", "Also", "Meanwhile", "At the same time", "Besides",
    "As noted", "Recall", "Moreover", "In turn", "Earlier",
)  # fmt: skip
SOURCES = (
    "the Minister", "the press service of the Kremlin", "the representative of the Ministry",
    "a source in the government", "preliminary data", "the statistics of Rosstat",
    "the information of RIA Novosti", "the experts of the Higher school of Economics",
    "eyewitnesses", "the official representative of the foreign Ministry Maria Zakharova",
)  # fmt: skip
SPEAKERS = (
    "The Russian foreign Minister Sergei Lavrov", "The press Secretary of the President",
    "The head of the Ministry of economic development", "The Mayor of Moscow",
    "U.S. Secretary of state John Kerry", "The Chairman of the Central Bank",
    "The head of the Russian Ministry of defense", "The speaker of the State Duma",
    "The Prime Minister", "The head of the region", "The Deputy Prime Minister",
)  # fmt: skip
SAID = (
    "said", "noted", "stressed", "stated", "explained", "recalled", "added", "assured",
    "emphasized", "announced",
)  # fmt: skip
ATTRIBUTIONS = (
    "the press service of the Ministry reported", "writes RBC", "reports TASS",
    "according to Interfax", "the Agency's source said", "follows from the document",
)  # fmt: skip
COUNTED = (
    ("people took part in the event", 20, 5000), ("cars were damaged", 2, 40),
    ("million rubles will be allocated for the project", 5, 900),
    ("percent of respondents supported the initiative", 11, 89),
    ("flights were delayed", 3, 60), ("new jobs will be created", 50, 3000),
)  # fmt: skip
PHOTOGRAPHERS = (
    "Sergei Guneyev", "Alexei Druzhinin", "Mikhail Klimentyev", "Ekaterina Shtukina",
    "Vladimir Fedorenko", "Ramil Sitdikov", "Maxim Blinov", "Alexander Vilf",
    "Dmitry Astakhov", "Kirill Kallinikov",
)  # fmt: skip
AGENCIES = (
    "RIA Novosti", "TASS", "Reuters", "AP", "AFP", "Global Look Press", "Kommersant", "EPA",
)  # fmt: skip
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


# --- the data ------------------------------------------------------------------------


def slugify(text: str) -> str:
    """Return a WordPress-like slug of ASCII ``text``.

    >>> slugify("Lavrov said what Putin agreed with Kerry!")
    'lavrov-said-what-putin-agreed-with-kerry'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(eq=False)
class Term:
    """A category, tag or author: something with an archive of posts."""

    kind: str
    """``category``, ``tag`` or ``author``: also the first segment of its archive path."""
    slug: str
    """URL slug."""
    name: str
    """Display name."""
    term_id: int
    """WordPress term or user id."""
    posts: list[Post] = field(default_factory=list, repr=False)
    """Posts in this archive, newest first."""

    @property
    def path(self) -> str:
        """The archive's first page, e.g. ``/category/policy/``."""
        return f"/{self.kind}/{self.slug}/"

    def page_path(self, page: int) -> str:
        """The path of archive page ``page`` (1-based)."""
        return self.path if page == 1 else f"{self.path}page/{page}/"

    @property
    def pages(self) -> int:
        """How many archive pages there are (at least one)."""
        return max(1, -(-len(self.posts) // PER_PAGE))


@dataclass(eq=False)
class Post:
    """One generated article."""

    post_id: int
    """WordPress post id (increasing with time, with gaps)."""
    title: str
    """English headline."""
    alt_title: str | None
    """Russian original headline shown as the first ``<h2>`` of the entry, or None."""
    slug: str
    """URL slug, ending in ``-<post_id>``."""
    published: datetime
    """Publication time (Moscow time)."""
    modified: datetime
    """Last modification time, >= published."""
    category: Term
    """The one category of the post."""
    author: Term
    """The author."""
    tags: tuple[Term, ...]
    """Two to five tags."""
    paragraphs: tuple[str, ...]
    """6-15 body paragraphs."""
    credit: str | None
    """``Photo: Name/Agency`` shown as the last paragraph, or None."""
    image: str | None
    """Featured image path (under /wp-content/uploads/), or None."""
    views: int
    """View counter shown in the post meta."""
    comments: int
    """Comment counter shown in the post meta."""

    @cached_property
    def path(self) -> str:
        """The permalink path ``/<yyyy>/<mm>/<slug>/``."""
        return f"/{self.published.year}/{self.published.month:02d}/{self.slug}/"

    @cached_property
    def title_html(self) -> str:
        """The headline, HTML-escaped."""
        return escape(self.title)

    @cached_property
    def excerpt_html(self) -> str:
        """The excerpt, HTML-escaped."""
        return escape(self.excerpt)

    @cached_property
    def excerpt(self) -> str:
        """The first ~30 words of the text, cut with an ellipsis like WordPress."""
        words = " ".join(self.paragraphs[:2]).split()
        return " ".join(words[:30]) + " …" if len(words) > 30 else " ".join(words)


@dataclass
class Portal:
    """The whole generated site: posts oldest first, and the archives that list them."""

    posts: list[Post]
    categories: list[Term]
    tags: list[Term]
    authors: list[Term]
    seed: int

    @property
    def newest_first(self) -> list[Post]:
        """All posts, newest first."""
        return self.posts[::-1]

    @property
    def archives(self) -> list[Term]:
        """Every archive: categories, then tags, then authors."""
        return [*self.categories, *self.tags, *self.authors]

    def related(self, post: Post, count: int, salt: int) -> list[Post]:
        """Return ``count`` other posts of the same category, chosen deterministically."""
        pool = post.category.posts
        if len(pool) <= 1:
            return []
        rng = random.Random(post.post_id * 7919 + salt)
        picked: list[Post] = []
        for _ in range(count * 4):
            other = pool[rng.randrange(len(pool))]
            if other is not post and other not in picked:
                picked.append(other)
            if len(picked) == count:
                break
        return picked


class _Writer:
    """Generates headlines and paragraphs from one seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        """Use ``rng`` for every choice."""
        self.rng = rng
        self.pick = rng.choice

    def headline(self) -> tuple[str, str]:
        """Return an English headline and the Russian original it translates."""
        pick = self.pick
        if self.rng.random() < 0.2:
            place, event = pick(HEADLINE_PLACES), pick(HEADLINE_EVENTS)
            return f"{place[0]} {event[0]}", f"{place[1]}: {event[1]}"
        actor, verb, topic = pick(HEADLINE_ACTORS), pick(HEADLINE_VERBS), pick(HEADLINE_TOPICS)
        first, _, rest = verb[1].partition(" ")  # "поставил под сомнение": inflect the verb
        if actor[2]:
            first += FEMININE_PAST
        ru_verb = f"{first} {rest}".rstrip()
        return f"{actor[0]} {verb[0]} {topic[0]}", f"{actor[1]} {ru_verb} {topic[1]}"

    def clause(self) -> str:
        """Return one clause: who does what, maybe where and when."""
        rng, pick = self.rng, self.pick
        text = f"{pick(SUBJECTS)} {pick(PREDICATES)} {pick(OBJECTS)}"
        if rng.random() < 0.4:
            text += pick(PLACES)
        if rng.random() < 0.3:
            text += pick(TIMES)
        return text

    def sentence(self) -> str:
        """Return one sentence in the portal's machine-translated style."""
        rng, pick = self.rng, self.pick
        form = rng.random()
        if form < 0.22:
            text = f"{pick(SPEAKERS)} {pick(SAID)} that {self.clause()}."
        elif form < 0.36:
            text = f"According to {pick(SOURCES)}, {self.clause()}."
        elif form < 0.6:
            text = f"{pick(CONNECTORS)}, {self.clause()}."
        elif form < 0.72:
            text = f"{pick(SPEAKERS)} {pick(SAID)} that {self.clause()}, {pick(ATTRIBUTIONS)}."
        elif form < 0.8:
            what, low, high = pick(COUNTED)
            text = f"About {rng.randint(low, high)} {what}."
        elif form < 0.86:
            text = f"Earlier it was reported that {self.clause()}."
        else:
            clause = self.clause()
            text = clause[0].upper() + clause[1:] + "."
        return text[0].upper() + text[1:]

    def paragraph(self) -> str:
        """Return a paragraph of one to four sentences."""
        count = self.rng.choices((1, 2, 3, 4), weights=(3, 4, 2, 1))[0]
        return " ".join(self.sentence() for _ in range(count))


def generate_portal(articles: int, seed: int = 1) -> Portal:
    """Generate ``articles`` posts and their archives; equal arguments give equal portals."""
    if articles < 1:
        raise ValueError("articles must be >= 1")
    rng = random.Random(seed)
    writer = _Writer(rng)
    categories = [Term("category", slug, name, 2 + i) for i, (slug, name) in enumerate(CATEGORIES)]
    tags = [Term("tag", slugify(name), name, 20 + i) for i, name in enumerate(TAGS)]
    authors = [Term("author", slug, name, 1 + i) for i, (slug, name) in enumerate(AUTHORS)]
    posts: list[Post] = []
    when = START
    post_id = 100
    for _ in range(articles):
        when += timedelta(minutes=rng.randint(20, 150), seconds=rng.randint(0, 59))
        post_id += rng.randint(1, 4)
        title, alt = writer.headline()
        slug = "-".join(slugify(title).split("-")[:8]) + f"-{post_id}"
        modified = when + timedelta(minutes=rng.randint(1, 240)) if rng.random() < 0.3 else when
        credit = None
        if rng.random() < 0.85:
            credit = f"Photo: {rng.choice(PHOTOGRAPHERS)}/{rng.choice(AGENCIES)}"
        image = None
        if rng.random() < 0.7:
            image = f"/wp-content/uploads/{when:%Y/%m}/{slug[:40].rstrip('-')}.jpg"
        post = Post(
            post_id=post_id,
            title=title,
            alt_title=alt if rng.random() < 0.75 else None,
            slug=slug,
            published=when,
            modified=modified,
            category=categories[rng.randrange(len(categories))],
            author=authors[rng.randrange(len(authors))],
            tags=tuple(rng.sample(tags, rng.randint(2, 5))),
            paragraphs=tuple(writer.paragraph() for _ in range(rng.randint(6, 15))),
            credit=credit,
            image=image,
            views=rng.randint(10, 25_000),
            comments=rng.choice((0, 0, 0, 1, 2, 5)),
        )
        posts.append(post)
    for post in reversed(posts):
        post.category.posts.append(post)
        post.author.posts.append(post)
        for tag in post.tags:
            tag.posts.append(post)
    return Portal(posts, categories, [t for t in tags if t.posts], authors, seed)


# --- HTML ----------------------------------------------------------------------------


def _long_date(when: datetime) -> str:
    """Return a date as the theme prints it: ``March 24, 2016``."""
    return f"{MONTHS[when.month - 1]} {when.day}, {when.year}"


def _w3c(when: datetime) -> str:
    """Return an ISO 8601 timestamp with offset: ``2016-03-24T18:20:11+03:00``."""
    return when.isoformat(timespec="seconds")


def _rfc822(when: datetime) -> str:
    """Return a date as WordPress feeds print it: ``Thu, 24 Mar 2016 15:20:11 +0000``."""
    return format_datetime(when.astimezone(UTC), usegmt=True).replace("GMT", "+0000")


def _filler_css(rng: random.Random) -> str:
    """Return theme-options CSS of the kind Sahifa inlines in every page head."""
    selectors = (
        "#main-nav", ".top-nav", "#theme-header", ".breaking-news", ".post-listing",
        "#sidebar .widget", ".footer-widget-top", ".cat-box-title", ".page-link",
        ".post-inner .entry", "#crumbs", ".share-post", ".related-item", "#check-also-box",
        ".widget-top h4", ".post-tag a", ".pagination span.current", "#footer-widget-area",
    )  # fmt: skip
    props = (
        "background-color:#{:06x}", "color:#{:06x}", "border-color:#{:06x}",
        "border-bottom:3px solid #{:06x}", "box-shadow:0 0 3px #{:06x}",
    )  # fmt: skip
    rules = []
    for selector in selectors:
        declarations = ";".join(
            rng.choice(props).format(rng.randrange(0x1000000)) for _ in range(3)
        )
        rules.append(f"{selector}{{{declarations}}}")
    return "\n".join(rules)


class Renderer:
    """Renders every page of a :class:`Portal` for one origin (``http://127.0.0.1:<port>``).

    Pages are tuples of byte chunks: the parts all pages share (header, sidebar,
    footer, scripts) are the same bytes objects, so 10,000 pages of ~30 KB each take
    only ~10 KB of memory apiece.
    """

    def __init__(self, portal: Portal, base_url: str) -> None:
        """Prepare the shared page parts for ``portal`` served at ``base_url``."""
        self.portal = portal
        self.base = base_url.rstrip("/")
        rng = random.Random(portal.seed * 31 + 5)
        latest = portal.newest_first[:10]
        self.head_tail = self._head_tail(rng).encode()
        self.header = self._header(latest[:5]).encode()
        self.sidebar_footer = self._sidebar_footer(latest, rng).encode()
        self._category_index = {
            post.post_id: i
            for category in portal.categories
            for i, post in enumerate(category.posts)
        }

    # shared parts --------------------------------------------------------------------

    def _head_tail(self, rng: random.Random) -> str:
        """The end of every ``<head>``: styles, fonts, theme options, scripts."""
        base = self.base
        sheets = "\n".join(
            f"<link rel='stylesheet' id='{name}-css' href='{base}/wp-content/{path}?ver=4.5.3'"
            " type='text/css' media='all' />"
            for name, path in (
                ("tie-style", "themes/sahifa/style.css"),
                ("tie-ilightbox-skin", "themes/sahifa/css/ilightbox/dark-skin/skin.css"),
                ("Droid+Sans-css", "themes/sahifa/css/fonts/droid-sans.css"),
                ("contact-form-7", "plugins/contact-form-7/includes/css/styles.css"),
                ("wp-polls", "plugins/wp-polls/polls-css.css"),
            )
        )
        scripts = "\n".join(
            f"<script type='text/javascript' src='{base}/wp-includes/js/{name}'></script>"
            for name in ("jquery/jquery.js?ver=1.12.4", "jquery/jquery-migrate.min.js?ver=1.4.1")
        )
        settings = json.dumps(
            {
                "baseUrl": base,
                "ajaxurl": f"{base}/wp-admin/admin-ajax.php",
                "go_to": "Go to...",
                "is_singular": "1",
                "reading_indicator": "",
                "lang_no_results": "No Results",
                "lang_results_found": "Results Found",
            }
        ).replace("/", "\\/")
        return f"""<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; Feed"
href="{base}/feed/" />
<link rel='dns-prefetch' href='//fonts.googleapis.com' />
{sheets}
<script type='text/javascript'>
/* <![CDATA[ */
var tie = {settings};
/* ]]> */
</script>
{scripts}
<link rel='https://api.w.org/' href='{base}/wp-json/' />
<link rel="EditURI" type="application/rsd+xml" title="RSD" href="{base}/xmlrpc.php?rsd" />
<meta name="generator" content="WordPress 4.5.3" />
<link rel="shortcut icon" href="{base}/wp-content/uploads/2016/01/favicon.png" title="Favicon" />
<!--[if IE]>
<script type="text/javascript">jQuery(document).ready(function (){{
  jQuery(".menu-item").has("ul").children("a").attr("aria-haspopup", "true");
}});</script>
<![endif]-->
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<style type="text/css" media="screen">
body{{font-family:'Droid Sans',Arial,Verdana,sans-serif;background:#f5f5f5}}
{_filler_css(rng)}
</style>
<script type="text/javascript">
(function (w, d) {{
  var queue = w.tieQueue = w.tieQueue || [];
  function ready(fn) {{
    if (d.readyState !== "loading") {{ fn(); }}
    else {{ d.addEventListener("DOMContentLoaded", fn); }}
  }}
  function lazy(img) {{
    var src = img.getAttribute("data-src");
    if (src) {{ img.src = src; img.removeAttribute("data-src"); }}
  }}
  ready(function () {{
    var imgs = d.querySelectorAll("img[data-src]");
    for (var i = 0; i < imgs.length; i++) {{ lazy(imgs[i]); }}
    while (queue.length) {{ queue.shift()(); }}
  }});
}})(window, document);
</script>
"""

    def _header(self, ticker: Sequence[Post]) -> str:
        """The page top: top menu, logo, main menu (linking all categories), news ticker."""
        base = self.base
        menu = "\n".join(
            f'<li id="menu-item-{c.term_id + 30}" class="menu-item menu-item-type-taxonomy '
            f'menu-item-object-category menu-item-{c.term_id + 30}"><a href="{base}{c.path}">'
            f"{escape(c.name)}</a></li>"
            for c in self.portal.categories
        )
        ticker_items = "\n".join(
            f'<li><a href="{base}{p.path}" title="{p.title_html}">{p.title_html}</a></li>'
            for p in ticker
        )
        return f"""<div class="wrapper-outer">
<div class="background-cover"></div>
<aside id="slide-out">
<div class="search-mobile"><form method="get" id="searchform-mobile" action="{base}/">
<button class="search-button" type="submit" value="Search"><i class="fa fa-search"></i></button>
<input type="text" id="s-mobile" name="s" title="Search" value="Search" /></form></div>
<div class="social-icons"><a class="ttip-none" title="Rss" href="{base}/feed/" target="_blank">
<i class="fa fa-rss"></i></a></div>
<div id="mobile-menu"></div>
</aside>
<div id="wrapper" class="wide-layout">
<div class="inner-wrapper">
<header id="theme-header" class="theme-header">
<div id="top-nav" class="top-nav">
<div class="container">
<span class="today-date">{_long_date(ticker[0].published) if ticker else ""}</span>
<div class="search-block"><form method="get" id="searchform-header" action="{base}/">
<button class="search-button" type="submit" value="Search"><i class="fa fa-search"></i></button>
<input class="search-live" type="text" id="s-header" name="s" title="Search" value="Search" />
</form></div>
<div class="social-icons"><a class="ttip-none" title="Rss" href="{base}/feed/" target="_blank">
<i class="fa fa-rss"></i></a>
<a class="ttip-none" title="Facebook" href="https://www.facebook.com/jmn.info" target="_blank">
<i class="fa fa-facebook"></i></a>
<a class="ttip-none" title="Twitter" href="https://twitter.com/jmn_info" target="_blank">
<i class="fa fa-twitter"></i></a></div>
</div>
</div>
<div class="header-content">
<a id="slide-out-open" class="slide-out-open" href="#"><span></span></a>
<div class="logo" style=" margin-top:15px; margin-bottom:15px;">
<h2><a title="{SITE_NAME}" href="{base}/">
<img src="{base}/wp-content/uploads/2016/01/logo.png" alt="{SITE_NAME}" width="300" height="60" />
<strong>{SITE_NAME} {SITE_TAGLINE}</strong></a></h2>
</div>
<div class="e3lan e3lan-top"><a href="{base}/" title="">
<img src="{base}/wp-content/uploads/2016/01/banner-728.jpg" alt="" /></a></div>
<div class="clear"></div>
</div>
<nav id="main-nav" class="fixed-enabled">
<div class="container">
<div class="main-menu"><ul id="menu-main" class="menu">
<li id="menu-item-29"
class="menu-item menu-item-type-custom menu-item-object-custom menu-item-home menu-item-29">
<a href="{base}/">Home</a></li>
{menu}
</ul></div>
</div>
</nav>
</header>
<div class="clear"></div>
<div class="breaking-news">
<span class="breaking-news-title"><i class="fa fa-bolt"></i> <span>Breaking News</span></span>
<ul>
{ticker_items}
</ul>
<script type="text/javascript">jQuery(document).ready(function(){{ createTicker(); }});</script>
</div>
<div id="main-content" class="container">
"""

    def _sidebar_footer(self, latest: Sequence[Post], rng: random.Random) -> str:
        """Sidebar widgets, footer widgets, copyright and scripts: the same on every page."""
        base = self.base
        portal = self.portal

        def post_list(posts: Sequence[Post], with_thumb: bool) -> str:
            rows = []
            for p in posts:
                thumb = ""
                if with_thumb and p.image:
                    thumb = (
                        f'<div class="post-thumbnail"><a href="{base}{p.path}" rel="bookmark">'
                        f'<img width="110" height="75" src="{base}{p.image[:-4]}-110x75.jpg" '
                        f'class="attachment-tie-small size-tie-small wp-post-image" alt="" />'
                        f'<span class="fa overlay-icon"></span></a></div>'
                    )
                rows.append(
                    f'<li>{thumb}<h3><a href="{base}{p.path}">{p.title_html}</a></h3> '
                    f'<span class="tie-date"><i class="fa fa-clock-o"></i>'
                    f"{_long_date(p.published)}</span></li>"
                )
            return "\n".join(rows)

        popular = sorted(latest, key=lambda p: -p.views)[:5]
        cloud = " ".join(
            f'<a href="{base}{t.path}" class="tag-cloud-link tag-link-{t.term_id}" '
            f'style="font-size: {8 + min(14, len(t.posts) // 40)}pt;">{escape(t.name)}</a>'
            for t in sorted(portal.tags, key=lambda t: -len(t.posts))[:15]
        )
        cat_list = "\n".join(
            f'<li class="cat-item cat-item-{c.term_id}"><a href="{base}{c.path}">'
            f"{escape(c.name)}</a> ({len(c.posts)})</li>"
            for c in portal.categories
        )
        months = sorted({(p.published.year, p.published.month) for p in portal.posts})[::-1]
        archive_options = "\n".join(
            f"<option value='{base}/{y}/{m:02d}/'> {MONTHS[m - 1]} {y} </option>"
            for y, m in months[:6]
        )
        comment_rows = "\n".join(
            f'<li><div class="post-thumbnail"><img alt="" src="{base}/wp-content/themes/sahifa/'
            f'images/avatar-{i}.png" class="avatar avatar-55" height="55" width="55" /></div>'
            f'<a href="{base}{p.path}#comment-{p.post_id * 3 + i}">Reader{rng.randint(10, 999)}'
            f": Thank you for the article, very interesting…</a></li>"
            for i, p in enumerate(latest[:3])
        )
        return f"""<aside id="sidebar">
<div class="theiaStickySidebar">
<div id="search-2" class="widget widget_search"><div class="widget-top"><h4>Search</h4>
<div class="stripe-line"></div></div><div class="widget-container">
<form method="get" id="searchform" action="{base}/">
<button class="search-button" type="submit" value="Search"><i class="fa fa-search"></i></button>
<input type="text" id="s" name="s" title="Search" value="Search" /></form></div></div>
<div id="ads300_250-widget-2" class="widget e3lan e3lan300-250"><div class="widget-container">
<div class="e3lan-cell"><a href="{base}/" target="_blank">
<img src="{base}/wp-content/uploads/2016/01/banner-300.jpg" alt="" /></a></div></div></div>
<div class="widget" id="tabbed-widget"><div class="widget-container"><div class="widget-top">
<ul class="tabs posts-taps"><li class="tabs"><a href="#tab1">Popular</a></li><li class="tabs">
<a href="#tab2">Recent</a></li><li class="tabs"><a href="#tab3">Comments</a></li></ul></div>
<div id="tab1" class="tabs-wrap"><ul>
{post_list(popular, True)}
</ul></div>
<div id="tab2" class="tabs-wrap"><ul>
{post_list(latest[:5], False)}
</ul></div>
<div id="tab3" class="tabs-wrap"><ul>
{comment_rows}
</ul></div>
</div></div>
<div id="categories-2" class="widget widget_categories"><div class="widget-top"><h4>Categories</h4>
<div class="stripe-line"></div></div><div class="widget-container"><ul>
{cat_list}
</ul></div></div>
<div id="archives-2" class="widget widget_archive"><div class="widget-top"><h4>Archives</h4>
<div class="stripe-line"></div></div><div class="widget-container">
<label class="screen-reader-text" for="archives-dropdown-2">Archives</label>
<select id="archives-dropdown-2" name="archive-dropdown"
onchange='document.location.href=this.options[this.selectedIndex].value;'>
<option value="">Select Month</option>
{archive_options}
</select></div></div>
<div id="tag_cloud-2" class="widget widget_tag_cloud"><div class="widget-top"><h4>Tags</h4>
<div class="stripe-line"></div></div><div class="widget-container">
<div class="tagcloud">{cloud}</div></div></div>
</div>
</aside>
<div class="clear"></div>
</div><!-- .container /-->
<footer id="theme-footer">
<div id="footer-widget-area" class="footer-3c">
<div id="footer-first" class="footer-widgets-box">
<div id="text-2" class="footer-widget widget_text"><div class="footer-widget-top"><h4>About</h4>
</div><div class="footer-widget-container">
<div class="textwidget">{SITE_NAME}: {SITE_TAGLINE}. Translations of the main news of the day,
updated around the clock. Reprinting is allowed with an active hyperlink to the source.</div>
</div></div></div>
<div id="footer-second" class="footer-widgets-box">
<div id="posts-list-widget-3" class="footer-widget posts-list"><div class="footer-widget-top">
<h4>Recent Posts</h4></div><div class="footer-widget-container"><ul>
{post_list(latest[5:10], False)}
</ul></div></div></div>
<div id="footer-third" class="footer-widgets-box">
<div id="categories-3" class="footer-widget widget_categories"><div class="footer-widget-top">
<h4>Sections</h4></div><div class="footer-widget-container"><ul>
{cat_list}
</ul></div></div></div>
</div>
<div class="clear"></div>
</footer>
<div class="clear"></div>
<div class="footer-bottom">
<div class="container">
<div class="alignright"></div>
<div class="social-icons"><a class="ttip-none" title="Rss" href="{base}/feed/" target="_blank">
<i class="fa fa-rss"></i></a></div>
<div class="alignleft">&copy; Copyright 2016, All Rights Reserved</div>
<div class="clear"></div>
</div>
</div>
</div><!-- .inner-Wrapper -->
</div><!-- #Wrapper -->
</div><!-- .Wrapper-outer -->
<div id="topcontrol" class="fa fa-angle-up" title="Scroll To Top"></div>
<div id="fb-root"></div>
<script type='text/javascript'
src='{base}/wp-content/plugins/contact-form-7/includes/js/scripts.js?ver=4.4.2'></script>
<script type='text/javascript' src='{base}/wp-content/themes/sahifa/js/tie-scripts.js?ver=4.5.3'>
</script>
<script type='text/javascript'
src='{base}/wp-content/themes/sahifa/js/ilightbox.packed.js?ver=4.5.3'></script>
<script type='text/javascript' src='{base}/wp-includes/js/wp-embed.min.js?ver=4.5.3'></script>
</body>
</html>
"""

    # page assembly ---------------------------------------------------------------------

    def _page(self, head: str, body_class: str, main: str) -> tuple[bytes, ...]:
        """Return a whole page as chunks: unique head, shared parts, unique main content."""
        opening = f"""<!DOCTYPE html>
<html lang="en-US" prefix="og: http://ogp.me/ns#">
<head>
<meta charset="UTF-8" />
<link rel="profile" href="http://gmpg.org/xfn/11" />
<link rel="pingback" href="{self.base}/xmlrpc.php" />
{head}"""
        body_open = f'</head>\n<body id="top" class="{body_class}">\n'
        return (
            opening.encode(),
            self.head_tail,
            body_open.encode(),
            self.header,
            main.encode(),
            self.sidebar_footer,
        )

    def _crumbs(self, *steps: tuple[str, str] | str) -> str:
        """Return the breadcrumb: Home, then (name, path) links, then the current name."""
        base = self.base
        parts = [
            f'<span typeof="v:Breadcrumb"><a rel="v:url" property="v:title" class="crumbs-home" '
            f'href="{base}/"><i class="fa fa-home"></i>Home</a></span>'
        ]
        for step in steps:
            if isinstance(step, tuple):
                name, path = step
                parts.append(
                    f'<span typeof="v:Breadcrumb"><a rel="v:url" property="v:title" '
                    f'href="{base}{path}">{escape(name)}</a></span>'
                )
            else:
                parts.append(f'<span class="current">{escape(step)}</span>')
        delimiter = ' <span class="delimiter">/</span> '
        return (
            f'<div xmlns:v="http://rdf.data-vocabulary.org/#" id="crumbs">'
            f"{delimiter.join(parts)}</div>\n"
        )

    def _post_meta(self, post: Post) -> str:
        """Return the ``p.post-meta`` line: author, date, category, comments, views."""
        base = self.base
        return (
            f'<p class="post-meta">\n<span class="post-meta-author"><i class="fa fa-user"></i>'
            f'<a href="{base}{post.author.path}" title="">{escape(post.author.name)} </a></span>\n'
            f'<span class="tie-date"><i class="fa fa-clock-o"></i>{_long_date(post.published)}'
            f'</span>\n<span class="post-cats"><i class="fa fa-folder"></i>'
            f'<a href="{base}{post.category.path}" rel="category tag">'
            f"{escape(post.category.name)}</a></span>\n"
            f'<span class="post-comments"><i class="fa fa-comments"></i>'
            f'<a href="{base}{post.path}#respond">{post.comments}</a></span>\n'
            f'<span class="post-views"><i class="fa fa-eye"></i>{post.views:,} Views</span>\n'
            f"</p>\n"
        )

    def _thumb(self, post: Post, size: str, width: int, height: int) -> str:
        """Return a linked thumbnail ``div.post-thumbnail`` or "" when the post has no image."""
        if not post.image:
            return ""
        src = f"{self.base}{post.image[:-4]}-{width}x{height}.jpg"
        return (
            f'<div class="post-thumbnail"><a href="{self.base}{post.path}" rel="bookmark">'
            f'<img width="{width}" height="{height}" src="{src}" class="attachment-{size} '
            f'size-{size} wp-post-image" alt="{post.title_html}" />'
            f'<span class="fa overlay-icon"></span></a></div>'
        )

    def article(self, post: Post) -> tuple[bytes, ...]:
        """Render the single-post page of ``post``."""
        base, url = self.base, f"{self.base}{post.path}"
        title = post.title_html
        description = post.excerpt_html
        tag_meta = "".join(
            f'<meta property="article:tag" content="{escape(t.name)}" />\n' for t in post.tags
        )
        image_meta = (
            f'<meta property="og:image" content="{base}{post.image}" />\n'
            f'<meta property="og:image:width" content="800" />\n'
            f'<meta property="og:image:height" content="450" />\n'
            if post.image
            else ""
        )
        head = f"""<title>{title} | {SITE_NAME}</title>
<meta name="description" content="{description}"/>
<link rel="canonical" href="{url}" />
<meta property="og:locale" content="en_US" />
<meta property="og:type" content="article" />
<meta property="og:title" content="{title} | {SITE_NAME}" />
<meta property="og:description" content="{description}" />
<meta property="og:url" content="{url}" />
<meta property="og:site_name" content="{SITE_NAME}" />
{tag_meta}<meta property="article:section" content="{escape(post.category.name)}" />
<meta property="article:published_time" content="{_w3c(post.published)}" />
<meta property="article:modified_time" content="{_w3c(post.modified)}" />
<meta property="og:updated_time" content="{_w3c(post.modified)}" />
{image_meta}<meta name="twitter:card" content="summary_large_image" />
<meta name="twitter:title" content="{title} | {SITE_NAME}" />
<link rel='shortlink' href='{base}/?p={post.post_id}' />
"""
        classes = " ".join(
            [
                f"post-listing post-{post.post_id} post type-post status-publish",
                "format-standard" + (" has-post-thumbnail" if post.image else ""),
                f"hentry category-{post.category.slug}",
                *(f"tag-{t.slug}" for t in post.tags),
            ]
        )
        thumb = ""
        if post.image:
            thumb = (
                f'<div class="single-post-thumb">\n<img width="660" height="330" '
                f'src="{base}{post.image[:-4]}-660x330.jpg" class="attachment-slider '
                f'size-slider wp-post-image" alt="{title}" />\n</div>\n'
            )
        entry = []
        if post.alt_title:
            entry.append(f"<h2>{escape(post.alt_title)}</h2>")
        entry.extend(f"<p>{escape(p)}</p>" for p in post.paragraphs)
        if post.credit:
            entry.append(f"<p>{escape(post.credit)}</p>")
        quoted, tweet = quote_plus(url), quote_plus(post.title)
        share = f"""<div class="share-post">
<span class="share-text">Share</span>
<ul class="flat-social">
<li><a href="http://www.facebook.com/sharer.php?u={quoted}" class="social-facebook" rel="external"
target="_blank"><i class="fa fa-facebook"></i> <span>Facebook</span></a></li>
<li><a href="https://twitter.com/intent/tweet?text={tweet}&amp;url={quoted}" class="social-twitter"
rel="external" target="_blank"><i class="fa fa-twitter"></i> <span>Twitter</span></a></li>
<li><a href="https://vk.com/share.php?url={quoted}" class="social-vkontakte" rel="external"
target="_blank"><i class="fa fa-vk"></i> <span>Vkontakte</span></a></li>
</ul>
<div class="clear"></div>
</div>
"""
        tags = " ".join(
            f'<a href="{base}{t.path}" rel="tag">{escape(t.name)}</a>' for t in post.tags
        )
        related = "\n".join(
            f'<div class="related-item">\n{self._thumb(p, "tie-medium", 310, 165)}\n'
            f'<h3><a href="{base}{p.path}" rel="bookmark">{p.title_html}</a></h3>\n'
            f'<p class="post-meta"><span class="tie-date"><i class="fa fa-clock-o"></i>'
            f"{_long_date(p.published)}</span></p>\n</div>"
            for p in self.portal.related(post, 3, salt=1)
        )
        check_count = 1 + post.post_id % 2
        check_also = "\n".join(
            f'<div class="check-also-post">\n{self._thumb(p, "tie-medium", 310, 165)}\n'
            f'<h2 class="post-title"><a href="{base}{p.path}" rel="bookmark">'
            f"{p.title_html}</a></h2>\n<p>{p.excerpt_html}</p>\n</div>"
            for p in self.portal.related(post, check_count, salt=2)
        )
        navigation = self._post_navigation(post)
        main = f"""<div class="content">
{self._crumbs((post.category.name, post.category.path), post.title)}
<article class="{classes}" id="the-post">
{thumb}<div class="post-inner">
<h1 class="name post-title entry-title"><span itemprop="name">{title}</span></h1>
{self._post_meta(post)}<div class="clear"></div>
<div class="entry">
{chr(10).join(entry)}
</div>
{share}<div class="clear"></div>
</div><!-- .post-inner -->
</article><!-- .post-listing -->
<p class="post-tag">Tags {tags}</p>
<div class="e3lan e3lan-below_post"><a href="{base}/">
<img src="{base}/wp-content/uploads/2016/01/banner-468.jpg" alt="" /></a></div>
{navigation}<section id="related_posts">
<div class="block-head"><h3>Related Articles</h3><div class="stripe-line"></div></div>
<div class="post-listing">
{related}
<div class="clear"></div>
</div>
</section>
<section id="check-also-box" class="post-listing check-also-right">
<a href="#" id="check-also-close"><i class="fa fa-close"></i></a>
<div class="block-head"><h3>Check Also</h3></div>
{check_also}
</section>
<div id="comments">
<div id="respond" class="comment-respond">
<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>
<form action="{base}/wp-comments-post.php" method="post" id="commentform" class="comment-form">
<p class="comment-notes">
<span id="email-notes">Your email address will not be published.</span>
Required fields are marked <span class="required">*</span></p>
<p class="comment-form-comment">
<label for="comment">Comment</label> <textarea id="comment" name="comment" cols="45" rows="8"
maxlength="65525" aria-required="true" required="required"></textarea></p>
<p class="comment-form-author"><label for="author">Name <span class="required">*</span>
</label> <input id="author" name="author" type="text" value="" size="30" maxlength="245"
aria-required='true' required='required' /></p>
<p class="comment-form-email"><label for="email">Email <span class="required">*</span>
</label> <input id="email" name="email" type="text" value="" size="30" maxlength="100"
aria-required='true' required='required' /></p>
<p class="form-submit">
<input name="submit" type="submit" id="submit" class="submit" value="Post Comment" /> <input
type='hidden' name='comment_post_ID' value='{post.post_id}' id='comment_post_ID' /></p>
</form>
</div>
</div>
</div><!-- .content -->
"""
        body_class = f"single single-post postid-{post.post_id} single-format-standard lazy-enabled"
        return self._page(head, body_class, main)

    def _post_navigation(self, post: Post) -> str:
        """Return the previous/next links of the single-post page (same category)."""
        posts = post.category.posts
        index = self._category_index[post.post_id]
        links = []
        if index + 1 < len(posts):
            older = posts[index + 1]
            links.append(
                f'<div class="post-previous"><a href="{self.base}{older.path}" rel="prev">'
                f"<span>Previous</span> {older.title_html}</a></div>"
            )
        if index > 0:
            newer = posts[index - 1]
            links.append(
                f'<div class="post-next"><a href="{self.base}{newer.path}" rel="next">'
                f"<span>Next</span> {newer.title_html}</a></div>"
            )
        return f'<div class="post-navigation">\n{chr(10).join(links)}\n</div>\n'

    def _archive_item(self, post: Post) -> str:
        """Return one post of an archive list: h2.post-box-title, meta, thumb, excerpt."""
        base = self.base
        return f"""<article class="item-list">
<h2 class="post-box-title"><a href="{base}{post.path}">{post.title_html}</a></h2>
{self._post_meta(post)}{self._thumb(post, "tie-medium", 310, 165)}
<div class="entry">
<p>{post.excerpt_html}</p>
<a class="more-link" href="{base}{post.path}">Read More &raquo;</a>
</div>
<div class="clear"></div>
</article>"""

    def _pagination(self, term: Term, page: int) -> str:
        """Return the WP-PageNavi style pagination of archive page ``page``."""
        last = term.pages
        if last == 1:
            return ""
        base = self.base
        shown = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
        parts = [f'<span class="pages">Page {page} of {last}</span>']
        if page > 1:
            parts.append(
                f'<a class="previouspostslink" rel="prev" '
                f'href="{base}{term.page_path(page - 1)}">&laquo;</a>'
            )
        previous = 0
        for n in shown:
            if n - previous > 1:
                parts.append('<span class="extend">...</span>')
            if n == page:
                parts.append(f'<span class="current">{n}</span>')
            else:
                parts.append(
                    f'<a href="{base}{term.page_path(n)}" class="page" title="{n}">{n}</a>'
                )
            previous = n
        if page < last:
            parts.append(
                f'<a class="nextpostslink" rel="next" '
                f'href="{base}{term.page_path(page + 1)}">&raquo;</a>'
            )
        return f'<div class="pagination">\n{chr(10).join(parts)}\n</div>\n'

    def archive(self, term: Term, page: int) -> tuple[bytes, ...]:
        """Render page ``page`` (1-based) of a category, tag or author archive."""
        base = self.base
        posts = term.posts[(page - 1) * PER_PAGE : page * PER_PAGE]
        label = {"category": "", "tag": "Tag: ", "author": "Author: "}[term.kind]
        title = f"{label}{term.name}" + (f" | Page {page}" if page > 1 else "")
        links = [f'<link rel="canonical" href="{base}{term.page_path(page)}" />']
        if page > 1:
            links.append(f'<link rel="prev" href="{base}{term.page_path(page - 1)}" />')
        if page < term.pages:
            links.append(f'<link rel="next" href="{base}{term.page_path(page + 1)}" />')
        if term.kind == "category":
            links.append(
                f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; '
                f'{escape(term.name)} Category Feed" href="{base}{term.path}feed/" />'
            )
        head = f"""<title>{escape(title)} | {SITE_NAME}</title>
{chr(10).join(links)}
<meta property="og:locale" content="en_US" />
<meta property="og:type" content="object" />
<meta property="og:title" content="{escape(title)} | {SITE_NAME}" />
<meta property="og:url" content="{base}{term.page_path(page)}" />
<meta property="og:site_name" content="{SITE_NAME}" />
"""
        items = "\n".join(self._archive_item(p) for p in posts)
        if page == 1:
            crumbs = self._crumbs(term.name)
        else:
            crumbs = self._crumbs((term.name, term.path), f"Page {page}")
        kind_class = {"category": "category", "tag": "tag", "author": "author"}[term.kind]
        main = f"""<div class="content">
{crumbs}
<div class="page-head">
<h1 class="page-title">{escape(label)}<span>{escape(term.name)}</span></h1>
<div class="stripe-line"></div>
</div>
<div class="post-listing archive-box">
{items}
</div>
{self._pagination(term, page)}</div><!-- .content -->
"""
        body_class = (
            f"archive {kind_class} {kind_class}-{term.slug} {kind_class}-{term.term_id}"
            + (f" paged paged-{page} {kind_class}-paged-{page}" if page > 1 else "")
        )
        return self._page(head, body_class, main)

    def home(self) -> tuple[bytes, ...]:
        """Render the home page: one block per category with its latest five posts."""
        base = self.base
        blocks = []
        for category in self.portal.categories:
            latest = category.posts[:5]
            if not latest:
                continue
            first, rest = latest[0], latest[1:]
            rows = "\n".join(
                f'<li class="other-news">{self._thumb(p, "tie-small", 110, 75)}'
                f'<h3 class="post-box-title"><a href="{base}{p.path}" rel="bookmark">'
                f"{p.title_html}</a></h3>"
                f'<span class="tie-date"><i class="fa fa-clock-o"></i>{_long_date(p.published)}'
                f"</span></li>"
                for p in rest
            )
            blocks.append(f"""<section class="cat-box recent-box recent-blog">
<div class="cat-box-title"><h2><a href="{base}{category.path}">{escape(category.name)}</a></h2>
<div class="stripe-line"></div></div>
<div class="cat-box-content"><ul>
<li class="first-news">{self._thumb(first, "tie-medium", 310, 165)}
<h2 class="post-box-title"><a href="{base}{first.path}" rel="bookmark">{first.title_html}</a>
</h2>
{self._post_meta(first)}<div class="entry"><p>{first.excerpt_html}</p>
<a class="more-link" href="{base}{first.path}">Read More &raquo;</a></div></li>
{rows}
</ul><div class="clear"></div></div>
</section>""")
        search = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "WebSite",
                "url": f"{base}/",
                "name": SITE_NAME,
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": f"{base}/?s={{search_term_string}}",
                    "query-input": "required name=search_term_string",
                },
            }
        )
        head = f"""<title>{SITE_NAME} | {SITE_TAGLINE}</title>
<meta name="description" content="{SITE_TAGLINE}"/>
<link rel="canonical" href="{base}/" />
<meta property="og:locale" content="en_US" />
<meta property="og:type" content="website" />
<meta property="og:title" content="{SITE_NAME} | {SITE_TAGLINE}" />
<meta property="og:url" content="{base}/" />
<meta property="og:site_name" content="{SITE_NAME}" />
<script type='application/ld+json'>{search}</script>
"""
        main = f"""<div class="content">
{chr(10).join(blocks)}
</div><!-- .content -->
"""
        return self._page(head, "home page page-template-default lazy-enabled", main)

    def not_found(self) -> tuple[bytes, ...]:
        """Render the theme's 404 page."""
        head = f"<title>Page not found | {SITE_NAME}</title>\n"
        main = f"""<div class="content">
{self._crumbs("Error 404")}
<div class="post-listing"><div id="post-404" class="post-inner">
<h1 class="post-title">Not Found</h1>
<p>Sorry, but the page you are looking for does not exist. Try a search:</p>
</div></div>
</div><!-- .content -->
"""
        return self._page(head, "error404 lazy-enabled", main)

    # feeds, sitemaps, robots ---------------------------------------------------------

    def feed(self, posts: Sequence[Post], title: str, link: str) -> bytes:
        """Render an RSS 2.0 feed of ``posts`` (already newest first)."""
        base = self.base
        items = []
        for p in posts:
            content = "\n".join(
                [*([f"<h2>{escape(p.alt_title)}</h2>"] if p.alt_title else [])]
                + [f"<p>{escape(x)}</p>" for x in p.paragraphs]
                + ([f"<p>{escape(p.credit)}</p>"] if p.credit else [])
            )
            categories = "".join(
                f"\t\t<category><![CDATA[{t.name}]]></category>\n" for t in (p.category, *p.tags)
            )
            items.append(f"""\t<item>
\t\t<title>{p.title_html}</title>
\t\t<link>{base}{p.path}</link>
\t\t<comments>{base}{p.path}#respond</comments>
\t\t<pubDate>{_rfc822(p.published)}</pubDate>
\t\t<dc:creator><![CDATA[{p.author.name}]]></dc:creator>
{categories}\t\t<guid isPermaLink="false">{base}/?p={p.post_id}</guid>
\t\t<description><![CDATA[{p.excerpt}]]></description>
\t\t<content:encoded><![CDATA[{content}]]></content:encoded>
\t\t<slash:comments>{p.comments}</slash:comments>
\t</item>""")
        newest = posts[0].published if posts else START
        build = _rfc822(newest)
        return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:wfw="http://wellformedweb.org/CommentAPI/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:atom="http://www.w3.org/2005/Atom"
\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"
\t>

<channel>
\t<title>{escape(title)}</title>
\t<atom:link href="{base}{link}feed/" rel="self" type="application/rss+xml" />
\t<link>{base}{link}</link>
\t<description>{SITE_TAGLINE}</description>
\t<lastBuildDate>{build}</lastBuildDate>
\t<language>en-US</language>
\t<sy:updatePeriod>hourly</sy:updatePeriod>
\t<sy:updateFrequency>1</sy:updateFrequency>
\t<generator>https://wordpress.org/?v=4.5.3</generator>
{chr(10).join(items)}
</channel>
</rss>
""".encode()

    def post_sitemaps(self) -> list[bytes]:
        """Render the post sitemaps, oldest posts first, ``SITEMAP_SIZE`` URLs each."""
        base = self.base
        ordered = sorted(self.portal.posts, key=lambda p: (p.modified, p.post_id))
        maps = []
        for start in range(0, len(ordered), SITEMAP_SIZE):
            urls = []
            for p in ordered[start : start + SITEMAP_SIZE]:
                image = (
                    f"\n\t\t<image:image>\n\t\t\t<image:loc>{base}{p.image}</image:loc>\n"
                    f"\t\t\t<image:title><![CDATA[{p.title}]]></image:title>\n\t\t</image:image>"
                    if p.image
                    else ""
                )
                urls.append(
                    f"\t<url>\n\t\t<loc>{base}{p.path}</loc>\n"
                    f"\t\t<lastmod>{_w3c(p.modified)}</lastmod>{image}\n\t</url>"
                )
            maps.append(
                (
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<urlset xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                    'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" '
                    'xsi:schemaLocation="http://www.sitemaps.org/schemas/sitemap/0.9 '
                    'http://www.sitemaps.org/schemas/sitemap/0.9/sitemap.xsd" '
                    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                    + "\n".join(urls)
                    + "\n</urlset>\n"
                ).encode()
            )
        return maps

    @staticmethod
    def post_sitemap_path(number: int) -> str:
        """Path of the ``number``-th post sitemap (1-based), named like Yoast does."""
        return "/post-sitemap.xml" if number == 1 else f"/post-sitemap{number}.xml"

    def category_sitemap(self) -> bytes:
        """Render the category sitemap."""
        urls = "\n".join(
            f"\t<url>\n\t\t<loc>{self.base}{c.path}</loc>\n"
            f"\t\t<lastmod>{_w3c(c.posts[0].modified)}</lastmod>\n\t</url>"
            for c in self.portal.categories
            if c.posts
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{urls}\n</urlset>\n"
        ).encode()

    def sitemap_index(self) -> bytes:
        """Render ``/sitemap_index.xml`` listing the post sitemaps and the category one."""
        ordered = sorted(self.portal.posts, key=lambda p: (p.modified, p.post_id))
        entries = []
        for number, start in enumerate(range(0, len(ordered), SITEMAP_SIZE), 1):
            chunk = ordered[start : start + SITEMAP_SIZE]
            lastmod = max(p.modified for p in chunk)
            entries.append((self.post_sitemap_path(number), lastmod))
        entries.append(("/category-sitemap.xml", ordered[-1].modified))
        body = "\n".join(
            f"\t<sitemap>\n\t\t<loc>{self.base}{path}</loc>\n"
            f"\t\t<lastmod>{_w3c(lastmod)}</lastmod>\n\t</sitemap>"
            for path, lastmod in entries
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{body}\n</sitemapindex>\n"
        ).encode()

    def robots(self) -> bytes:
        """Render ``/robots.txt``."""
        return (
            "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
            f"Sitemap: {self.base}/sitemap_index.xml\n"
        ).encode()


# --- the route table -----------------------------------------------------------------

_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    431: "Request Header Fields Too Large",
}
HTML = "text/html; charset=UTF-8"


@dataclass(frozen=True)
class Resource:
    """A pre-built response: status line and headers (without Date), then the body."""

    status: int
    """HTTP status."""
    head: bytes
    """Status line and headers, each ending CRLF, without Date/Connection or the blank line."""
    body: tuple[bytes, ...]
    """Body chunks, sent in order."""
    gzip_head: bytes | None = None
    """Headers for the gzip-encoded variant, when pre-compressed."""
    gzip_body: bytes | None = None
    """The gzip-encoded body, when pre-compressed."""

    @property
    def length(self) -> int:
        """Body length in bytes (identity encoding)."""
        return sum(len(chunk) for chunk in self.body)


def make_resource(
    status: int,
    body: bytes | tuple[bytes, ...],
    content_type: str = HTML,
    *,
    extra: Sequence[tuple[str, str]] = (),
    compress: bool = False,
) -> Resource:
    """Build a :class:`Resource`; with ``compress`` also a gzip variant (deterministic)."""
    chunks = body if isinstance(body, tuple) else (body,)
    length = sum(len(chunk) for chunk in chunks)
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}",
        "Server: nginx",
        f"Content-Type: {content_type}",
        *(f"{name}: {value}" for name, value in extra),
    ]
    head = "\r\n".join([*lines, f"Content-Length: {length}"]).encode() + b"\r\n"
    if not compress or length < 256:
        return Resource(status, head, chunks)
    packed = gzip.compress(b"".join(chunks), compresslevel=6, mtime=0)
    gzip_head = (
        "\r\n".join(
            [
                *lines,
                "Vary: Accept-Encoding",
                "Content-Encoding: gzip",
                f"Content-Length: {len(packed)}",
            ]
        ).encode()
        + b"\r\n"
    )
    return Resource(status, head, chunks, gzip_head, packed)


def redirect(location: str) -> Resource:
    """Build a 301 to absolute URL ``location``."""
    return make_resource(301, b"", extra=[("Location", location)])


def build_routes(
    portal: Portal, base_url: str, *, compress: bool = False
) -> tuple[dict[bytes, Resource], Resource]:
    """Render every page of ``portal`` for ``base_url``; return routes and the 404 page.

    Keys are request paths as bytes (no query). Besides the pages, ``.../page/1/``
    archive paths redirect to the archive's first page, as WordPress does.
    """
    renderer = Renderer(portal, base_url)
    base = renderer.base
    routes: dict[bytes, Resource] = {}

    def add(path: str, resource: Resource) -> None:
        routes[path.encode()] = resource

    def page(chunks: tuple[bytes, ...], extra: Sequence[tuple[str, str]] = ()) -> Resource:
        return make_resource(200, chunks, extra=extra, compress=compress)

    add("/", page(renderer.home()))
    for post in portal.posts:
        shortlink = [("Link", f"<{base}/?p={post.post_id}>; rel=shortlink")]
        add(post.path, page(renderer.article(post), shortlink))
    for term in portal.archives:
        for number in range(1, term.pages + 1):
            add(term.page_path(number), page(renderer.archive(term, number)))
        add(f"{term.path}page/1/", redirect(f"{base}{term.path}"))
    rss = "application/rss+xml; charset=UTF-8"
    newest = portal.newest_first
    add("/feed/", make_resource(200, renderer.feed(newest[:FEED_SIZE], SITE_NAME, "/"), rss))
    for category in portal.categories:
        title = f"{category.name} | {SITE_NAME}"
        feed = renderer.feed(category.posts[:CATEGORY_FEED_SIZE], title, category.path)
        add(f"{category.path}feed/", make_resource(200, feed, rss))
    xml = "text/xml; charset=UTF-8"
    add("/sitemap_index.xml", make_resource(200, renderer.sitemap_index(), xml))
    for number, sitemap in enumerate(renderer.post_sitemaps(), 1):
        add(renderer.post_sitemap_path(number), make_resource(200, sitemap, xml))
    routes[b"/post-sitemap1.xml"] = routes[b"/post-sitemap.xml"]
    add("/category-sitemap.xml", make_resource(200, renderer.category_sitemap(), xml))
    add("/robots.txt", make_resource(200, renderer.robots(), "text/plain; charset=utf-8"))
    not_found = make_resource(404, renderer.not_found(), compress=compress)
    return routes, not_found


# --- the HTTP server -----------------------------------------------------------------


class PortalApp:
    """Routes requests to pre-built resources and keeps counters."""

    def __init__(
        self, portal: Portal, routes: dict[bytes, Resource], not_found: Resource, base_url: str
    ) -> None:
        """Serve ``routes`` (404 page ``not_found``) for ``portal`` at ``base_url``."""
        self.portal = portal
        self.routes = routes
        self.not_found = not_found
        self.base = base_url.rstrip("/")
        self.by_id = {str(p.post_id).encode(): p for p in portal.posts}
        self.requests = 0
        self.bytes_sent = 0
        self.statuses: Counter[int] = Counter()
        self.connections = 0
        self.started = time.time()
        self.latency = 0.0
        """Seconds each response waits before it is sent (``--latency-ms``), without
        blocking the server: other connections are answered meanwhile."""
        self._date_second = -1
        self._date_line = b""

    def date_line(self) -> bytes:
        """Return the ``Date:`` header line, recomputed at most once a second."""
        now = int(time.time())
        if now != self._date_second:
            self._date_second = now
            self._date_line = f"Date: {formatdate(now, usegmt=True)}\r\n".encode()
        return self._date_line

    def resolve(self, target: bytes) -> Resource:
        """Return the resource for a request target (origin- or absolute-form)."""
        if not target.startswith(b"/"):
            scheme_end = target.find(b"://")
            slash = target.find(b"/", scheme_end + 3) if scheme_end >= 0 else -1
            target = target[slash:] if slash >= 0 else b"/"
        path, _, query = target.partition(b"?")
        resource = self.routes.get(path)
        if resource is not None:
            if path == b"/" and query:
                return self._shortlink(query) or resource
            return resource
        if path == b"/__stats__":
            return make_resource(200, self.stats_json(), "application/json")
        if not path.endswith(b"/") and path + b"/" in self.routes:
            location = path + b"/" + (b"?" + query if query else b"")
            return redirect(self.base + location.decode("latin-1"))
        return self.not_found

    def _shortlink(self, query: bytes) -> Resource | None:
        """Return a redirect for ``?p=<id>`` to the post's permalink, like WordPress."""
        for pair in query.split(b"&"):
            name, _, value = pair.partition(b"=")
            if name == b"p" and value in self.by_id:
                return redirect(self.base + self.by_id[value].path)
        return None

    def stats_json(self) -> bytes:
        """Return the counters as JSON (served at ``/__stats__``)."""
        return json.dumps(
            {
                "articles": len(self.portal.posts),
                "routes": len(self.routes),
                "requests": self.requests,
                "bytes_sent": self.bytes_sent,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "connections": self.connections,
                "uptime_s": round(time.time() - self.started, 3),
            }
        ).encode()


class HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 for one connection: keep-alive, pipelining, GET and HEAD only.

    Requests are answered in order from the pre-built resources; when the client reads
    slower than we write, reading pauses until the transport's buffer drains.
    """

    def __init__(self, app: PortalApp, compress: bool) -> None:
        """Answer from ``app``; with ``compress``, honour ``Accept-Encoding: gzip``."""
        self.app = app
        self.compress = compress
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.paused = False
        self.closing = False
        self.delayed: deque[tuple[list[bytes], bool]] = deque()
        """Responses waiting for ``app.latency`` to pass, oldest first."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the transport and disable Nagle's algorithm."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.app.connections += 1
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the transport."""
        self.transport = None
        self.closing = True

    def data_received(self, data: bytes) -> None:
        """Buffer ``data`` and answer every complete request in it."""
        self.buffer += data
        self._process()

    def pause_writing(self) -> None:
        """Stop reading requests while the write buffer is full."""
        self.paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        """Resume reading and answer what was buffered meanwhile."""
        self.paused = False
        if self.transport is not None and not self.closing:
            self.transport.resume_reading()
            self._process()

    def _process(self) -> None:
        """Answer complete requests from the buffer until it runs out or we must wait."""
        buffer = self.buffer
        while not self.paused and not self.closing:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_REQUEST_HEAD:
                    self._fail(431)
                return
            head = bytes(buffer[:end])
            line_end = head.find(b"\r\n")
            request_line = head if line_end < 0 else head[:line_end]
            parts = request_line.split(b" ")
            if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
                self._fail(400)
                return
            method, target, version = parts
            connection = b""
            body_length = 0
            gzip_ok = False
            if line_end >= 0:
                for line in head[line_end + 2 :].split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"connection":
                        connection = value.strip().lower()
                    elif name == b"content-length":
                        try:
                            body_length = int(value)
                        except ValueError:
                            self._fail(400)
                            return
                    elif name == b"transfer-encoding":
                        self._fail(400)  # a GET/HEAD server: no chunked request bodies
                        return
                    elif name == b"accept-encoding" and self.compress:
                        gzip_ok = b"gzip" in value.lower()
            if len(buffer) < end + 4 + body_length:
                return  # wait for the rest of the request body, then drop it
            del buffer[: end + 4 + body_length]
            if version == b"HTTP/1.1":
                keep_alive = b"close" not in connection
            else:
                keep_alive = b"keep-alive" in connection
            self._respond(method, target, keep_alive, gzip_ok)

    def _respond(self, method: bytes, target: bytes, keep_alive: bool, gzip_ok: bool) -> None:
        """Send the response to one request."""
        app = self.app
        if method == b"GET" or method == b"HEAD":
            resource = app.resolve(target)
        else:
            resource = make_resource(
                405, b"Method Not Allowed\n", "text/plain", extra=[("Allow", "GET, HEAD")]
            )
        if gzip_ok and resource.gzip_body is not None and resource.gzip_head is not None:
            head, body = resource.gzip_head, (resource.gzip_body,)
        else:
            head, body = resource.head, resource.body
        ending = b"\r\n" if keep_alive else b"Connection: close\r\n\r\n"
        if method == b"HEAD":
            body = ()
        chunks = [head, app.date_line(), ending, *body]
        app.requests += 1
        app.statuses[resource.status] += 1
        app.bytes_sent += sum(len(chunk) for chunk in chunks)
        if not keep_alive:
            self.closing = True
        if app.latency > 0:
            # Deadlines only grow, so each timer sends the oldest waiting response: pipelined
            # responses keep their order.
            self.delayed.append((chunks, keep_alive))
            asyncio.get_running_loop().call_later(app.latency, self._send_delayed)
            return
        self._send(chunks, keep_alive)

    def _send(self, chunks: list[bytes], keep_alive: bool) -> None:
        """Write one response; close the connection after it unless ``keep_alive``."""
        if self.transport is None:
            return  # the client went away while the response waited
        self.transport.writelines(chunks)
        if not keep_alive:
            self.transport.close()

    def _send_delayed(self) -> None:
        """Send the oldest response that waited ``app.latency`` seconds."""
        chunks, keep_alive = self.delayed.popleft()
        self._send(chunks, keep_alive)

    def _fail(self, status: int) -> None:
        """Answer a malformed request with ``status`` and close the connection."""
        self.app.statuses[status] += 1
        resource = make_resource(status, f"{_REASONS[status]}\n".encode(), "text/plain")
        if self.transport is not None:
            self.transport.writelines(
                [resource.head, self.app.date_line(), b"Connection: close\r\n\r\n", *resource.body]
            )
            self.transport.close()
        self.closing = True


def bind(host: str, port: int) -> socket.socket:
    """Return a listening TCP socket on ``host:port``; only 127.0.0.1 is allowed."""
    if host != "127.0.0.1":
        raise ValueError(f"the bench portal binds 127.0.0.1 only, not {host!r}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


async def serve(
    sock: socket.socket,
    app: PortalApp,
    *,
    compress: bool = False,
    ready: Callable[[], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve ``app`` on the listening ``sock`` until ``stop`` is set (or forever)."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HttpProtocol(app, compress), sock=sock)
    if ready is not None:
        ready()
    try:
        if stop is None:
            await asyncio.Future()
        else:
            await stop.wait()
    finally:
        server.close()
        await server.wait_closed()


def serve_until_signalled(
    sock: socket.socket, app: PortalApp, base_url: str, *, compress: bool = False
) -> None:
    """Serve ``app`` on ``sock`` until SIGTERM or SIGINT, after printing ``READY <base_url>``
    on stdout (the line the benchmarks and tests wait for)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        ready = lambda: print(f"READY {base_url}", flush=True)  # noqa: E731
        await serve(sock, app, compress=compress, ready=ready, stop=stop)

    asyncio.run(main())


def run_server(args: argparse.Namespace) -> int:
    """Generate, render and serve the portal until SIGTERM/SIGINT; print READY first."""
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    sock = bind(args.host, args.port)
    base_url = f"http://{args.host}:{sock.getsockname()[1]}"
    started = time.perf_counter()
    portal = generate_portal(args.articles, args.seed)
    routes, not_found = build_routes(portal, base_url, compress=args.gzip)
    app = PortalApp(portal, routes, not_found, base_url)
    app.latency = args.latency_ms / 1000
    print(
        f"portal: {len(portal.posts)} articles, {len(routes)} routes, "
        f"rendered in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    serve_until_signalled(sock, app, base_url, compress=args.gzip)
    print(f"portal: stopped; {app.stats_json().decode()}", file=sys.stderr)
    return 0


# --- the load client -----------------------------------------------------------------


@dataclass
class LoadResult:
    """What a load run measured."""

    requests: int = 0
    """Complete responses received."""
    bytes: int = 0
    """Response bytes received (heads and bodies)."""
    errors: int = 0
    """Responses with a status other than 200, plus failed connections."""
    seconds: float = 0.0
    """Wall-clock duration of the run."""

    @property
    def rate(self) -> float:
        """Responses per second."""
        return self.requests / self.seconds if self.seconds else 0.0


class _LoadConnection(asyncio.Protocol):
    """One keep-alive client connection sending GETs one at a time until the deadline."""

    def __init__(
        self, paths: Iterator[bytes], host: bytes, deadline: float, result: LoadResult
    ) -> None:
        """Request ``paths`` in turn until ``deadline`` (monotonic), counting into ``result``."""
        self.paths = paths
        self.host = host
        self.deadline = deadline
        self.result = result
        self.buffer = bytearray()
        self.need: int | None = None
        self.status = 0
        self.transport: asyncio.Transport | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the first request."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        """Finish; an unexpected close counts as an error."""
        if not self.done.done():
            self.result.errors += 1
            self.done.set_result(None)

    def _send(self) -> None:
        """Send the next GET."""
        assert self.transport is not None
        self.transport.write(
            b"GET " + next(self.paths) + b" HTTP/1.1\r\nHost: " + self.host
            + b"\r\nUser-Agent: portal-selftest\r\nAccept: text/html\r\n\r\n"
        )  # fmt: skip

    def data_received(self, data: bytes) -> None:
        """Parse responses; after each one, send the next request or stop."""
        buffer = self.buffer
        buffer += data
        while True:
            if self.need is None:
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(buffer[:end])
                self.status = int(head[9:12])
                start = head.lower().find(b"\r\ncontent-length:")
                stop = head.find(b"\r\n", start + 2)
                length = int(head[start + 17 : stop if stop > 0 else None])
                self.need = end + 4 + length
            if len(buffer) < self.need:
                return
            self.result.requests += 1
            self.result.bytes += self.need
            if self.status != 200:
                self.result.errors += 1
            del buffer[: self.need]
            self.need = None
            if time.monotonic() >= self.deadline:
                assert self.transport is not None
                self.done.set_result(None)
                self.transport.close()
                return
            self._send()


async def run_load(
    host: str, port: int, paths: Sequence[str], connections: int = 8, duration: float = 5.0
) -> LoadResult:
    """Request ``paths`` (cycled) over ``connections`` keep-alive connections for ``duration`` s.

    Each connection has one request in flight at a time, as a crawler's would.
    """
    loop = asyncio.get_running_loop()
    encoded = [p.encode() for p in paths]

    def cycle(offset: int) -> Iterator[bytes]:
        index = offset
        while True:
            yield encoded[index % len(encoded)]
            index += 1

    result = LoadResult()
    started = time.monotonic()
    deadline = started + duration
    host_header = f"{host}:{port}".encode()
    clients: list[_LoadConnection] = []
    for n in range(connections):
        client = _LoadConnection(
            cycle(n * len(encoded) // connections), host_header, deadline, result
        )
        await loop.create_connection(lambda client=client: client, host, port)
        clients.append(client)
    await asyncio.gather(*(client.done for client in clients))
    result.seconds = time.monotonic() - started
    return result


def _cpu_seconds(pid: int) -> float | None:
    """Return user+system CPU seconds of process ``pid`` (Linux ``/proc``), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def crawl_check(base_url: str, portal: Portal) -> int:
    """Walk every category's pagination over HTTP; return how many posts were linked.

    Uses one keep-alive connection; raises AssertionError when a page fails.
    """
    import http.client  # only the self-test needs it

    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    found: set[str] = set()
    link = re.compile(r'<h2 class="post-box-title"><a href="([^"]+)"')
    try:
        for category in portal.categories:
            path: str | None = category.path
            while path:
                conn.request("GET", path)
                response = conn.getresponse()
                html = response.read().decode()
                assert response.status == 200, f"{path}: {response.status}"
                found.update(link.findall(html))
                following = re.search(r'<a class="nextpostslink" rel="next" href="([^"]+)"', html)
                path = following.group(1).removeprefix(base_url) if following else None
    finally:
        conn.close()
    return len(found)


def selftest(args: argparse.Namespace) -> int:
    """Start the portal in a child process, check it, load it, and print requests/s."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--articles",
        str(args.articles),
        "--seed",
        str(args.seed),
        "--port",
        "0",
    ]
    if len(cpus) >= 2:
        command += ["--cpu", str(cpus[0])]  # the server gets one core, the client the rest
        os.sched_setaffinity(0, set(cpus[1:]))
    if args.gzip:
        command.append("--gzip")
    if args.latency_ms:
        command += ["--latency-ms", str(args.latency_ms)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if not line.startswith("READY "):
            print(f"selftest: server did not start ({line!r})", file=sys.stderr)
            return 1
        base_url = line.removeprefix("READY ")
        port = int(base_url.rsplit(":", 1)[1])
        portal = generate_portal(args.articles, args.seed)
        linked = crawl_check(base_url, portal)
        print(f"reachability: {linked}/{len(portal.posts)} articles linked from category pages")
        paths = [p.path for p in portal.posts]
        paths += [t.page_path(n) for t in portal.categories for n in range(1, t.pages + 1)]
        random.Random(args.seed).shuffle(paths)
        cpu_before = _cpu_seconds(child.pid)
        result = asyncio.run(run_load("127.0.0.1", port, paths, args.connections, args.duration))
        cpu_after = _cpu_seconds(child.pid)
        print(
            f"load: {args.connections} keep-alive connections, {result.seconds:.1f} s, "
            f"{result.requests} responses, {result.errors} errors, "
            f"{result.rate:,.0f} requests/s, {result.bytes / result.seconds / 1e6:,.0f} MB/s"
        )
        if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
            busy = (cpu_after - cpu_before) / result.seconds
            print(
                f"server: {busy:.0%} of one core busy; "
                f"~{result.requests / (cpu_after - cpu_before):,.0f} requests per server CPU-second"
            )
        return 0 if linked == len(portal.posts) and result.errors == 0 else 1
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve the portal or run the self-test."""
    parser = argparse.ArgumentParser(
        description="Serve a generated Sahifa-like news portal on 127.0.0.1 for benchmarks."
    )
    parser.add_argument("--articles", type=int, default=10_000, help="posts to generate")
    parser.add_argument("--seed", type=int, default=1, help="generation seed")
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument("--gzip", action="store_true", help="honour Accept-Encoding: gzip")
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="delay each response this many milliseconds (asyncio timer, not blocking)",
    )
    parser.add_argument("--selftest", action="store_true", help="measure requests/s and exit")
    parser.add_argument("--duration", type=float, default=5.0, help="self-test load seconds")
    parser.add_argument("--connections", type=int, default=8, help="self-test connections")
    args = parser.parse_args(argv)
    if args.latency_ms < 0:
        parser.error(f"--latency-ms must be 0 or more, not {args.latency_ms:g}")
    if args.selftest:
        return selftest(args)
    return run_server(args)


if __name__ == "__main__":
    raise SystemExit(main())
