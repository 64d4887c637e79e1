"""One identity for a page: the canonical URL, the request key and the content fingerprint.

The duplicate filter (``newscrawl.dupefilters``), the redirect-loop check, the dedup
pipeline and the state store all compare pages through ``newscrawl.identity``; these tests
pin what "the same page" means and that every one of them uses it.
"""

from __future__ import annotations

import doctest
import hashlib
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from newscrawl import identity
from newscrawl.dupefilters import CanonicalUrlDupeFilter, CanonicalUrlFingerprinter
from newscrawl.identity import (
    TRACKING_PARAMS,
    canonicalize_url,
    content_fingerprint,
    has_userinfo,
    is_tracking_param,
    origin_key,
    request_key,
)
from newscrawl.middlewares import RedirectLoopMiddleware
from newscrawl.pipelines import page_key


def test_docstring_examples() -> None:
    results = doctest.testmod(identity, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0
    assert results.failed == 0


# ------------------------------------------------------------------ canonicalize_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "https://JMN.info:443/a/?utm_source=x&id=2#top", "https://jmn.info/a/?id=2", id="brief"
        ),
        pytest.param("HTTP://Example.COM:80", "http://example.com/", id="scheme-host-port"),
        pytest.param("https://jmn.info:8443/a", "https://jmn.info:8443/a", id="other-port-kept"),
        pytest.param("http://jmn.info:443/a", "http://jmn.info:443/a", id="https-port-on-http"),
        pytest.param(
            "https://jmn.info/Policy/Lavrov", "https://jmn.info/Policy/Lavrov", id="path-case"
        ),
        pytest.param("https://jmn.info/a", "https://jmn.info/a", id="no-trailing-slash-kept"),
        pytest.param(
            "https://jmn.info/a/?b=2&a=1&fbclid=z&UTM_Medium=y&ref=home&amp=1",
            "https://jmn.info/a/?b=2&a=1&ref=home&amp=1",
            id="order-kept-tracking-dropped",
        ),
        pytest.param(
            "https://jmn.info/a?gclid=1&yclid=2&mc_cid=3&mc_eid=4&_ga=5&utm_whatever=6",
            "https://jmn.info/a",
            id="only-tracking",
        ),
        pytest.param(
            "https://jmn.info/a?utm%5Fsource=1&p=1", "https://jmn.info/a?p=1", id="encoded-name"
        ),
        pytest.param(
            "https://jmn.info/a?fbclid=x=1&id=2", "https://jmn.info/a?id=2", id="value-with-eq"
        ),
        pytest.param(
            "https://jmn.info/a/;JSESSIONID=0A1B2C?id=2&PHPSESSID=f00&sessionid=x",
            "https://jmn.info/a/?id=2",
            id="session-ids-dropped",
        ),
        pytest.param(
            "https://jmn.info/a?ASPSESSIONIDQQGGGQDA=X&CFID=1&CFTOKEN=2&zenid=3&osCsid=4&sid=5",
            "https://jmn.info/a?sid=5",
            id="session-ids-dropped-sid-kept",
        ),
        pytest.param(
            "https://jmn.info/a;v=2/b", "https://jmn.info/a;v=2/b", id="other-path-params-kept"
        ),
        pytest.param("https://jmn.info/a?", "https://jmn.info/a", id="empty-query"),
        pytest.param("https://jmn.info/a?x=1&&y=2", "https://jmn.info/a?x=1&y=2", id="empty-pair"),
        pytest.param("  https://jmn.info/a#x  ", "https://jmn.info/a", id="whitespace-fragment"),
        pytest.param(
            "https://jmn.info/лавров?q=мир",
            "https://jmn.info/%D0%BB%D0%B0%D0%B2%D1%80%D0%BE%D0%B2?q=%D0%BC%D0%B8%D1%80",
            id="cyrillic-quoted",
        ),
        pytest.param(
            "https://jmn.info/%d0%bb%D0%B0",
            "https://jmn.info/%D0%BB%D0%B0",
            id="escape-case-normalised",
        ),
        pytest.param("https://jmn.info/café", "https://jmn.info/caf%C3%A9", id="accented"),
        pytest.param(
            "https://jmn.info/مقال", "https://jmn.info/%D9%85%D9%82%D8%A7%D9%84", id="arabic"
        ),
        pytest.param("http://пример.рф/", "http://xn--e1afmkfd.xn--p1ai/", id="idn-host"),
        pytest.param("https://User:Pass@JMN.info/", "https://User:Pass@jmn.info/", id="userinfo"),
        pytest.param("https://[::1]:443/a", "https://[::1]/a", id="ipv6"),
        pytest.param("https://jmn.info:abc/a", "https://jmn.info:abc/a", id="bad-port"),
        pytest.param(
            "https://jmn.info/2024/05/./a/../b/./.c/..d/...",
            "https://jmn.info/2024/05/b/.c/..d/...",
            id="dot-segments-resolved-dotted-names-kept",
        ),
        pytest.param("https://jmn.info/a/b/..", "https://jmn.info/a/", id="last-dot-dot"),
        pytest.param("https://jmn.info/../../a", "https://jmn.info/a", id="dot-dot-above-root"),
        pytest.param(
            "https://jmn.info/%64edup%2Dtarget%5F%7e%2e%2f%3f%25/?%71=%41%2d%26%3d%2b",
            "https://jmn.info/dedup-target_~.%2F%3F%25/?q=A-%26%3D%2B",
            id="unreserved-escapes-decoded-reserved-kept",
        ),
        pytest.param("https://jmn.info/a/%2E%2E/b", "https://jmn.info/b", id="escaped-dots"),
        pytest.param(
            "https://jmn.info/a/%2E%2E%2Fb", "https://jmn.info/a/..%2Fb", id="escaped-dots-slash"
        ),
        # A path that does not start with "/" is no hierarchy: its ".." is text, and no "/"
        # is added in front.
        pytest.param("mailto:desk@jmn.info", "mailto:desk@jmn.info", id="mailto-path-kept"),
        pytest.param("news/../a/b", "news/../a/b", id="relative-path-kept"),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_canonicalize_url_gives_one_form_per_page() -> None:
    variants = [
        "https://jmn.info/lavrov/?id=2",
        "HTTPS://JMN.INFO:443/lavrov/?id=2#comments",
        "https://jmn.info/lavrov/?utm_source=tg&id=2&fbclid=x",
        " https://jmn.info/lavrov/?id=2&utm_campaign=a ",
    ]
    assert {canonicalize_url(url) for url in variants} == {"https://jmn.info/lavrov/?id=2"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("utm_source", True, id="utm-source"),
        pytest.param("UTM_CAMPAIGN", True, id="upper"),
        pytest.param("utm_anything", True, id="any-utm"),
        pytest.param("fbclid", True, id="fbclid"),
        pytest.param("gclid", True, id="gclid"),
        pytest.param("yclid", True, id="yclid"),
        pytest.param("mc_cid", True, id="mc-cid"),
        pytest.param("mc_eid", True, id="mc-eid"),
        pytest.param("_ga", True, id="ga"),
        pytest.param("ref", False, id="ref-kept"),
        pytest.param("amp", False, id="amp-kept"),
        pytest.param("id", False, id="id"),
        pytest.param("utm", False, id="utm-without-underscore"),
        pytest.param("", False, id="empty"),
        pytest.param("страница", False, id="cyrillic"),
    ],
)
def test_is_tracking_param(name: str, expected: bool) -> None:
    assert is_tracking_param(name) is expected


