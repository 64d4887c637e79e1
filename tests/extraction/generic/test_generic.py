"""The generic extractor, module by module, and its outcome on pages that are not articles."""

from __future__ import annotations

import contextlib
import doctest
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import html

from newscrawl.extraction import ExtractionError, NotAnArticle, extract_article
from newscrawl.extraction.generic import (
    authors,
    credits,
    dates,
    headline,
    pagetype,
    structured,
)
from newscrawl.extraction.generic import body as body_module
from newscrawl.extraction.generic import (
    teasers as teasers_module,
)
from newscrawl.extraction.generic import text as text_module
from newscrawl.extraction.generic.structured import read_structured
from newscrawl.extraction.processors import DateParser

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "generic"
NOW = datetime(2024, 3, 11, 12, tzinfo=UTC)


def parse(page: str) -> html.HtmlElement:
    return html.document_fromstring(page)


@pytest.mark.parametrize(
    "module",
    [
        authors,
        body_module,
        credits,
        dates,
        headline,
        pagetype,
        structured,
        teasers_module,
        text_module,
    ],
)
def test_doctests(module: object) -> None:
    failures, _ = doctest.testmod(module)  # type: ignore[arg-type]
    assert failures == 0


@pytest.mark.parametrize(
    ("case", "kind"),
    [
        ("listing-home-cards", "listing"),
        ("listing-section", "listing"),
        ("listing-tag", "listing"),
        ("listing-search", "listing"),
        ("gallery", "gallery"),
        ("error-404-page", "other"),
        ("cookie-wall", "other"),
        ("site-page-imprint", "other"),
        ("generic-body-from-trafilatura", "article"),
        ("article-chinese-short-paragraphs", "article"),
        ("article-korean-short-paragraphs", "article"),
        ("listing-tag-chinese", "listing"),
        ("listing-section-excerpt-cards-at-article-url", "listing"),
        ("listing-tag-jsonld-lists-articles", "listing"),
        ("soft-404-german-with-suggestions", "other"),
        ("soft-404-russian-bitrix", "other"),
        ("soft-404-spanish-with-suggestions", "other"),
        ("article-removed-notice-german", "other"),
        ("news-flash-headline-says-not-found", "article"),
        ("consent-wall-didomi-french", "other"),
        ("consent-wall-onetrust-english", "other"),
        ("consent-wall-sourcepoint-german-pur", "other"),
        ("consent-wall-quantcast-spanish", "other"),
        ("paywall-login-interstitial", "other"),
        ("site-page-newsletter-wordpress-dated", "other"),
        ("author-profile-russian-og-profile", "listing"),
        ("events-calendar-german", "listing"),
        ("gallery-long-captions-russian", "gallery"),
        ("search-results-long-excerpts-french", "listing"),
        ("listing-section-bitrix-og-article", "listing"),
        ("article-page-two-german", "article"),
        ("live-blog-short-updates", "article"),
        ("video-page-standfirst-and-transcript", "article"),
        ("print-version-spanish-short", "article"),
        ("about-page-french-jsonld-aboutpage", "other"),
        ("listing-topic-german-long-intro", "listing"),
        ("gallery-german-og-article-short-intro", "gallery"),
        ("article-wordpress-short-post-no-meta", "article"),
    ],
)
def test_page_kind_of_fixture(case: str, kind: str) -> None:
    url = json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))["meta"]["url"]
    root = parse((FIXTURES / f"{case}.html").read_text(encoding="utf-8"))
    found = pagetype.page_type(read_structured(root, url), root, url)
    assert found.kind == kind, found.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://harbourgazette.example/city/",
        "https://harbourgazette.example/2024/03/11/the-day-in-the-harbour/",
    ],
)
def test_home_page_cards_are_a_listing_at_a_url_without_a_listing_word(url: str) -> None:
    """The cards' excerpts are their own text, not the page's, wherever the page is served."""
    root = parse((FIXTURES / "listing-home-cards.html").read_text(encoding="utf-8"))
    found = pagetype.page_type(read_structured(root, url), root, url)
    assert found.kind == "listing", found.reason


