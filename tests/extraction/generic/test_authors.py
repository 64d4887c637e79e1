"""Author names: where the generic extractor finds them on a page and what it leaves out."""

from __future__ import annotations

import pytest
from lxml import html

from newscrawl.extraction.generic import authors
from newscrawl.extraction.generic.structured import read_structured

URL = "https://news.example/2024/05/03/harbour-fire"


def page_authors(body: str, head: str = "") -> list[str]:
    """Return the authors the generic extractor gives for a page of ``head`` and ``body``."""
    root = html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")
    return authors.authors(read_structured(root, URL), root, URL)


@pytest.mark.parametrize(
    "comments",
    [
        # WordPress's recent-comments widget
        '<aside class="widget_recent_comments"><ul><li class="recentcomments">'
        '<span class="comment-author-link">Coffeedrinker</span> on <a href="/x/">X</a></li>'
        "</ul></aside>",
        # a comment thread
        '<ol id="comments"><li><span class="author vcard"><b class="fn">Ann Reader</b></span>'
        "<p>Great piece.</p></li></ol>",
        # the comment form's "Name" field
        '<form><div class="comment-form-author"><label for="author">Name</label>'
        '<input id="author"></div></form>',
    ],
)
def test_readers_comments_are_no_byline(comments: str) -> None:
    body = f"<article><h1>Fire at the harbour</h1><p>Text.</p></article>{comments}"
    assert page_authors(body) == []
    byline = '<p class="byline">By Jane Doe</p>'
    assert page_authors(byline + body) == ["Jane Doe"]


@pytest.mark.parametrize(
    ("box", "names"),
    [
        # the author box shows the story's section, a link to the section's page
        (
            '<div class="article_author_container">'
            '<a href="/news/category/29/world">World</a></div>',
            [],
        ),
        ('<span class="byline"><a href="/tag/elections/">Elections</a></span>', []),
        # a link to the author's page names the author, also under an archive path
        (
            '<span class="byline">By <a href="/archive/author/jane-doe">Jane Doe</a></span>',
            ["Jane Doe"],
        ),
    ],
)
def test_a_link_to_a_section_page_is_no_name(box: str, names: list[str]) -> None:
    assert (
        page_authors(f"<article><h1>Fire at the harbour</h1>{box}<p>Text.</p></article>") == names
    )


@pytest.mark.parametrize(
    ("head", "names"),
    [
        # the site's initials, which are its domain
        (
            '<meta name="author" content="HTO">'
            '<meta property="og:site_name" content="Harbour Times">',
            [],
        ),
        # a word of the publisher's name
        (
            '<meta name="author" content="HBTV">'
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Fire",'
            ' "publisher": {"@type": "Organization", "name": "HBTV Harbour"}}</script>',
            [],
        ),
        # a person
        ('<meta name="author" content="Jane Doe">', ["Jane Doe"]),
        ('<meta name="author" content="Madonna">', ["Madonna"]),
    ],
)
def test_meta_author_that_is_the_site_short_name(head: str, names: list[str]) -> None:
    root = html.document_fromstring(f"<html><head>{head}</head><body><p>Text.</p></body></html>")
    url = "https://www.hto.example/2024/05/03/harbour-fire"
    assert authors.authors(read_structured(root, url), root, url) == names


MENU = (
    '<nav><ul class="menu"><li><a href="/autoren/">Autoren</a></li>'
    '<li><a href="/autoren/name/eva-kolumne">Eva Kolumne</a></li></ul></nav>'
)
RELATED = (
    '<div class="related-articles"><h3><a href="/other-story">Another story</a></h3>'
    '<a href="/autoren/name/otto-anders">Otto Anders</a></div>'
)


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ('<p>von <a href="/autoren/name/max-doe">Dr. Max Doe</a></p>', ["Dr. Max Doe"]),
        (
            '<p>By <a href="/author/ann-lee/">Ann Lee</a> and <a href="/author/bo-chan/">Bo'
            " Chan</a></p>",
            ["Ann Lee", "Bo Chan"],
        ),
        # no byline: the menu's and the related story's authors are not this story's
        ("<p>20.10.2025</p>", []),
    ],
)
def test_a_link_to_an_authors_page_is_a_byline(byline: str, names: list[str]) -> None:
    body = f"{MENU}<article><h1>Fire at the harbour</h1>{byline}<p>Text.</p></article>{RELATED}"
    assert page_authors(body) == names