def test_tracking_params_are_lowercase_names() -> None:
    assert {"fbclid", "gclid", "yclid", "mc_cid", "mc_eid", "_ga", "utm_source"} <= TRACKING_PARAMS
    assert not {"ref", "amp", "id", "page", "p"} & TRACKING_PARAMS
    assert all(name == name.lower() for name in TRACKING_PARAMS)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("https://jmn.info/a/?utm_source=tg", "https://jmn.info/a/", id="tracking"),
        pytest.param(
            "https://jmn.info/a/?id=1&UTM_CAMPAIGN=x&gclid=2",
            "https://jmn.info/a/?id=1",
            id="mixed",
        ),
        pytest.param("https://jmn.info/%e2%82%ac", "https://jmn.info/%E2%82%AC", id="escape-case"),
        pytest.param("https://jmn.info/€", "https://jmn.info/%E2%82%AC", id="raw-vs-escaped"),
        pytest.param(
            "https://jmn.info/a?q=%c3%a9", "https://jmn.info/a?q=%C3%A9", id="query-escape"
        ),
        pytest.param("https://ПРИМЕР.рф/a", "https://xn--e1afmkfd.xn--p1ai/a", id="idn-case"),
        pytest.param("https://пример.рф/a", "https://XN--E1AFMKFD.xn--p1ai/a", id="idn-punycode"),
        pytest.param("https://jmn.info:443/a", "https://jmn.info/a", id="https-default-port"),
        pytest.param("http://jmn.info:80/a", "http://jmn.info/a", id="http-default-port"),
        pytest.param("https://jmn.info/a#comments", "https://jmn.info/a", id="fragment"),
        pytest.param("https://jmn.info/a?x=1#c", "https://jmn.info/a?x=1", id="fragment-query"),
        pytest.param("https://jmn.info", "https://jmn.info/", id="empty-path"),
        pytest.param(
            "https://jmn.info/2024/05/./dedup-story/",
            "https://jmn.info/2024/05/dedup-story/",
            id="dot-segment",
        ),
        pytest.param(
            "https://jmn.info/2024/06/../05/dedup-story/",
            "https://jmn.info/2024/05/dedup-story/",
            id="dot-dot-segment",
        ),
        pytest.param(
            "https://jmn.info/2024/05/%64edup-story/",
            "https://jmn.info/2024/05/dedup-story/",
            id="escaped-letter",
        ),
        pytest.param(
            "https://jmn.info/2024/05/dedup%2Dstory/",
            "https://jmn.info/2024/05/dedup-story/",
            id="escaped-hyphen",
        ),
        pytest.param("https://jmn.info/%7Euser/", "https://jmn.info/~user/", id="escaped-tilde"),
        pytest.param("https://jmn.info/a?id=%31", "https://jmn.info/a?id=1", id="escaped-digit"),
    ],
)
def test_same_page(a: str, b: str) -> None:
    assert canonicalize_url(a) == canonicalize_url(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("https://jmn.info/a", "https://jmn.info/a/", id="trailing-slash"),
        pytest.param("https://jmn.info/A", "https://jmn.info/a", id="path-case"),
        pytest.param("https://jmn.info/a?id=1", "https://jmn.info/a?id=2", id="real-param"),
        pytest.param("https://jmn.info/a?ref=x", "https://jmn.info/a", id="ref-kept"),
        pytest.param("http://jmn.info/a", "https://jmn.info/a", id="scheme"),
        pytest.param("https://jmn.info:8443/a", "https://jmn.info/a", id="other-port"),
        pytest.param("https://jmn.info/a%2Fb", "https://jmn.info/a/b", id="escaped-slash"),
    ],
)
def test_different_pages(a: str, b: str) -> None:
    assert canonicalize_url(a) != canonicalize_url(b)