def test_not_an_article_names_the_kind() -> None:
    case = "listing-home-cards"
    url = json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))["meta"]["url"]
    with pytest.raises(NotAnArticle) as caught:
        extract_article(url, (FIXTURES / f"{case}.html").read_bytes(), profile="generic")
    assert caught.value.kind == "not-article"
    assert caught.value.page_type == "listing"  # type: ignore[attr-defined]
    assert "listing" in str(caught.value)


ARTICLE_WITHOUT_MARKUP = """<html lang="de"><head><title>Neue Fähre | Hafenblatt</title></head>
<body><nav><a href="/">Start</a> <a href="/stadt/">Stadt</a></nav><div class="content">
<h1>Neue Fähre für die Inselroute</h1>
<p>Die Reederei stellt im Sommer eine neue Fähre in Dienst, die doppelt so viele Fahrräder
mitnehmen kann wie das alte Schiff und mit Strom aus dem Hafennetz geladen wird.</p>
<p>Nach Angaben des Geschäftsführers kostet das Schiff knapp zwölf Millionen Euro; das Land
trägt ein Drittel der Kosten, weil die Route als Teil des öffentlichen Verkehrs gilt.</p>
<p>Die erste Fahrt ist für den ersten Juni geplant. Bis dahin fährt das alte Schiff nach dem
bekannten Fahrplan, auch an den Feiertagen im Mai.</p></div></body></html>"""


def test_article_without_article_markup_gives_a_record() -> None:
    article = extract_article(
        "https://hafenblatt.example/stadt/neue-faehre",
        ARTICLE_WITHOUT_MARKUP.encode(),
        None,
        profile="generic",
        now=NOW,
    )
    assert article.headline == "Neue Fähre für die Inselroute"
    assert len(article.body) == 3
    assert article.language == "de"


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        (None, []),
        ("", []),
        ("   ", []),
        (
            "Trine Juncher Jørgensen og Tôrtia Reimer-Johansen ",
            ["Trine Juncher Jørgensen", "Tôrtia Reimer-Johansen"],
        ),
        ("Von Anna Fink und Jan Marchart", ["Anna Fink", "Jan Marchart"]),
        ("By John Smith and Jane Doe", ["John Smith", "Jane Doe"]),
        ("Samya Kullab, Vasilisa Stepanenko", ["Samya Kullab", "Vasilisa Stepanenko"]),
        ("Por María López y Juan Pérez", ["María López", "Juan Pérez"]),
        ("Elena Oberholzer (obe)", ["Elena Oberholzer"]),
        ("Автор: Иван Петров и Анна Сидорова", ["Иван Петров", "Анна Сидорова"]),
        ("محمد علي و أحمد حسن", ["محمد علي", "أحمد حسن"]),
        ("Anna Fink, Anna Fink", ["Anna Fink"]),
    ],
)
def test_split_names(byline: str | None, names: list[str]) -> None:
    assert authors.split_names(byline) == names


def test_authors_from_jsonld_people_with_given_and_family_names() -> None:
    page = """<html><head><script type="application/ld+json">{"@type": "NewsArticle",
      "headline": "H", "author": [{"@type": "Person", "givenName": "Anna Giulia",
      "familyName": "Fink"}, [{"@type": "Person", "name": "Jan Marchart"}]]}</script>
      </head><body></body></html>"""
    root = parse(page)
    assert authors.authors(
        read_structured(root, "https://x.example/a"), root, "https://x.example/a"
    ) == [
        "Anna Giulia Fink",
        "Jan Marchart",
    ]


def test_byline_dates_are_not_names() -> None:
    root = parse(
        '<html><body><div class="author">Veröffentlicht am 27.04.24 um 07:39 Uhr</div>'
        '<span class="byline">By Jane Doe</span></body></html>'
    )
    assert authors.byline_authors(root, set()) == ["Jane Doe"]


