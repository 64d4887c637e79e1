"""The page type's measure of running text is fair to every script: a Chinese, Japanese or
Korean article of short paragraphs is an article, and a page of headline links in those
scripts is still a listing."""

from __future__ import annotations

import pytest
from lxml import html

from newscrawl.extraction.generic import pagetype
from newscrawl.extraction.generic.structured import read_structured

URL = "https://harbour.example/city/2024/03/10/ferry/"
CHINESE = "新航线使用两艘电动渡轮，每艘可搭载三百名乘客和六十辆自行车，单程航行时间约为二十五分钟。"
HEADLINE = "老城菜市场改造工程本周启动，预计今年年底前完工并重新开放"


def _paragraph(text: str) -> html.HtmlElement:
    return html.fragment_fromstring(f"<p>{text}</p>")


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("x" * 80, 80),
        ("x" * 79, 0),
        ("渡" * 27, 81),  # Han characters weigh 3
        ("渡" * 26, 0),
        ("배" * 40, 80),  # Hangul syllables weigh 2
        ("배" * 39, 0),
        ("フ" * 40, 80),  # kana weigh 2
        ("<a href='/a'>" + "渡" * 14 + "</a>" + "渡" * 13, 0),  # more than half links
        ("<a href='/a'>" + "渡" * 13 + "</a>" + "渡" * 14, 81),
        (CHINESE, 126),  # 41 Han characters and 3 full-width punctuation marks
    ],
)
def test_paragraph_length_weighs_each_script_fairly(text: str, length: int) -> None:
    assert pagetype.paragraph_length(_paragraph(text)) == length


def _headline_links(headline: str, count: int = 8) -> str:
    return "".join(
        f"<h3><a href='/city/2024/03/0{i}/story-{i}/'>{headline}</a></h3>" for i in range(count)
    )


def _article(paragraphs: list[str], headline: str, lang: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html lang='{lang}'><head><title>{headline}</title>"
        "<meta property='og:type' content='article'>"
        "<meta property='article:published_time' content='2024-03-10T08:30:00+08:00'>"
        f"</head><body><article><h1>{headline}</h1>{body}</article>"
        f"<aside>{_headline_links(HEADLINE)}</aside></body></html>"
    )


JAPANESE = [
    "旧市街の桟橋と東島を結ぶ新しいフェリー航路が、四月一日に開通すると市の交通局が発表した。",
    "電気で走る二隻の船が使われ、一隻に乗客三百人と自転車六十台を載せることができるという。",
    "これまで住民が東島へ行くには海の橋を回る必要があり、朝の混雑時には一時間以上かかっていた。",
    "運賃は一人八百円で、学生と高齢者は半額になり、定期券は三月下旬から売り出される予定だ。",
    "島の商店は観光客が増えると歓迎したが、桟橋の周りに駐車場が足りないと心配する住民もいる。",
]


def test_a_japanese_article_of_short_paragraphs_is_an_article() -> None:
    assert all(len(p) < pagetype.MIN_PARAGRAPH for p in JAPANESE)
    root = html.document_fromstring(_article(JAPANESE, "新しいフェリー航路が開通へ", "ja"))
    found = pagetype.page_type(read_structured(root, URL), root, URL)
    assert found.kind == pagetype.ARTICLE, found.reason


def test_a_page_of_chinese_headline_links_is_a_listing() -> None:
    root = html.document_fromstring(
        "<html lang='zh'><head><title>城市新闻</title></head>"
        f"<body><main>{_headline_links(HEADLINE)}</main></body></html>"
    )
    found = pagetype.page_type(read_structured(root, URL), root, URL)
    assert found.kind == pagetype.LISTING, found.reason


EXCERPT = (
    "The harbour authority approved a new ferry schedule that adds two evening crossings "
    "on weekdays from June onwards, after a year of complaints from the islands."
)
SECTION_URL = "https://harbour.example/2024/03/the-week-in-the-harbour/"


def _card(i: int, layout: str) -> str:
    href = f"/city/2024/03/0{i}/story-{i}/"
    title = f"Story number {i} of the week in the harbour"
    if layout == "article":  # headline, excerpt, "Read more"
        return (
            f"<article class='post'><h2><a href='{href}'>{title}</a></h2><p>{EXCERPT}</p>"
            f"<a href='{href}'>Read more</a></article>"
        )
    if layout == "list item, two paragraphs":
        return f"<li><h3><a href='{href}'>{title}</a></h3><p>{EXCERPT}</p><p>{EXCERPT}</p></li>"
    if layout == "link around the card":
        return f"<div><a href='{href}'><h3>{title}</h3><p>{EXCERPT}</p></a></div>"
    # the excerpt in a box of its own beside the headline's
    return (
        f"<div class='card'><div class='head'><h3><a href='{href}'>{title}</a></h3></div>"
        f"<div class='text'><p>{EXCERPT}</p></div></div>"
    )