# ------------------------------------------------------------- has_userinfo, origin_key


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://jmn.info/a/", False, id="plain"),
        pytest.param("https://jmn.info/?mail=a@b.example", False, id="at-in-query"),
        pytest.param("https://jmn.info/@lavrov", False, id="at-in-path"),
        pytest.param("https://a:b@jmn.info/", True, id="user-and-password"),
        pytest.param("https://@jmn.info/", True, id="empty-user"),
        pytest.param("https://evil.example@jmn.info/", True, id="host-like-user"),
        # urlsplit refuses the bracket: no host to judge, and the crawl fetches none
        pytest.param("https://u@[::1/", False, id="invalid-ipv6"),
    ],
)
def test_has_userinfo(url: str, expected: bool) -> None:
    assert has_userinfo(url) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://jmn.info/a", ("https", "jmn.info", 443), id="https-default"),
        pytest.param("http://jmn.info/a", ("http", "jmn.info", 80), id="http-default"),
        pytest.param("HTTPS://JMN.Info:8443/a", ("https", "jmn.info", 8443), id="case-port"),
        pytest.param("http://[::1]:8080/", ("http", "::1", 8080), id="ipv6"),
        pytest.param("ftp://jmn.info/a", None, id="not-http"),
        pytest.param("mailto:desk@jmn.info", None, id="mailto"),
        pytest.param("/a/b", None, id="relative"),
        pytest.param("http:///a", None, id="no-host"),
        pytest.param("http://jmn.info:abc/", None, id="bad-port"),
        pytest.param("http://[::1/", None, id="bad-ipv6"),
    ],
)
def test_origin_key(url: str, expected: tuple[str, str, int] | None) -> None:
    assert origin_key(url) == expected