def test_headline_votes_and_strips_site_names() -> None:
    page = """<html><head><title>Storm hits the coast | The Daily</title>
      <meta property="og:title" content="Storm hits the coast - The Daily">
      <meta property="og:site_name" content="The Daily"></head>
      <body><h1>The Daily</h1><h1>Storm hits the coast</h1></body></html>"""
    root = parse(page)
    assert headline.headline(
        read_structured(root, "https://x.example/"), root, "https://x.example/"
    ) == ("Storm hits the coast")


def test_headline_of_a_page_with_nothing() -> None:
    root = parse("<html><body><p>text</p></body></html>")
    assert (
        headline.headline(read_structured(root, "https://x.example/"), root, "https://x.example/")
        is None
    )


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://x.example/news/2024/05/03/storm.html", date(2024, 5, 3)),
        ("https://x.example/news/20240503-storm", date(2024, 5, 3)),
        ("https://x.example/2024-13-45/storm", None),
        ("https://x.example/story/3000000218734/storm", None),
        ("https://x.example/", None),
    ],
)
def test_url_day(url: str, day: date | None) -> None:
    assert dates.url_day(url) == day


def test_structured_date_beats_a_time_element() -> None:
    page = """<html><head><script type="application/ld+json">{"@type": "NewsArticle",
      "headline": "H", "datePublished": "2012-06-01T10:00:00+00:00"}</script></head>
      <body><time datetime="2024-01-05T08:00:00+00:00">Updated</time></body></html>"""
    root = parse(page)
    url = "https://x.example/news/world-123"
    got = dates.page_date(
        read_structured(root, url), root, url, "published", DateParser((), "UTC"), NOW
    )
    assert got is not None
    assert got.date() == date(2012, 6, 1)


def test_the_date_in_the_url_decides_between_sources() -> None:
    page = """<html><head><meta property="article:published_time" content="2024-03-01T10:00:00Z">
      </head><body><time datetime="2024-02-20T08:00:00+00:00">20 Feb</time></body></html>"""
    root = parse(page)
    url = "https://x.example/2024/02/20/story"
    got = dates.page_date(
        read_structured(root, url), root, url, "published", DateParser((), "UTC"), NOW
    )
    assert got is not None
    assert got.date() == date(2024, 2, 20)


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        (None, (None, None)),
        ("", (None, None)),
        ("Just a caption", ("Just a caption", None)),
        ("Riders in Barcelona, Foto: LAT Images", ("Riders in Barcelona", "LAT Images")),
        ("Lavrov in Moscow. Photo: A. B/TASS", ("Lavrov in Moscow.", "A. B/TASS")),
        ("Пожар в Москве. Фото: РИА Новости", ("Пожар в Москве.", "РИА Новости")),
        ("Die Demo in Hamburg (Bild: Imago/Blaulicht)", ("Die Demo in Hamburg", "Imago/Blaulicht")),
    ],
)
def test_caption_credit(caption: str | None, expected: tuple[str | None, str | None]) -> None:
    assert credits.caption_credit(caption) == expected


@pytest.mark.parametrize(
    ("credit", "expected"),
    [
        ("Illustration by Arina Doe", "Arina Doe"),
        ("Foto: © dpa", "dpa"),
        ("picture alliance / SZ Photo", "picture alliance / SZ Photo"),
        ("Photograph: Jane Doe/Reuters", "Jane Doe/Reuters"),
        ("", None),
    ],
)
def test_strip_label(credit: str, expected: str | None) -> None:
    assert credits.strip_label(credit) == expected


def test_cover_credit_from_image_object_and_from_figure() -> None:
    page = """<html><head><meta property="og:image" content="https://x.example/i/storm-1200x630.jpg">
      <script type="application/ld+json">{"@type": "NewsArticle", "headline": "H",
      "image": {"@type": "ImageObject", "url": "https://x.example/i/storm.jpg",
      "creditText": "Jane Doe/Reuters"}}</script></head><body>
      <figure><img src="/i/storm-800x450.jpg"><figcaption><span>The storm.</span>
      <span>Reuters</span></figcaption></figure></body></html>"""
    root = parse(page)
    url = "https://x.example/a"
    cover = credits.cover_image(read_structured(root, url), root, url)
    assert cover is not None
    assert (cover.url, cover.caption, cover.credit) == (
        "https://x.example/i/storm.jpg",
        "The storm.",
        "Jane Doe/Reuters",
    )
    figure = credits.figures(root, url)[0]
    assert (figure.caption, figure.credit) == ("The storm.", "Reuters")


