"""Field rules on small Sahifa pages, one rule per test (the fixtures show whole pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from newscrawl.extraction import extract_article, fields, parse_page
from newscrawl.extraction.fields import _split_body
from newscrawl.extraction.metadata import jsonld_names
from newscrawl.items import Article
from newscrawl.profiles import Profile, load_profile

URL = "https://jmn.info/a-story/"
NOW = datetime(2016, 3, 25, 9, tzinfo=UTC)
RUSSIAN = "Лавров рассказал, о чем договорились Путин с Керри"
ENGLISH = (
    "The Russian foreign Minister Sergei Lavrov gave a press conference at which he announced"
    " the results of negotiations with the United States."
)


def page(
    entry: str,
    *,
    headline: str = "Lavrov said what Putin agreed with Kerry",
    crumbs: str = '<a href="https://jmn.info/">Home</a>',
    head: str = "",
    after: str = "",
    meta: str = "",
) -> bytes:
    """Return a Sahifa article page with ``entry`` as the text of ``.entry``."""
    return f"""<html><head><meta charset="utf-8">{head}</head><body>
<div id="crumbs">{crumbs}</div>
<article id="the-post" class="post-listing post type-post">
<div class="single-post-thumb"><img src="/lead.jpg"></div>
<div class="post-inner"><h1 class="entry-title"><span itemprop="name">{headline}</span></h1>
<p class="post-meta">{meta}</p>
<div class="entry">{entry}</div></div></article>{after}</body></html>""".encode()


def extract(body: bytes, now: datetime = NOW) -> Article:
    return extract_article(URL, body, profile="jmn", now=now)


def test_current_crumb_that_links_to_the_page_has_no_url() -> None:
    crumbs = (
        '<a href="https://jmn.info/">Home</a> <span class="delimiter">/</span> '
        '<a href="https://jmn.info/category/policy/">Policy</a> <span class="delimiter">/</span> '
        f'<a href="{URL}">Lavrov said</a>'
    )
    record = extract(page(f"<p>{ENGLISH}</p>", crumbs=crumbs))
    assert [(c.name, c.url) for c in record.breadcrumb] == [
        ("Home", "https://jmn.info/"),
        ("Policy", "https://jmn.info/category/policy/"),
        ("Lavrov said", None),
    ]


def test_section_falls_back_to_the_crumb_before_the_current_one() -> None:
    crumbs = (
        '<a href="https://jmn.info/">Home</a> <span class="delimiter">/</span> '
        '<a href="https://jmn.info/category/world/">World</a> <span class="delimiter">/</span> '
        '<span class="current">Lavrov said</span>'
    )
    assert extract(page(f"<p>{ENGLISH}</p>", crumbs=crumbs)).section == "World"


def test_a_teaser_without_a_link_is_left_out() -> None:
    after = """<section id="check-also-box">
<div class="check-also-post"><h2 class="post-title"><a href="/one/">One</a></h2></div>
<div class="check-also-post"><h2 class="post-title"><a>No link</a></h2></div>
<div class="check-also-post"><h2 class="post-title"><a href="/three/"> </a></h2></div>
</section>"""
    record = extract(page(f"<p>{ENGLISH}</p>", after=after))
    assert [(t.title, t.url) for t in record.teasers] == [("One", "https://jmn.info/one/")]


def test_an_image_shown_twice_is_one_image() -> None:
    entry = f'<p><img src="/lead.jpg"></p><p>{ENGLISH}</p><p><img src="/second.jpg"></p>'
    record = extract(page(entry))
    assert [i.url for i in record.images] == [
        "https://jmn.info/lead.jpg",
        "https://jmn.info/second.jpg",
    ]


def test_the_first_credit_line_is_the_credit() -> None:
    entry = f"<p>{ENGLISH}</p><p>Photo: Sergei Guneyev/RIA Novosti</p><p>Photo: TASS</p>"
    assert extract(page(entry)).photo_credit == "Sergei Guneyev/RIA Novosti"


def test_nested_blocks_are_read_once() -> None:
    entry = f"<blockquote><p>{ENGLISH}</p></blockquote><ul><li><p>Second point.</p></li></ul>"
    assert extract(page(entry)).body == [ENGLISH, "Second point."]


def test_a_block_around_an_excluded_one_keeps_its_own_text() -> None:
    entry = '<ul><li>Before the ad <div class="e3lan"><p>Advertising</p></div> and after.</li></ul>'
    assert extract(page(entry)).body == ["Before the ad and after."]


def test_language_comes_from_the_body_not_the_headline() -> None:
    record = extract(page(f"<p>{ENGLISH}</p>", headline="Kerry"))
    assert record.language == "en"


def test_an_alternate_headline_in_the_body_language_stays_in_the_body() -> None:
    russian_body = "Министр иностранных дел России Сергей Лавров провел пресс-конференцию."
    entry = f"<h2>{RUSSIAN}</h2><p>{russian_body}</p>"
    record = extract(page(entry))
    assert record.language == "ru"
    assert record.headline_alt is None
    assert record.body == [RUSSIAN, russian_body]


def test_the_alternate_headline_is_looked_for_in_the_first_blocks_only() -> None:
    profile_page = parse_page(URL, page(""), profile="jmn", now=NOW)
    blocks = ["Read also: Kerry in Moscow", "Read also: Putin", RUSSIAN, ENGLISH]
    body, _credit, alt = _split_body(profile_page, blocks, "en")
    assert alt is None
    assert body == [RUSSIAN, ENGLISH]
    body, _credit, alt = _split_body(profile_page, blocks[1:], "en")
    assert alt is not None
    assert alt.text == RUSSIAN


def test_an_alternate_headline_in_another_script_needs_no_headline_detection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Cyrillic block beside a Latin headline is in another language whatever the
    headline's is: the model reads the block and the body, not the headline."""
    read: list[str | None] = []
    detect = fields.detect_language

    def counting(text: str | None, *args: Any, **kwargs: Any) -> str | None:
        read.append(text)
        return detect(text, *args, **kwargs)

    monkeypatch.setattr(fields, "detect_language", counting)
    record = extract(page(f"<h2>{RUSSIAN}</h2><p>{ENGLISH}</p>"))
    assert record.headline_alt is not None
    assert (record.headline_alt.text, record.headline_alt.lang) == (RUSSIAN, "ru")
    assert record.language == "en"
    assert read == [RUSSIAN, ENGLISH]