# ----------------------------------------------------------------------- identity

BODY = [
    "The Russian foreign Minister Sergei Lavrov gave a press conference.",
    "Also Moscow and Washington urge the parties to intensify the exchange of prisoners.",
]


@pytest.mark.parametrize(
    ("headline", "body", "same"),
    [
        pytest.param("Lavrov said", BODY, True, id="identical"),
        pytest.param(" LAVROV  said\u00a0", BODY, True, id="case-and-space"),
        pytest.param("Lavrov said", ["", *BODY, "  "], True, id="empty-paragraphs"),
        pytest.param("Lavrov\u200b said", BODY, True, id="zero-width"),
        pytest.param("Lavrov says", BODY, False, id="headline-word"),
        pytest.param("Lavrov said", [*BODY[:1], BODY[1].replace("Also", "So")], False, id="body"),
        pytest.param("Lavrov said", BODY[:1], False, id="paragraph-removed"),
        pytest.param("Lavrov said", [" ".join(BODY)], False, id="paragraphs-merged"),
        pytest.param(None, BODY, False, id="headline-missing"),
        pytest.param("Lavrov said", [], False, id="body-missing"),
    ],
)
def test_content_fingerprint(headline: str | None, body: list[str], same: bool) -> None:
    reference = content_fingerprint("Lavrov said", BODY)
    assert (content_fingerprint(headline, body) == reference) is same


@pytest.mark.parametrize(
    ("headline", "body", "text"),
    [
        pytest.param(None, [], "", id="nothing"),
        pytest.param("", ["", " "], "", id="empties"),
        pytest.param("Lavrov said", ["One.", "Two."], "lavrov said\none.\ntwo.", id="ascii"),
        pytest.param(None, ["One."], "\none.", id="no-headline"),
        pytest.param("Лавров  РАССКАЗАЛ", ["Путин"], "лавров рассказал\nпутин", id="cyrillic"),
        pytest.param("Réunion À Genève", [], "réunion à genève", id="accented"),
        pytest.param("لقاء في موسكو", ["שלום"], "لقاء في موسكو\nשלום", id="rtl"),
    ],
)
def test_content_fingerprint_digest(headline: str | None, body: list[str], text: str) -> None:
    expected = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()
    assert content_fingerprint(headline, body) == expected


# ----------------------------------------------------------------------- request_key


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    [
        pytest.param(
            "GET", "https://JMN.info/a/?utm_source=x#c", b"", "https://jmn.info/a/", id="get"
        ),
        pytest.param("get", "https://jmn.info/a/", b"", "https://jmn.info/a/", id="get-lower"),
        pytest.param(
            "HEAD",
            "https://jmn.info/a/",
            b"",
            "HEAD https://jmn.info/a/ sha1:" + hashlib.sha1(b"").hexdigest(),
            id="head",
        ),
        pytest.param(
            "POST",
            "https://jmn.info/s?utm_medium=y",
            b"q=1",
            "POST https://jmn.info/s sha1:" + hashlib.sha1(b"q=1").hexdigest(),
            id="post",
        ),
    ],
)
def test_request_key(method: str, url: str, body: bytes, expected: str) -> None:
    assert request_key(method, url, body) == expected