@pytest.mark.parametrize(
    "layout", ["article", "list item, two paragraphs", "link around the card", "nested boxes"]
)
def test_a_section_page_of_excerpt_cards_is_a_listing(layout: str) -> None:
    """Excerpts of 80 characters and more under each headline are the cards' text: the
    page, at a URL with no listing word, has none of its own."""
    cards = "".join(_card(i, layout) for i in range(6))
    root = html.document_fromstring(
        "<html lang='en'><head><title>The week in the harbour</title></head><body><main>"
        f"<h1>The week in the harbour</h1><ul>{cards}</ul></main></body></html>"
    )
    found = pagetype.page_type(read_structured(root, SECTION_URL), root, SECTION_URL)
    assert found.kind == pagetype.LISTING, found.reason


STORY = "".join(
    f"<p>{text}</p>"
    for text in (
        "The harbour authority approved a new ferry schedule that adds two evening crossings "
        "on weekdays from June onwards, after a year of complaints from the islands.",
        "Islanders who work in town had asked for a later boat for years; the last crossing now "
        "leaves at eleven, and a night boat runs on Fridays and Saturdays through the summer.",
        "The operator said the extra crossings would cost about half a million a year, paid "
        "for by a small rise in the fares for cars and a grant from the regional government.",
    )
)


@pytest.mark.parametrize(
    "page",
    [
        # a state of the page on <body>, not a consent dialog of its own
        f"<body class='single cookies-not-set gdpr-applies'><h1>Ferries</h1>{STORY}</body>",
        # an opinion piece whose box a class calls a comment: it holds the headline
        f"<body><div class='comment'><h1>Ferries</h1>{STORY}</div></body>",
    ],
)
def test_page_states_and_opinion_boxes_are_not_walls_or_comments(page: str) -> None:
    root = html.document_fromstring(f"<html lang='en'><head><title>Ferries</title></head>{page}")
    found = pagetype.page_type(read_structured(root, URL), root, URL)
    assert found.kind == pagetype.ARTICLE, found.reason


def test_readers_comments_are_not_the_pages_text() -> None:
    comments = "".join(
        f"<li class='comment'><div class='comment-content'>{p}</div></li>"
        for p in STORY.split("</p>")[:3]
    )
    root = html.document_fromstring(
        "<html lang='en'><head><title>Comments</title></head><body><h1>Ferries</h1>"
        f"<ol class='comment-list'>{comments}</ol></body></html>"
    )
    found = pagetype.page_type(read_structured(root, URL), root, URL)
    assert found.kind != pagetype.ARTICLE, found.reason


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/city/ferry-timetable/seite/2/", pagetype.ARTICLE),  # a later page of an article
        ("/tag/ferries/page/2/", pagetype.LISTING),  # a listing word says more than a date
    ],
)
def test_a_page_number_with_a_publication_time(path: str, kind: str) -> None:
    url = f"https://harbour.example{path}"
    root = html.document_fromstring(
        "<html lang='en'><head><title>Ferries</title><meta property='og:type' content='article'>"
        "<meta property='article:published_time' content='2024-03-10T08:30:00+01:00'>"
        f"</head><body><h1>Ferries</h1>{STORY}</body></html>"
    )
    assert pagetype.page_type(read_structured(root, url), root, url).kind == kind


def test_a_story_teaser_inside_a_paywall_box_under_its_headline_is_an_article() -> None:
    """The wall rule refuses a page whose heading and text are all the wall's; a story's
    headline above the box says the page is the story, cut short."""
    root = html.document_fromstring(
        "<html lang='en'><head><title>Ferries</title><meta property='og:type' content='article'>"
        "</head><body><h1>Night ferry returns</h1>"
        f"<div class='paywall'>{STORY}<p><a href='/subscribe/'>Subscribe</a> to keep reading.</p>"
        "</div></body></html>"
    )
    found = pagetype.page_type(read_structured(root, URL), root, URL)
    assert found.kind == pagetype.ARTICLE, found.reason
