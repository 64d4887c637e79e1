"""``newscrawl.profiles.suggest``: a profile induced from a sample of one portal's pages."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from newscrawl.extraction import TooLarge, extract_page, parse_page
from newscrawl.extraction.generic.record import generic_page
from newscrawl.profiles import (
    PROFILES_DIR_ENV,
    Profile,
    file_problems,
    forget_profiles,
    load_profile,
)
from newscrawl.profiles import suggest as suggest
from newscrawl.profiles.check import profile_problems
from newscrawl.profiles.suggest import (
    SamplePage,
    SuggestError,
    article_links,
    compare_records,
    date_format,
    outermost_excludes,
    read_pages,
    suggest_profile,
    with_tags,
    with_tags_in_group,
)
from tests.bench_support import load_bench
from tests.conftest import attribute_flood

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sahifa_pages() -> list[SamplePage]:
    """Twenty-four article pages of the generated Sahifa-like portal, on news.example."""
    module: ModuleType = load_bench("portal")
    portal = module.generate_portal(40, seed=5)
    base = "https://news.example"
    routes, _ = module.build_routes(portal, base)
    return [
        SamplePage(f"p{n}.html", base + post.path, b"".join(routes[post.path.encode()].body))
        for n, post in enumerate(portal.posts[:24])
    ]


# A portal on no theme: its own classes, a promo box inside the text, a visible date.
OTHER = """<!doctype html><html lang="en"><head><title>{title} - Daily Planet</title>
<link rel="canonical" href="https://planet.example/news/{n}/">
<link rel="alternate" type="application/rss+xml" href="https://planet.example/rss">
<meta property="og:type" content="article">
<meta property="og:image" content="https://planet.example/img/{n}.jpg">
<meta property="article:published_time" content="2024-{month:02d}-1{n}T08:30:00{offset}">
</head><body><header id="masthead"><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
</header><main id="content"><div class="story">
<div class="trail"><a href="/">Home</a> › <a href="/news/">News</a> › <span>{title}</span></div>
<h1 class="story-title">{title}</h1>
<div class="byline">By <a class="writer" href="/staff/{author}/">{Author}</a></div>
<div class="stamp">1{n} {month_name} 2024</div>
<figure class="lead"><img class="lead-img" src="/img/{n}-800x450.jpg" alt="">
<figcaption><span class="cap">Crowds by the river, day {n}</span>
<span class="credit">Jo Doe / AP</span></figcaption></figure>
<div id="story-body">
<p>{title} was the talk of the town on {weekday}, as people gathered in the square to hear
what the mayor had to say about it, and many of them stayed until the evening to talk it over
with their neighbours, some of whom had come from the villages around the city.</p>
<aside class="promo"><p>Subscribe to the Daily Planet for more stories like this one.</p></aside>
<p>Officials said that the matter would be looked at again next {weekday} afternoon.</p>
<p>Residents of district {n} said they had waited for this for a long time already, and that
they hoped the work would be finished before the winter, when the roads are hard to use and
the buses often run late because of the snow that falls on the hills above the town.</p>
</div>
<div class="pager"><a rel="next" href="/news/{next}/">Next story: {next_title}</a></div>
<section id="more"><h2>More from the city</h2>
<div class="card"><h3><a href="/news/{next}/">{next_title}</a></h3>
<p class="card-text">The next story tells how the city prepared for the festival weekend.</p>
</div>
<div class="card"><h3><a href="/news/{prev}/">{prev_title}</a></h3>
<p class="card-text">The other story tells how the city council met to talk about money.</p>
</div>
</section></div></main><footer><p>© Daily Planet</p></footer></body></html>"""

TITLES = [
    "Council approves the new bridge",
    "Harbour festival draws record crowds",
    "Library extends its opening hours",
    "Tram line to reach the airport",
    "School wins the regional robotics cup",
    "Market square gets new trees",
]


def other_pages(
    host: str = "planet.example", offsets: tuple[str, ...] = ("+01:00",)
) -> list[SamplePage]:
    """Six pages of the no-theme portal on ``host``, dated with the ``offsets`` in turn."""
    pages = []
    for n, title in enumerate(TITLES):
        month = 1 + 6 * (n % 2) if len(offsets) > 1 else 3
        author = ["ann", "bob", "cy"][n % 3]
        html = OTHER.format(
            title=title,
            n=n,
            month=month,
            month_name=datetime(2024, month, 1).strftime("%B"),
            offset=offsets[n % len(offsets)],
            author=author,
            Author=f"{author.title()} Smith",
            weekday=["Monday", "Tuesday"][n % 2],
            next=(n + 1) % len(TITLES),
            next_title=TITLES[(n + 1) % len(TITLES)],
            prev=(n - 1) % len(TITLES),
            prev_title=TITLES[(n - 1) % len(TITLES)],
        ).replace("planet.example", host)
        pages.append(SamplePage(f"s{n}.html", f"https://{host}/news/{n}/", html.encode()))
    return pages


def test_sahifa_pages_extend_the_theme_found_by_its_markup_not_its_domain(
    sahifa_pages: list[SamplePage],
) -> None:
    suggestion = suggest_profile(sahifa_pages[:12])
    data = tomllib.loads(suggestion.toml())
    assert data["extends"] == "sahifa"
    assert data["site"]["domains"] == ["news.example"]  # a host no profile knows
    assert "body" not in data  # the theme's selectors are not repeated
    assert "article markers match 12/12" in suggestion.toml()


def test_a_theme_in_the_users_folder_is_found_by_its_own_article_markers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "storyline.toml").write_text(
        'name = "storyline"\nkind = "theme"\n[fields]\narticle = ["div.story > h1.story-title"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(PROFILES_DIR_ENV, str(tmp_path))
    forget_profiles()
    try:
        data = tomllib.loads(suggest_profile(other_pages()).toml())
        assert data["extends"] == "storyline"
    finally:
        forget_profiles()


def test_pages_no_theme_matches_get_no_extends() -> None:
    data = tomllib.loads(suggest_profile(other_pages()).toml())
    assert "extends" not in data
    assert data["fields"]["headline"] == ["#content h1.story-title"]


def test_with_no_theme_and_no_marker_found_the_generic_markers_are_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The suggestion had no fields.article then: every page without JSON-LD Article
    # was "not an article" for the profile it wrote.
    monkeypatch.setattr(suggest, "induce_article_marker", lambda pages, headline: None)
    text = suggest_profile(other_pages(), themes=[]).toml()
    data = tomllib.loads(text)
    assert data["fields"]["article"] == load_profile("generic").selectors("fields", "article")
    assert "# no marker found that the article pages have" in text
    path = tmp_path / "planet.toml"
    path.write_text(text, encoding="utf-8")
    assert file_problems(path) == []


def test_with_no_theme_the_induced_profile_reads_unseen_pages_as_the_theme_does(
    sahifa_pages: list[SamplePage],
) -> None:
    suggestion = suggest_profile(sahifa_pages[:12], themes=[])
    data = tomllib.loads(suggestion.toml())
    assert "extends" not in data
    profile = Profile(suggestion.name, "portal", data)
    # The hand-written selectors, with the portal's site facts (languages decide dates and
    # the alternate headline's language), as a portal file extending the theme has them.
    sahifa = load_profile("sahifa")
    reference = Profile("reference", "portal", {**sahifa.data, "site": data["site"]})
    ours, theirs = [], []
    for sample in sahifa_pages[12:]:
        ours.append(
            dataclasses.asdict(extract_page(parse_page(sample.url, sample.body, profile=profile)))
        )
        theirs.append(
            dataclasses.asdict(extract_page(parse_page(sample.url, sample.body, profile=reference)))
        )
    agreement = compare_records(ours, theirs)
    low = {name: a.examples for name, a in agreement.items() if a.rate < 1}
    assert not low


def test_selectors_on_a_portal_of_no_theme_are_its_own_ids_and_classes() -> None:
    suggestion = suggest_profile(other_pages(), themes=[])
    data = tomllib.loads(suggestion.toml())
    assert data["fields"]["headline"] == ["#content h1.story-title"]
    assert data["body"]["container"] == ["#story-body"]
    assert "aside.promo" in data["body"]["exclude"]
    assert data["fields"]["published_at_visible"] == ["#content div.stamp"]
    assert data["discovery"]["feeds"] == ["https://planet.example/rss"]
    assert data["breadcrumb"]["container"] == ["#content div.trail"]
    assert data["images"]["lead"] == ["#content img.lead-img"]  # the og:image, at another size
    assert data["images"]["lead_caption"] == ["#content span.cap"]
    assert data["images"]["lead_credit"] == ["#content span.credit"]
    # The cards are teasers; the rel=next link is the pager, not a teaser.
    assert data["teasers"] == [
        {
            "nodes": "#more div.card",  # the tag every card has: see with_tags
            "title": "h3 a",
            "url": "h3 a::attr(href)",
            "excerpt": "p.card-text",
        }
    ]


def test_the_lead_image_credit_the_page_marks_apart_reaches_the_record() -> None:
    pages = other_pages()
    data = tomllib.loads(suggest_profile(pages, themes=[]).toml())
    profile = Profile("planet", "portal", data)
    record = extract_page(parse_page(pages[0].url, pages[0].body, profile=profile), fill=False)
    assert record.images[0].caption == "Crowds by the river, day 0"
    assert record.images[0].credit == "Jo Doe / AP"
    assert record.photo_credit == "Jo Doe / AP"


def test_every_induced_value_says_how_it_agreed_and_the_profile_passes_its_checks() -> None:
    text = suggest_profile(other_pages(), themes=[]).toml()
    data = tomllib.loads(text)
    assert profile_problems(data) == []
    lines = text.splitlines()
    for key in ("headline =", "container =", "published_at_visible =", "authors ="):
        index = next(i for i, line in enumerate(lines) if line.startswith(key))
        assert lines[index - 1].startswith("# agrees on "), (key, lines[index - 1])
    assert "format %d %B %Y" in text


def test_pages_of_two_sites_are_refused_naming_both() -> None:
    pages = other_pages()[:4] + other_pages("elsewhere.example")[:2]
    with pytest.raises(
        SuggestError, match=r"2 different sites: planet\.example \(4 pages\), elsewhere"
    ):
        suggest_profile(pages)


def test_a_name_that_is_not_a_profile_name_is_refused() -> None:
    # suggest_profile promises a profile that passes its checks; name = "My Site" does not.
    with pytest.raises(SuggestError, match=r"profile 'My Site' is not allowed"):
        suggest_profile(other_pages(), name="My Site")


def test_too_few_article_pages_are_refused() -> None:
    with pytest.raises(SuggestError, match="only 2 of 2 pages are articles"):
        suggest_profile(other_pages()[:2])


@pytest.mark.parametrize(
    ("offsets", "zone"),
    [
        (("+01:00",), "Etc/GMT-1"),  # one offset all year: that offset, exactly
        (("+00:00",), "UTC"),
        (("+01:00", "+02:00"), None),  # winter and summer time: a region zone
    ],
    ids=["fixed-offset", "utc", "summer-time"],
)
def test_the_timezone_comes_from_the_offsets_of_the_dates(
    offsets: tuple[str, ...], zone: str | None
) -> None:
    data = tomllib.loads(suggest_profile(other_pages(offsets=offsets), themes=[]).toml())
    found = data["site"]["timezone"]
    if zone is not None:
        assert found == zone
    else:
        from zoneinfo import ZoneInfo

        winter = datetime(2024, 1, 15, tzinfo=ZoneInfo(found)).utcoffset()
        summer = datetime(2024, 7, 15, tzinfo=ZoneInfo(found)).utcoffset()
        assert (winter, summer) == (timedelta(hours=1), timedelta(hours=2))


def test_date_format_names_the_format_every_date_is_written_in() -> None:
    assert date_format(["11 March 2024", "2 July 2024"]) == "%d %B %Y"
    assert date_format(["2024-03-11 08:30"]) == "%Y-%m-%d %H:%M"
    assert date_format(["next Tuesday"]) is None


def _write(folder: Path, pages: list[SamplePage], manifest: bool) -> None:
    urls: dict[str, Any] = {}
    for page in pages:
        (folder / page.name).write_bytes(page.body)
        urls[page.name] = page.url
    if manifest:
        (folder / "manifest.json").write_text(json.dumps(urls), encoding="utf-8")


def test_a_page_folder_gives_urls_from_its_manifest_else_the_canonical_link(tmp_path: Path) -> None:
    pages = other_pages()
    _write(tmp_path, pages[:3], manifest=True)
    (tmp_path / "manifest.json").write_text(
        json.dumps({pages[0].name: "https://planet.example/moved/"}), encoding="utf-8"
    )
    read = {p.name: p.url for p in read_pages(tmp_path)}
    assert read[pages[0].name] == "https://planet.example/moved/"
    assert read[pages[1].name] == "https://planet.example/news/1/"  # its canonical link


def test_a_page_with_no_url_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "bare.html").write_text("<html><body><h1>Hi</h1></body></html>", encoding="utf-8")
    with pytest.raises(SuggestError, match=r"bare\.html: no URL for this page"):
        read_pages(tmp_path)


def test_a_page_past_the_markup_limits_is_refused_before_its_url_is_read(
    tmp_path: Path,
) -> None:
    flood = attribute_flood()  # 1,001 attributes: past the parser's limit
    (tmp_path / "flood.html").write_text(
        f'<html><head><link rel="canonical" href="https://planet.example/x/"></head>'
        f"<body><p {flood}>x</p></body></html>",
        encoding="utf-8",
    )
    with pytest.raises(SuggestError, match=r"flood\.html: an element has 1001 attributes"):
        read_pages(tmp_path)
    with pytest.raises(TooLarge):
        article_links("https://planet.example/", (tmp_path / "flood.html").read_bytes(), 5)


def test_records_are_compared_field_by_field() -> None:
    ours = [{"headline": "A  title", "teasers": [{"url": "b"}, {"url": "a"}]}, None]
    theirs = [{"headline": "a title", "teasers": [{"url": "a"}, {"url": "b"}]}, {"headline": "x"}]
    agreement = compare_records(ours, theirs, ["one", "two"])
    assert (agreement["headline"].agree, agreement["headline"].total) == (1, 2)
    assert agreement["headline"].examples == ['two: null != "x"']
    assert agreement["teasers"].rate == 1.0


def _without_lead_figure(pages: list[SamplePage], count: int, og_image: bool) -> list[SamplePage]:
    """Return ``pages`` with the lead figure (and, unless ``og_image``, the og:image) taken
    out of the first ``count``."""
    changed = []
    for n, page in enumerate(pages):
        html = page.body.decode()
        if n < count:
            start, end = html.index('<figure class="lead">'), html.index("</figure>") + 9
            html = html[:start] + html[end:]
            if not og_image:
                html = re.sub(r'<meta property="og:image"[^>]*>', "", html)
        changed.append(dataclasses.replace(page, body=html.encode()))
    return changed


def test_fields_the_generic_extractor_never_adds_to_are_the_profiles_answer() -> None:
    # Two pages have no image at all: the profile finds none, nor does the generic
    # extractor. Its images are then the profile's answer, not filled in (the fill read the
    # whole page for nothing), and the comment says on how many pages that rests.
    pages = _without_lead_figure(other_pages(), 2, og_image=False)
    text = suggest_profile(pages, themes=[]).toml()
    data = tomllib.loads(text)
    assert "images" in data["fill"]["skip"]
    assert "headline" not in data["fill"]["skip"]  # found on every page: no evidence
    assert "headline_alt" not in data["fill"]["skip"]  # never found by the profile
    lines = text.splitlines()
    comment = lines[lines.index("[fill]") + 1]
    assert "images on 2" in comment


def test_a_field_the_generic_extractor_adds_to_is_filled_in() -> None:
    # Two pages show no lead figure but declare an og:image: the generic fill gives it
    # where the profile's selectors find nothing, so the profile must keep being filled.
    pages = _without_lead_figure(other_pages(), 2, og_image=True)
    data = tomllib.loads(suggest_profile(pages, themes=[]).toml())
    assert "images" not in data.get("fill", {}).get("skip", [])
    profile = Profile("planet", "portal", data)
    record = extract_page(parse_page(pages[0].url, pages[0].body, profile=profile))
    assert record.images[0].url == "https://planet.example/img/0.jpg"


def _contexts(*bodies: str) -> list[tuple[Any, Any]]:
    """Return (root, page) of each HTML body, parsed as the suggestion parses pages."""
    pages = [
        parse_page(f"https://a.example/{n}/", b.encode(), profile="generic")
        for n, b in enumerate(bodies)
    ]
    return [(page.selector.root, page) for page in pages]


CARDS = (
    '<html><body><div id="more"><{tag} class="card"><h2 class="t"><a href="/1/">One</a></h2>'
    '</{tag}><{tag} class="card"><h2 class="t"><a href="/2/">Two</a></h2></{tag}></div>'
    '<p class="card">a card outside the block</p></body></html>'
)


def test_a_step_of_classes_alone_gets_the_tag_its_elements_have_on_every_page() -> None:
    # "#more .card" is looked up among every class attribute of the page; "#more div.card"
    # is tested within #more, name first. Both select the same cards on the sample.
    contexts = _contexts(CARDS.format(tag="div"), CARDS.format(tag="div"))
    assert with_tags("#more .card", contexts) == "#more div.card"
    assert with_tags(".t a::attr(href)", contexts) == "h2.t a::attr(href)"
    assert with_tags("#more div.card", contexts) == "#more div.card"
    assert with_tags("xpath://*[@class='card']", contexts) == "xpath://*[@class='card']"


def test_a_class_inside_a_pseudo_class_is_no_step_and_is_left_as_it_is() -> None:
    # "h2:not( .card )" split at spaces has a part ".card" that is no step of its own:
    # the selector up to it does not compile. It is left as written, not an error.
    contexts = _contexts(CARDS.format(tag="div"))
    assert with_tags("#more h2:not( .card )", contexts) == "#more h2:not( .card )"


def test_a_step_whose_elements_differ_in_tag_keeps_its_classes_alone() -> None:
    contexts = _contexts(CARDS.format(tag="div"), CARDS.format(tag="li"))
    assert with_tags("#more .card", contexts) == "#more .card"
    # Selecting nothing anywhere, a selector says nothing of its tags: left as it is.
    assert with_tags("#none .card", contexts) == "#none .card"


def test_a_step_reaching_elements_of_two_tags_on_one_page_keeps_its_classes_alone() -> None:
    # The cards of the block are divs, but ".card" from the root also reaches the
    # <p class="card"> outside it: "div.card" would lose it.
    contexts = _contexts(CARDS.format(tag="div"))
    assert with_tags(".card", contexts) == ".card"


def test_teaser_groups_name_tags_for_their_cards_and_the_cards_own_selectors() -> None:
    contexts = _contexts(CARDS.format(tag="div"), CARDS.format(tag="div"))
    group = {"nodes": "#more .card", "title": ".t a", "url": ".t a::attr(href)"}
    assert with_tags_in_group(group, contexts) == {
        "nodes": "#more div.card",
        "title": "h2.t a",
        "url": "h2.t a::attr(href)",
    }


PROMO = (
    '<html><body><div id="text"><p>Text.</p><aside class="promo">'
    '<span class="label">Advert</span><a class="go" href="/x/">Go</a></aside>{outside}'
    "</div></body></html>"
)


def test_an_exclude_inside_another_is_left_out() -> None:
    # The label and the link are inside the promo box on every page: excluding the box
    # leaves them out already, and their queries would only cost time on every page.
    contexts = _contexts(PROMO.format(outside=""), PROMO.format(outside=""))
    containers = [(root.find(".//div"), page) for root, page in contexts]
    assert outermost_excludes(["a.go", "aside.promo", "span.label"], containers) == ["aside.promo"]


def test_an_exclude_found_outside_the_others_on_one_page_is_kept() -> None:
    outside = '<span class="label">Sponsored</span>'
    contexts = _contexts(PROMO.format(outside=""), PROMO.format(outside=outside))
    containers = [(root.find(".//div"), page) for root, page in contexts]
    assert outermost_excludes(["a.go", "aside.promo", "span.label"], containers) == [
        "aside.promo",
        "span.label",
    ]


GERMAN_TITLES = [
    "Stadtrat genehmigt die neue Brücke über den Fluss",
    "Hafenfest zieht so viele Besucher an wie nie zuvor",
    "Bibliothek verlängert ihre Öffnungszeiten am Wochenende",
    "Straßenbahnlinie soll bald bis zum Flughafen fahren",
]


def translated_pages() -> list[SamplePage]:
    """The no-theme portal's six pages, the first four linking their German translation
    (declared as an ``hreflang`` alternate) with its headline, outside the text."""
    pages = []
    for n, page in enumerate(other_pages()):
        html = page.body.decode()
        if n < len(GERMAN_TITLES):
            path = f"/de/news/{n}/"
            html = html.replace(
                "</head>", f'<link rel="alternate" hreflang="de" href="{path}"></head>'
            ).replace(
                '<div class="byline">',
                f'<p class="translation">Auf Deutsch: <a href="{path}" lang="de">'
                f'{GERMAN_TITLES[n]}</a></p><div class="byline">',
            )
        pages.append(dataclasses.replace(page, body=html.encode()))
    return pages


def test_the_alternate_headline_outside_the_body_gets_a_selector_and_is_not_filled() -> None:
    # Four pages link their German translation, two do not: the selector agrees on all
    # six (none where there is none), and the fill need not read the field again.
    pages = translated_pages()
    text = suggest_profile(pages, themes=[]).toml()
    data = tomllib.loads(text)
    assert data["fields"]["headline_alt"] == ["p.translation a"]
    assert "# agrees on 6/6 pages (100%); 4 pages show one, the others none" in text
    assert "headline_alt" in data["fill"]["skip"]
    profile = Profile("planet", "portal", data)
    for page in pages:
        parsed = parse_page(page.url, page.body, profile=profile)
        ours = extract_page(parsed, fill=False).headline_alt
        assert ours == generic_page(parsed).headline_alt
    assert ours is None
    assert extract_page(parse_page(pages[0].url, pages[0].body, profile=profile)).headline_alt