def test_request_key_tells_bodies_apart() -> None:
    assert request_key("POST", "https://jmn.info/s", b"q=1") != request_key(
        "POST", "https://jmn.info/s", b"q=2"
    )
    assert request_key("GET", "https://jmn.info/s", b"x") != request_key(
        "GET", "https://jmn.info/s"
    )


# ------------------------------------------------------- everything uses the one identity

VARIANTS = [
    "https://jmn.info/lavrov/?id=2",
    "HTTPS://JMN.INFO:443/lavrov/?id=2#comments",
    "https://jmn.info/lavrov/?utm_source=tg&id=2&fbclid=x",
    "https://JMN.info/lavrov/?id=2&utm_medium=x#top",
    "https://jmn.info/news/../lavr%6Fv/./?id=%32",  # dot segments, escaped unreserved
]


def test_dupefilter_is_the_default_and_keys_on_the_canonical_url() -> None:
    crawler = get_crawler(settings_dict={})
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("newscrawl.settings")
    assert settings["DUPEFILTER_CLASS"] == "newscrawl.dupefilters.CanonicalUrlDupeFilter"
    dupefilter = CanonicalUrlDupeFilter.from_crawler(crawler)
    assert not dupefilter.request_seen(Request(VARIANTS[0]))
    seen = [dupefilter.request_seen(Request(url)) for url in VARIANTS[1:]]
    assert seen == [True] * len(VARIANTS[1:])
    assert not dupefilter.request_seen(Request("https://jmn.info/lavrov/?id=3"))
    assert not dupefilter.request_seen(Request(VARIANTS[0], method="HEAD"))


def test_dupefilter_keeps_its_keys_in_the_job_folder(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path)})
    first = CanonicalUrlDupeFilter.from_crawler(crawler)
    assert not first.request_seen(Request(VARIANTS[0]))
    first.close("finished")
    again = CanonicalUrlDupeFilter.from_crawler(
        get_crawler(settings_dict={"JOBDIR": str(tmp_path)})
    )
    assert again.request_seen(Request(VARIANTS[2]))


def test_fingerprint_follows_the_request_key() -> None:
    fingerprinter = CanonicalUrlFingerprinter()
    prints = {fingerprinter.fingerprint(Request(url)) for url in VARIANTS}
    assert len(prints) == 1
    assert prints == {hashlib.sha1(canonicalize_url(VARIANTS[0]).encode()).digest()}


def test_dedup_pipeline_keys_pages_like_the_dupefilter() -> None:
    keys = {page_key({"url": url}) for url in VARIANTS}
    assert keys == {request_key("GET", url) for url in VARIANTS} == {canonicalize_url(VARIANTS[0])}


def _redirect(request: Request, location: str) -> Response:
    return Response(request.url, status=301, headers={"Location": location}, request=request)


@pytest.mark.parametrize("target", VARIANTS[1:])
def test_redirect_back_to_the_same_page_is_a_loop(target: str) -> None:
    """The duplicate filter would drop a redirect to another URL of the page: the loop check
    must see the same identity, or the page vanishes without a reject."""
    crawler = get_crawler(settings_dict={})
    middleware = RedirectLoopMiddleware.from_crawler(crawler)
    request = Request(VARIANTS[0])
    with pytest.raises(IgnoreRequest, match="redirect loop"):
        middleware.process_response(request, _redirect(request, target))


def test_redirect_to_another_page_is_no_loop() -> None:
    middleware = RedirectLoopMiddleware.from_crawler(get_crawler(settings_dict={}))
    request = Request(VARIANTS[0])
    response = _redirect(request, "https://jmn.info/lavrov/?id=3")
    assert middleware.process_response(request, response) is response


def test_state_knows_a_page_under_its_canonical_url(tmp_path: Path) -> None:
    from newscrawl.storage.state import StateStore

    with StateStore(tmp_path / "s.sqlite3") as store:
        store.register_batch(
            tmp_path / "b.jsonl", [{"url": page_key({"url": VARIANTS[2]}), "fingerprint": "f"}]
        )
        assert {store.get(canonicalize_url(url)) is not None for url in VARIANTS} == {True}