def test_meta_author_before_author_links() -> None:
    body = '<article><h1>Fire</h1><p>von <a href="/autor/max-doe">Max Doe</a></p></article>'
    assert page_authors(body, '<meta name="author" content="Jane Roe">') == ["Jane Roe"]


PUBLISHER_AS_AUTHOR = (
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Fire",'
    ' "author": {"@type": "Organization", "name": "Harbour Times"},'
    ' "publisher": {"@type": "Organization", "name": "Harbour Times"}}</script>'
)


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ('<span class="article__author">Von Jo Doe, dpa</span>', ["Jo Doe", "dpa"]),
        ('<span class="article__author">Von Jo Doe und Ann Lee</span>', ["Jo Doe", "Ann Lee"]),
        # a handle or an agency alone does not name a person: the publisher stays
        ('<span class="article__author">amw</span>', ["Harbour Times"]),
        ('<span class="article__author">dpa</span>', ["Harbour Times"]),
    ],
)
def test_a_byline_naming_a_person_beats_the_publisher_as_author(
    byline: str, names: list[str]
) -> None:
    body = f"<article><h1>Fire</h1>{byline}<p>Text.</p></article>"
    assert page_authors(body, PUBLISHER_AS_AUTHOR) == names


FIRST_AUTHOR_ONLY = (
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Fire",'
    ' "author": [{"@type": "Person", "name": "Bo Chan"}]}</script>'
)
TWO_BYLINES = (
    '<div class="bylines"><div class="byline"><address><a rel="author" href="mailto:ann@x">'
    '<span class="first">Ann</span> <span class="last">Lee</span></a></address></div>'
    '<div class="byline"><address><a rel="author" href="mailto:bo@x">'
    '<span class="first">Bo</span> <span class="last">Chan</span></a></address></div></div>'
)
TEASERS = (
    '<ul class="teasers"><li><h3><a href="/a">Another story about the harbour</a></h3>'
    '<p>Its excerpt, a sentence or two long.</p><span itemprop="author">Bo Chan</span></li>'
    '<li><h3><a href="/b">A third story</a></h3><p>Its excerpt.</p>'
    '<span itemprop="author">Cy Diaz</span></li></ul>'
)


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        # the byline marks the structured author and a co-author: both, in its order
        (TWO_BYLINES, ["Ann Lee", "Bo Chan"]),
        # teasers mark their own authors: the structured data stands
        (TEASERS, ["Bo Chan"]),
        ('<span itemprop="author">Bo Chan</span>', ["Bo Chan"]),
    ],
)
def test_coauthors_of_the_byline_that_names_the_structured_author(
    byline: str, names: list[str]
) -> None:
    body = f"<article><h1>Fire</h1>{byline}<p>Text.</p></article>"
    assert page_authors(body, FIRST_AUTHOR_ONLY) == names


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By JO DOE, AP National Political Writer", ["JO DOE"]),
        ("Analysis by Jo Doe, CNN Editor-at-large", ["Jo Doe"]),
        ("Jo Doe, MS, RDN", ["Jo Doe"]),
        ("Ein Kommentar von Anna Fink", ["Anna Fink"]),
        ("Anna Fink, Korrespondentin in Paris", ["Anna Fink"]),
        ("Por Ana López, corresponsal en Bruselas", ["Ana López"]),
        # a role alone is what the page gives: it stays
        ("Harbour Times staff reporter", ["Harbour Times staff reporter"]),
        # an agency after a name is not a role
        ("Jo Doe, Associated Press", ["Jo Doe", "Associated Press"]),
        ("A de la Cruz", ["A de la Cruz"]),
    ],
)
def test_roles_degrees_and_labels_are_no_names(byline: str, names: list[str]) -> None:
    assert authors.split_names(byline) == names


@pytest.mark.parametrize("container", ['<div class="commentary">', '<div id="kommentar">'])
def test_an_opinion_pieces_byline_is_no_readers_comment(container: str) -> None:
    body = (
        f"<article>{container}<h1>Why the harbour must stay public</h1>"
        '<p class="byline">By Jane Doe</p><p>Text.</p></div></article>'
    )
    assert page_authors(body) == ["Jane Doe"]