def test_a_block_in_the_headline_script_is_compared_with_the_headline_language() -> None:
    german = "Die Bundesregierung hat am Mittwoch neue Regeln beschlossen."
    record = extract(page(f"<h2>{german}</h2><p>{ENGLISH}</p>"))
    assert record.headline_alt is not None
    assert (record.headline_alt.text, record.headline_alt.lang) == (german, "de")
    record = extract(page(f"<h2>{ENGLISH}</h2><p>{ENGLISH}</p>"))
    assert record.headline_alt is None
    assert record.body == [ENGLISH, ENGLISH]


def test_profile_dates_come_before_json_ld() -> None:
    head = """<meta property="article:published_time" content="2016-03-24T15:07:31+03:00">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Lavrov said", "datePublished": "2016-03-20T10:00:00+03:00"}</script>"""
    assert extract(page(f"<p>{ENGLISH}</p>", head=head)).published_at == (
        "2016-03-24T15:07:31+03:00"
    )


@pytest.mark.parametrize(
    "published",
    [
        "2030-03-24T15:07:31+03:00",
        "0001-01-01T00:00:00+03:00",
        "-0044-03-15T12:00:00+00:00",
        "2016-03-26T12:00:00+03:00",
    ],
)
def test_a_date_the_page_cannot_carry_is_passed_over_for_the_next_source(published: str) -> None:
    """A page is not published a day after it was fetched (12:00 in Moscow) nor before 1600."""
    head = f'<meta property="article:published_time" content="{published}">'
    meta = '<span class="tie-date">March 21, 2016</span>'
    record = extract(page(f"<p>{ENGLISH}</p>", head=head, meta=meta))
    assert record.published_at == "2016-03-21T00:00:00+03:00"


def test_a_local_time_labelled_utc_is_a_date_the_page_can_carry() -> None:
    """Published at 11:30 in Moscow, written as 11:30 UTC: 2.5 hours after the crawl
    (09:00 UTC) as written, and still the page's date (an hourly crawl fetches new pages
    within minutes; the offset is the site's mistake)."""
    head = '<meta property="article:published_time" content="2016-03-25T11:30:00+00:00">'
    meta = '<span class="tie-date">March 21, 2016</span>'
    record = extract(page(f"<p>{ENGLISH}</p>", head=head, meta=meta))
    assert record.published_at == "2016-03-25T11:30:00+00:00"


@pytest.mark.parametrize("visible", ["March 21, 2030", "tomorrow", "in 3 days"])
def test_a_visible_date_after_the_crawl_is_no_date(visible: str) -> None:
    meta = f'<span class="tie-date">{visible}</span>'
    assert extract(page(f"<p>{ENGLISH}</p>", meta=meta)).published_at is None


@pytest.mark.parametrize("modified", ["2030-03-24T15:07:31+03:00", "0001-01-01T00:00:00+03:00"])
def test_a_modification_date_the_page_cannot_carry_is_no_date(modified: str) -> None:
    head = f'<meta property="article:modified_time" content="{modified}">'
    assert extract(page(f"<p>{ENGLISH}</p>", head=head)).modified_at is None


def test_a_date_the_profile_passed_over_is_not_filled_in_by_the_generic_extractor() -> None:
    """Year 1 (a database's empty date) is no date of the page for the generic extractor
    either: filling the empty field from it once brought the date back."""
    head = '<meta property="article:published_time" content="0001-01-01T00:00:00+03:00">'
    assert extract(page(f"<p>{ENGLISH}</p>", head=head)).published_at is None


