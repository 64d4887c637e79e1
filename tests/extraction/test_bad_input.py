"""Bad pages give a clear ExtractionError or a record that fails validation, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newscrawl.extraction import EmptyPage, NotAnArticle, decode_html, extract_article
from newscrawl.schema import record_errors

NOW = datetime(2016, 3, 25, 9, tzinfo=UTC)
URL = "https://jmn.info/some-article/"

ARTICLE = """<html><head><meta charset="{charset}"></head><body>
<article id="the-post" class="post-listing post type-post"><div class="post-inner">
<h1 class="name post-title entry-title"><span itemprop="name">{headline}</span></h1>
<div class="entry"><p>{paragraph}</p></div></div></article></body></html>"""


def page(charset: str = "utf-8", headline: str = "Headline", paragraph: str = "Text.") -> str:
    return ARTICLE.format(charset=charset, headline=headline, paragraph=paragraph)


@pytest.mark.parametrize("body", [b"", b"   \n", b"\x00\x00"])
def test_empty_body(body: bytes) -> None:
    with pytest.raises(EmptyPage):
        extract_article(URL, body, now=NOW)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><p>Just a page</p></body></html>",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR binary",
        b"<?xml version='1.0'?><rss><channel></channel></rss>",
        b"not html at all",
    ],
)
def test_not_an_article(body: bytes) -> None:
    with pytest.raises(NotAnArticle, match="not an article"):
        extract_article(URL, body, now=NOW)


def test_malformed_html_is_recovered() -> None:
    body = page().replace("</p>", "").replace("</div>", "<div><span>").encode()
    record = extract_article(URL, body, now=NOW)
    assert record.headline == "Headline"
    assert record.body == ["Text."]


def test_truncated_html_gives_invalid_record() -> None:
    body = page(paragraph="Body text.").encode()
    cut = body[: body.index(b'<div class="entry">')]
    record = extract_article(URL, cut, now=NOW)
    assert record.headline == "Headline"
    assert record.body == []
    from newscrawl.items import to_dict

    assert [e.field for e in record_errors(to_dict(record))] == ["body"]


def test_wrong_declared_encoding_does_not_crash() -> None:
    # Declared UTF-8, actually windows-1251: undecodable bytes become U+FFFD.
    body = page(paragraph="Москва сегодня.").encode("cp1251")
    record = extract_article(URL, body, now=NOW)
    assert record.body
    assert "\ufffd" in record.body[0]


def test_charset_from_meta_only() -> None:
    body = page(charset="windows-1251", paragraph="Москва сегодня.").encode("cp1251")
    record = extract_article(URL, body, {"Content-Type": "text/html"}, now=NOW)
    assert record.body == ["Москва сегодня."]


def test_header_charset_wins_over_meta() -> None:
    body = page(charset="utf-8", paragraph="Москва.").encode("koi8-r")
    assert "Москва" in decode_html(body, {b"Content-Type": [b"text/html; charset=koi8-r"]})


def test_broken_jsonld_is_ignored() -> None:
    body = page().replace("</head>", '<script type="application/ld+json">{broken</script></head>')
    assert extract_article(URL, body.encode(), now=NOW).headline == "Headline"