def test_a_broken_jsonld_script_hides_not_the_others() -> None:
    page = """<html><head><script type="application/ld+json">{"@type": broken</script>
      <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Fine"}</script>
      </head><body></body></html>"""
    root = parse(page)
    assert read_structured(root, "https://x.example/a").article()["headline"] == "Fine"


def test_html_entities_in_structured_data_are_decoded() -> None:
    assert text_module.clean("&quot;Zitat&quot; und mehr") == '"Zitat" und mehr'


BAD_PAGES = {
    "empty": b"",
    "blank": b" \n\t ",
    "not-html": b"%PDF-1.7\n" + bytes(range(256)) * 64,
    "json": b'{"headline": "not a page"}',
    "false-utf8": (
        "<html><head><meta charset='utf-8'></head><body><article><h1>Grüße aus Köln</h1>"
        + (
            "<p>Über die Brücke gingen am Abend viele Menschen, trotz des Regens, um die "
            "Lichter über dem Fluss zu sehen.</p>"
        )
        * 5
        + "</article></body></html>"
    ).encode("latin-1"),
    "over-10mb": b"<html><body><article><h1>Big</h1>" + b"<p>Absatz.</p>" * 800_000 + b"</article>",
    "nested-100000": b"<html><body><h1>Deep</h1>" + b"<div>" * 100_000 + b"x" + b"</div>" * 100_000,
}


BAD_OUTCOMES = {
    "empty": "empty",
    "blank": "empty",
    "not-html": "not-article",
    "json": "not-article",
    "false-utf8": "record",
    "over-10mb": "too-large",
    "nested-100000": "not-article",
}
"""What each bad page gives: an error kind, or "record"."""


def _outcome(name: str) -> str:
    try:
        article = extract_article(
            f"https://x.example/{name}", BAD_PAGES[name], profile="generic", now=NOW
        )
    except ExtractionError as exc:
        return exc.kind
    # Read as declared, as a browser does: the Latin-1 letters become U+FFFD.
    assert article.headline == "Gr\ufffd\ufffde aus K\ufffdln"
    assert article.body  # five equal paragraphs: trafilatura keeps one
    return "record"


@pytest.mark.parametrize("name", sorted(BAD_PAGES))
def test_bad_input_gets_a_clear_outcome(name: str) -> None:
    started = datetime.now(UTC)
    assert _outcome(name) == BAD_OUTCOMES[name]
    assert (datetime.now(UTC) - started).total_seconds() < 30


def test_body_leads_with_the_visible_description_and_drops_byline_and_date_lines() -> None:
    got = body_module.clean_body(
        [
            "Storm hits the coast",
            "Stand: 22.04.2024, 06:00 Uhr",
            "Von Nina Doe",
            "The storm reached the coast at night.",
            "Foto: dpa",
            "Boats in the harbour.",
        ],
        "Storm hits the coast",
        ["Boats in the harbour."],
        ["Nina Doe"],
        lead="A night of wind and rain.",
    )
    assert got == ["A night of wind and rain.", "The storm reached the coast at night."]


def test_visible_lead_needs_the_description_in_the_page() -> None:
    meta = '<meta name="description" content="A night of wind and rain along the whole coast.">'
    shown = parse(
        f"<html><head>{meta}</head><body><p class='lead'>A night of wind and rain "
        "along the whole coast.</p><p>Text.</p></body></html>"
    )
    hidden = parse(f"<html><head>{meta}</head><body><p>Text.</p></body></html>")
    url = "https://x.example/a"
    assert body_module.visible_lead(read_structured(shown, url), shown, url) == (
        "A night of wind and rain along the whole coast."
    )
    assert body_module.visible_lead(read_structured(hidden, url), hidden, url) is None