@pytest.mark.parametrize(
    ("field", "profile_meta", "other_meta"),
    [
        ("published_at", "property='article:published_time'", "name='dcterms.issued'"),
        ("modified_at", "property='article:modified_time'", "name='dcterms.modified'"),
    ],
)
def test_the_fill_takes_the_generic_extractors_next_date_after_one_the_page_cannot_carry(
    field: str, profile_meta: str, other_meta: str
) -> None:
    """The profile reads neither Dublin Core date; the generic extractor reads it after the
    year-1 date, which it passes over as the profile does."""
    head = (
        f'<meta {profile_meta} content="0001-01-01T00:00:00+03:00">'
        f'<meta {other_meta} content="2016-03-21T10:00:00+03:00">'
    )
    record = extract(page(f"<p>{ENGLISH}</p>", head=head))
    assert getattr(record, field) == "2016-03-21T10:00:00+03:00"


def test_crawled_at_is_written_in_utc() -> None:
    moscow = NOW.astimezone(timezone(timedelta(hours=3)))
    assert extract(page(f"<p>{ENGLISH}</p>"), now=moscow).crawled_at == (
        "2016-03-25T09:00:00+00:00"
    )


def test_visible_date_is_read_in_the_site_timezone() -> None:
    meta = '<span class="tie-date">March 21, 2016</span>'
    assert extract(page(f"<p>{ENGLISH}</p>", meta=meta)).published_at == (
        "2016-03-21T00:00:00+03:00"
    )


def test_jsonld_names_reads_people_and_strings() -> None:
    value = [{"@type": "Person", "name": "Irina Sokolova"}, "Pavel Orlov and Anna Ivanova", 3]
    assert jsonld_names(value) == ["Irina Sokolova", "Pavel Orlov", "Anna Ivanova"]
    assert jsonld_names({"@type": "Person", "name": "Irina Sokolova"}) == ["Irina Sokolova"]
    assert jsonld_names(None) == []


def test_jsonld_names_strip_markup_and_leave_out_urls() -> None:
    value = [
        {"@type": "Person", "name": "<a href='/author/dvolkov/'>Dmitry Volkov</a>"},
        {"@type": "Person", "name": "https://jmn.info/author/ipetrov/"},
        "https://jmn.info/author/asidorova/",
    ]
    assert jsonld_names(value) == ["Dmitry Volkov"]


def test_a_portal_without_a_body_selector_reads_trafilatura_without_the_headline() -> None:
    """A portal profile with no ``body.container``: trafilatura reads the body, and the
    leading lines that only repeat the headline are not body."""
    data = {**load_profile("jmn").data, "body": {"exclude": []}}
    profile = Profile(name="no-body-selector", kind="portal", data=data)
    headline = "Lavrov said what Putin agreed with Kerry"
    html = f"""<html><head><title>{headline}</title></head><body>
<article id="the-post" class="post type-post"><h1 class="entry-title">{headline}</h1>
<div class="content"><p>{headline}</p><p>{ENGLISH} {ENGLISH}</p><p>{ENGLISH}</p>
<p>Also Moscow and Washington agree that there is no alternative to the Minsk agreements.</p>
</div></article></body></html>""".encode()
    record = extract_article(URL, html, None, profile, NOW)
    assert record.body
    assert record.body[0].startswith("The Russian foreign Minister")


def test_a_profile_is_planned_once_and_a_changed_profile_anew() -> None:
    """The plan (selector lists, patterns, teaser groups) is read once per profile; a
    profile with other data, even under the same name, reads its own."""
    jmn = load_profile("jmn")
    assert fields.plan_of(jmn) is fields.plan_of(jmn)
    assert fields.plan_of(jmn).selectors("body", "container") == tuple(
        jmn.selectors("body", "container")
    )
    data = {**jmn.data, "body": {**jmn.data["body"], "container": [".story"]}}
    other = Profile(jmn.name, jmn.kind, data)
    assert fields.plan_of(other).selectors("body", "container") == (".story",)
    assert fields.plan_of(jmn).selectors("body", "container") != (".story",)
    body = page("<p>" + ENGLISH + "</p>").replace(b'class="entry"', b'class="story"')
    assert extract_article(URL, body, profile=other, now=NOW).body == [ENGLISH]


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ('"isAccessibleForFree": false', False),
        ('"isAccessibleForFree": "False"', False),
        ('"isAccessibleForFree": "https://schema.org/True"', True),
        ('"isAccessibleForFree": "maybe"', None),
        ('"headline": "no word on access"', None),
    ],
)
def test_free_access_is_what_the_jsonld_article_declares(
    declared: str, expected: bool | None
) -> None:
    head = (
        '<script type="application/ld+json">{"@context": "https://schema.org", '
        f'"@type": "NewsArticle", {declared}}}</script>'
    )
    record = extract(page(f"<p>{ENGLISH}</p>", head=head))
    assert record.free_access is expected
    assert record.body == [ENGLISH]  # a paywalled page is still a record, flagged


def test_free_access_of_another_object_says_nothing_of_the_article() -> None:
    head = (
        '<script type="application/ld+json">{"@context": "https://schema.org", '
        '"@type": "WebSite", "isAccessibleForFree": false}</script>'
    )
    assert extract(page(f"<p>{ENGLISH}</p>", head=head)).free_access is None