def test_fill_record_keeps_the_profile_values_and_fills_the_empty_ones() -> None:
    from newscrawl.extraction import parse_page
    from newscrawl.extraction.generic.record import fill_record
    from newscrawl.items import Article

    page = parse_page(
        "https://hafenblatt.example/stadt/neue-faehre",
        ARTICLE_WITHOUT_MARKUP.encode(),
        profile="jmn",
        now=NOW,
    )
    article = Article(headline="The profile's headline")
    filled = fill_record(article, page)
    assert article.headline == "The profile's headline"
    assert "headline" not in filled
    assert article.language == "de"
    assert "language" in filled


def test_a_profile_page_without_alt_headline_is_not_read_by_trafilatura(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The profile knows the body and its language: looking for an alternate headline
    # must not make the generic extractor read the whole body again (a 2x slower page).
    import trafilatura

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("trafilatura ran on a page whose profile reads the body")

    monkeypatch.setattr(trafilatura, "extract", refuse)
    jmn = Path(__file__).resolve().parents[3] / "fixtures" / "jmn"
    expected = json.loads((jmn / "no-alt-headline.json").read_text(encoding="utf-8"))
    record = extract_article(
        "https://jmn.info/no-alt-headline/",
        (jmn / "no-alt-headline.html").read_bytes(),
        profile="jmn",
        now=NOW,
    )
    assert record.headline_alt is None
    assert record.language == expected["record"]["language"] == "en"


def test_fill_record_drops_urls_a_record_may_not_hold() -> None:
    from newscrawl.extraction import parse_page
    from newscrawl.extraction.generic.record import fill_record
    from newscrawl.items import Article

    head = '<link rel="canonical" href="ftp://hafenblatt.example/x">'
    html_text = ARTICLE_WITHOUT_MARKUP.replace("<head>", "<head>" + head)
    page = parse_page("https://hafenblatt.example/a", html_text.encode(), profile="jmn", now=NOW)
    article = Article()
    fill_record(article, page)
    assert article.canonical_url is None


@pytest.mark.parametrize(
    ("markup", "credit"),
    [
        # a figcaption the parser moved out of its figure (an unclosed <source>)
        (
            '<figure><picture><source srcset="/a.webp"><img src="/a.jpg"></picture>'
            "<figcaption>Riders at the start, Foto: LAT Images</figcaption></figure>",
            "LAT Images",
        ),
        # a caption paragraph after the picture's box, the credit in <strong>
        (
            '<div><div class="pic"><img src="/a.jpg"></div><p class="img-description">The '
            "writer in Lima in 2010. | <strong>Jane Doe/dpa</strong></p></div>",
            "Jane Doe/dpa",
        ),
        # a labelled leaf in an unnamed span
        (
            '<figure><img src="/a.jpg"><span><span>Foto: Shutterstock.com</span></span></figure>',
            "Shutterstock.com",
        ),
        # only the image's alt text names the credit
        (
            '<figure><img src="/a.jpg" alt="Traders at the market. (Photo: Gallo Images / Jo Doe)">'
            "</figure>",
            "Gallo Images / Jo Doe",
        ),
        # an alt text that merely describes is no credit
        ('<figure><img src="/a.jpg" alt="An illustration showing light"></figure>', None),
        # a byline inside an author box is not a photo credit
        (
            '<div class="media"><img src="/me.jpg"><span class="author">By Jo Doe</span></div>',
            None,
        ),
    ],
)
def test_figure_credits(markup: str, credit: str | None) -> None:
    root = parse(f"<html><body><article>{markup}</article></body></html>")
    found = credits.figures(root, "https://x.example/a")
    assert next((f.credit for f in found if f.credit), None) == credit


def test_structured_author_fragments_with_brackets_are_not_names() -> None:
    article = {"author": [{"name": "( Image: Getty Images / Cultura RF)"}, {"name": "Emma Doe"}]}
    assert authors.structured_authors(article, set()) == ["Emma Doe"]


def test_structured_author_urls_are_no_names() -> None:
    """A URL given as the name is not split at "/" and ":" into "https", the domain and
    the path's words."""
    article = {"author": {"@type": "Person", "name": "https://news.example/author/anna-smith/"}}
    assert authors.structured_authors(article, set()) == []
    article = {"author": [{"name": "https://news.example/author/x/"}, {"name": "Emma Doe"}]}
    assert authors.structured_authors(article, set()) == ["Emma Doe"]


def test_structured_author_markup_is_removed_before_the_name_is_split() -> None:
    article = {"author": {"@type": "Person", "name": "<a href='/author/anna'>Anna Smith</a>"}}
    assert authors.structured_authors(article, set()) == ["Anna Smith"]


def test_fill_record_reads_a_tree_of_lxml_etree_parser() -> None:
    from newscrawl.extraction import parse_page
    from newscrawl.extraction.generic.record import fill_record
    from newscrawl.items import Article

    crumbs = '<nav class="breadcrumb"><a href="/">Start</a> <a href="/stadt/">Stadt</a></nav>'
    html_text = ARTICLE_WITHOUT_MARKUP.replace("<body>", "<body>" + crumbs)
    page = parse_page("https://hafenblatt.example/a", html_text.encode(), profile="jmn", now=NOW)
    article = Article()
    assert "breadcrumb" in fill_record(article, page)
    assert [c.name for c in article.breadcrumb] == ["Start", "Stadt"]
    assert article.teasers == []  # a profile's empty teaser list is its answer


TEASER_PAGE = """<html><body><article><h1>Storm hits the coast</h1><p>Text.</p></article>
<aside class="related-articles"><h3>Related</h3>
<div class="card"><a href="/2024/03/ferry-timetable/">New ferry timetable from Monday</a>
<p>Two more crossings at rush hour…</p></div>
<div class="card"><a href="https://other.example/2024/x">Elsewhere on another site</a></div>
<div class="card"><a href="/">Home</a></div>
<div class="card"><a href="/storm">Storm hits the coast again</a></div>
</aside>
<div><h2>Read more</h2><ul>
<li><a href="/2024/03/harbour-swim/">Date set for the harbour swim</a></li></ul></div>
</body></html>"""


def test_teasers_from_related_blocks() -> None:
    from newscrawl.extraction.generic.teasers import teasers

    got = teasers(parse(TEASER_PAGE), "https://x.example/storm")
    assert [(t.title, t.url, t.excerpt) for t in got] == [
        (
            "New ferry timetable from Monday",
            "https://x.example/2024/03/ferry-timetable/",
            "Two more crossings at rush hour",
        ),
        ("Date set for the harbour swim", "https://x.example/2024/03/harbour-swim/", None),
    ]


def test_no_teasers_without_a_related_block() -> None:
    from newscrawl.extraction.generic.teasers import teasers

    page = (
        '<html><body><p><a href="/2024/03/other-story/">An other story here</a></p></body></html>'
    )
    assert teasers(parse(page), "https://x.example/storm") == []


@pytest.mark.parametrize(
    "nested",
    [
        '<div class="wp-caption"><img src="/i{n}.jpg"><p class="wp-caption-text">C{n}</p>',
        '<figure class="media"><img src="/i{n}.jpg"><figcaption>Foto: A{n}</figcaption>',
        '<aside class="related"><a href="/2024/{n}/a-story-here">A story here {n}</a>',
    ],
)
def test_deeply_nested_figures_and_blocks_stay_fast(nested: str) -> None:
    closing = "</" + nested[1 : nested.index(" ")] + ">"
    page = "<html><body><h1>T</h1>" + "".join(nested.format(n=n) for n in range(1000))
    page += closing * 1000 + "<p>" + "Text of the story. " * 30 + "</p></body></html>"
    started = datetime.now(UTC)
    with contextlib.suppress(ExtractionError):  # any outcome will do: the time is the point
        extract_article("https://x.example/2024/a", page.encode(), profile="generic", now=NOW)
    assert (datetime.now(UTC) - started).total_seconds() < 5
