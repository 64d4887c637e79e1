"""``newscrawl extract URL`` fetches one page politely; ``newscrawl extract -`` reads stdin.

Pages are served by the fixture server on 127.0.0.1 only (the jmn portal, with faults and
robots.txt overlays); nothing else is ever fetched.
"""

from __future__ import annotations

import gzip
import io
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from newscrawl import settings
from newscrawl.cli import main
from newscrawl.devtools.devserver import Fault, RunningServer
from newscrawl.pagefetch import FetchError, PageFetcher, read_bounded, user_agent
from newscrawl.robotstxt import MAX_ROBOTS_BYTES
from tests.conftest import FIXTURES, ROOT, attribute_flood, jmn_portal

ARTICLE = "/lavrov-said-what-putin-agreed-with-kerry/"
REAL_URL = "https://jmn.info" + ARTICLE
HEADLINE_START = "Lavrov said"


def jmn(
    faults: dict[str, Fault] | None = None, robots: str | None = None
) -> AbstractContextManager[RunningServer]:
    """Serve the jmn fixture portal, with ``robots`` as its robots.txt when given."""
    return jmn_portal(faults, robots)


def extract(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    """Run ``newscrawl extract ARGS`` in this process; return the exit code, the record
    (or None when stdout is empty) and stderr."""
    code = main(["extract", "--timeout", "5", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err


def assert_refused(code: int, record: Any, err: str, reason: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr that gives ``reason``."""
    assert (code, record) == (2, None), err
    assert err.count("\n") == 1, err
    assert reason in err, err
    assert "Traceback" not in err


def test_a_url_gives_the_record_of_the_final_page_after_a_redirect(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with jmn({"/moved/": Fault("redirect", status=301, location=ARTICLE)}) as server:
        code, record, err = extract(capsys, "--profile", "jmn", server.url_for("/moved/"))
        assert code == 0, err
        assert record["url"] == server.url_for(ARTICLE)
        assert record["headline"].startswith(HEADLINE_START)
        assert server.hits["/robots.txt"] == 1
        assert server.hits[ARTICLE] == 1
        for path in ("/robots.txt", "/moved/", ARTICLE):
            assert server.user_agent(path) == user_agent()


def test_the_user_agent_is_the_crawls(capsys: pytest.CaptureFixture[str]) -> None:
    from newscrawl import __version__

    assert user_agent() == f"newscrawl/{__version__} (+{settings.NEWSCRAWL_CONTACT_URL})"


def test_url_overrides_the_final_url_and_chooses_the_profile(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with jmn() as server:
        code, record, err = extract(capsys, "--url", REAL_URL, server.url_for(ARTICLE))
    assert code == 0, err
    assert record["url"] == REAL_URL
    assert record["headline"].startswith(HEADLINE_START)


@pytest.mark.parametrize(
    "robots",
    [
        "User-agent: *\nDisallow: /\n",
        "User-agent: newscrawl\nDisallow: /lavrov\n\nUser-agent: *\nAllow: /\n",
    ],
    ids=["everyone", "our-agent"],
)
def test_a_page_robots_txt_disallows_is_not_fetched(
    capsys: pytest.CaptureFixture[str], robots: str
) -> None:
    with jmn(robots=robots) as server:
        result = extract(capsys, server.url_for(ARTICLE))
        assert_refused(*result, "disallowed by robots.txt")
        assert server.hits[ARTICLE] == 0


def test_robots_txt_for_other_agents_does_not_stop_us(capsys: pytest.CaptureFixture[str]) -> None:
    with jmn(robots="User-agent: otherbot\nDisallow: /\n") as server:
        code, _record, err = extract(capsys, "--url", REAL_URL, server.url_for(ARTICLE))
    assert code == 0, err


def test_a_redirect_into_a_disallowed_path_is_not_followed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    robots = "User-agent: *\nDisallow: /lavrov\n"
    with jmn({"/moved/": Fault("redirect", location=ARTICLE)}, robots=robots) as server:
        result = extract(capsys, server.url_for("/moved/"))
        assert_refused(*result, f"{server.url_for(ARTICLE)}: disallowed by robots.txt")
        assert server.hits[ARTICLE] == 0


def test_a_redirect_to_another_server_obeys_that_servers_robots_txt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with jmn(robots="User-agent: *\nDisallow: /\n") as other:
        moved = {"/moved/": Fault("redirect", location=other.url_for(ARTICLE))}
        with jmn(moved) as server:
            result = extract(capsys, server.url_for("/moved/"))
        assert other.hits["/robots.txt"] == 1
        assert other.hits[ARTICLE] == 0
    assert_refused(*result, f"{other.url_for(ARTICLE)}: disallowed by robots.txt")


def test_a_robots_txt_server_error_disallows_everything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with jmn({"/robots.txt": Fault("status", status=503)}) as server:
        result = extract(capsys, server.url_for(ARTICLE))
        assert_refused(*result, "robots.txt answered HTTP 503")
        assert server.hits[ARTICLE] == 0


def test_a_missing_robots_txt_allows_everything(capsys: pytest.CaptureFixture[str]) -> None:
    with jmn({"/robots.txt": Fault("status", status=404)}) as server:
        code, _record, err = extract(capsys, "--url", REAL_URL, server.url_for(ARTICLE))
    assert code == 0, err


@pytest.mark.parametrize("status", [404, 500])
def test_an_http_error_is_one_line(capsys: pytest.CaptureFixture[str], status: int) -> None:
    with jmn({ARTICLE: Fault("status", status=status)}) as server:
        assert_refused(*extract(capsys, server.url_for(ARTICLE)), f"HTTP {status}")


def test_a_page_over_download_maxsize_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "DOWNLOAD_MAXSIZE", 200_000)
    with jmn({ARTICLE: Fault("oversize", size=300_000)}) as server:
        result = extract(capsys, server.url_for(ARTICLE))
    assert_refused(*result, "larger than 200000 bytes (DOWNLOAD_MAXSIZE)")


def test_a_page_under_download_maxsize_is_taken(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "DOWNLOAD_MAXSIZE", 400_000)
    with jmn({ARTICLE: Fault("oversize", size=300_000)}) as server:
        code, _record, err = extract(capsys, "--url", REAL_URL, server.url_for(ARTICLE))
    assert code == 0, err


def test_a_page_that_is_not_html_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with jmn() as server:
        result = extract(capsys, server.url_for("/sitemap_index.xml"))
    assert_refused(*result, "not an HTML page (Content-Type: application/xml)")


@pytest.mark.parametrize("content_type", ["application/octet-stream", ""])
def test_a_page_labelled_as_unknown_bytes_or_not_at_all_gives_its_record(
    capsys: pytest.CaptureFixture[str], content_type: str
) -> None:
    """Its body starts as HTML does, so it is a page, as the crawl takes it (the rule of
    ``newscrawl.extraction.mediatype``); before, ``application/octet-stream`` was refused."""
    with jmn({ARTICLE: Fault("content_type", content_type=content_type)}) as server:
        code, record, err = extract(capsys, "--url", REAL_URL, server.url_for(ARTICLE))
    assert code == 0, err
    assert record["headline"].startswith(HEADLINE_START)


def test_a_page_labelled_text_plain_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """The label says it is no page, whatever the body holds (a browser shows it as text)."""
    with jmn({ARTICLE: Fault("content_type", content_type="text/plain")}) as server:
        result = extract(capsys, "--url", REAL_URL, server.url_for(ARTICLE))
    assert_refused(*result, "not an HTML page (Content-Type: text/plain)")


def test_a_slow_page_times_out(capsys: pytest.CaptureFixture[str]) -> None:
    with jmn({ARTICLE: Fault("slow", delay=3)}) as server:
        code = main(["extract", "--timeout", "0.3", server.url_for(ARTICLE)])
    out, err = capsys.readouterr()
    assert_refused(code, out or None, err, "timed out after 0.3 s")


TRICKLES = {
    # the status line, then one header byte at a time
    "header-bytes": [b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: "] + [b"a"] * 200,
    # the status line a byte at a time, then one whole header line at a time
    "header-lines": [bytes([b]) for b in b"HTTP/1.1 200 OK\r\n"]
    + [b"X-H%d: v\r\n" % i for i in range(200)],
}
"""What a trickling server sends, one piece every TRICKLE_GAP seconds."""
TRICKLE_GAP = 0.1


@contextmanager
def trickling_server(pieces: list[bytes]) -> Iterator[str]:
    """Serve on 127.0.0.1 a robots.txt that is missing (404, at once), and for any other
    path ``pieces``, one every TRICKLE_GAP seconds; yield the page's URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            request = conn.recv(65536)
            if request.startswith(b"GET /robots.txt "):
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                return
            for piece in pieces:
                if stop.wait(TRICKLE_GAP):
                    return
                try:
                    conn.sendall(piece)
                except OSError:  # the client gave up
                    return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/page/"
    finally:
        stop.set()
        listener.close()


@pytest.mark.parametrize("trickle", sorted(TRICKLES))
def test_headers_trickling_in_time_out_at_the_deadline(
    capsys: pytest.CaptureFixture[str], trickle: str
) -> None:
    """Each piece comes well within the timeout, but the headers never end: the timeout
    bounds the whole exchange, not each read (before, the fetch took as long as the
    server kept trickling)."""
    with trickling_server(TRICKLES[trickle]) as url:
        started = time.monotonic()
        code = main(["extract", "--timeout", "1", url])
        elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert_refused(code, out or None, err, "timed out after 1 s")
    assert elapsed < 4, elapsed


def test_a_redirect_loop_stops(capsys: pytest.CaptureFixture[str]) -> None:
    with jmn({ARTICLE: Fault("redirect_loop")}) as server:
        result = extract(capsys, server.url_for(ARTICLE))
        assert_refused(*result, "more than 5 redirects")
        assert server.hits[ARTICLE] <= 4


def test_a_cut_off_body_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with jmn({ARTICLE: Fault("truncated")}) as server:
        assert_refused(*extract(capsys, server.url_for(ARTICLE)), "cannot fetch")


def test_a_non_ascii_url_is_percent_encoded(capsys: pytest.CaptureFixture[str]) -> None:
    with jmn() as server:
        result = extract(capsys, server.url_for("/статья/"))
        assert server.hits["/статья/"] == 1
    assert_refused(*result, "HTTP 404")


def test_a_refused_connection_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with jmn() as server:
        url = server.url_for(ARTICLE)
    assert_refused(*extract(capsys, url), "cannot connect")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/page", "file:///etc/hostname"])
def test_only_http_and_https_are_fetched(capsys: pytest.CaptureFixture[str], url: str) -> None:
    assert_refused(*extract(capsys, url), "only http and https URLs are fetched")


def test_a_fetched_page_that_is_not_an_article_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with jmn() as server:
        result = extract(capsys, server.url_for("/"))
    assert_refused(*result, "is not an article")


def test_a_bad_timeout_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["extract", "--timeout", "0", "http://127.0.0.1:9/"])
    assert_refused(code, None, capsys.readouterr().err, "--timeout 0: must be more than 0")


# --- reading the body: gzip and the size limit, unit by unit -------------------------------


def _headers(**values: str) -> Message:
    message = Message()
    for name, value in values.items():
        message[name.replace("_", "-")] = value
    return message


def test_a_gzip_body_is_decompressed() -> None:
    page = b"<html><body><p>text</p></body></html>"
    body = PageFetcher(max_size=1000)._read(
        "u", io.BytesIO(gzip.compress(page)), _headers(Content_Encoding="gzip"), float("inf")
    )
    assert body == page


def test_a_gzip_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"a" * 5_000_000)
    with pytest.raises(FetchError, match="larger than 100000 bytes"):
        PageFetcher(max_size=100_000)._read(
            "u", io.BytesIO(bomb), _headers(Content_Encoding="gzip"), float("inf")
        )


def test_a_declared_content_length_over_the_limit_is_refused_unread() -> None:
    stream = io.BytesIO(b"")
    with pytest.raises(FetchError, match="larger than 10 bytes"):
        PageFetcher(max_size=10)._read("u", stream, _headers(Content_Length="11"), float("inf"))


def test_a_body_without_content_length_stops_at_the_limit() -> None:
    with pytest.raises(FetchError, match="larger than 100 bytes"):
        PageFetcher(max_size=100)._read("u", io.BytesIO(b"a" * 101), _headers(), float("inf"))
    assert PageFetcher(max_size=100)._read("u", io.BytesIO(b"a" * 100), _headers(), 1e99)


def test_a_body_still_arriving_after_the_timeout_is_refused() -> None:
    with pytest.raises(FetchError, match="timed out after 5 s"):
        PageFetcher(max_size=100, timeout=5)._read("u", io.BytesIO(b"abc"), _headers(), 0.0)


def test_a_gzip_body_cut_in_transfer_is_one_error() -> None:
    """No Content-Length to tell: the gzip stream's missing end mark does."""
    packed = gzip.compress(b"<html><body>" + b"<p>text</p>" * 2000 + b"</body></html>")
    cut = packed[: len(packed) // 3]
    with pytest.raises(FetchError, match="gzip body cut off at"):
        PageFetcher(max_size=100_000)._read(
            "u", io.BytesIO(cut), _headers(Content_Encoding="gzip"), float("inf")
        )


def test_a_broken_gzip_body_is_one_error() -> None:
    with pytest.raises(FetchError, match="bad gzip body"):
        PageFetcher(max_size=1000)._read(
            "u", io.BytesIO(b"\x1f\x8bnot gzip"), _headers(Content_Encoding="gzip"), float("inf")
        )


# --- stdin -------------------------------------------------------------------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def _page() -> bytes:
    return (FIXTURES / "jmn" / "seed-article.html").read_bytes()


def test_stdin_with_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, _page())
    code, record, err = extract(capsys, "--url", REAL_URL + "?from=stdin", "-")
    assert code == 0, err
    assert record["url"] == REAL_URL + "?from=stdin"
    assert record["headline"].startswith(HEADLINE_START)


def test_stdin_without_url_takes_the_url_the_page_declares(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, gzip.compress(_page()))
    code, record, err = extract(capsys, "-")
    assert code == 0, err
    assert record["url"] == REAL_URL


def test_stdin_with_no_declared_url_needs_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, b"<html><body><p>text</p></body></html>")
    assert_refused(*extract(capsys, "-"), "stdin: the page declares no URL")


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_stdin_over_download_maxsize_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, packed: bool
) -> None:
    monkeypatch.setattr(settings, "DOWNLOAD_MAXSIZE", 1000)
    data = b"<p>" + b"a" * 2000 + b"</p>"
    _stdin(monkeypatch, gzip.compress(data) if packed else data)
    assert_refused(*extract(capsys, "--url", REAL_URL, "-"), "than 1000 bytes (DOWNLOAD_MAXSIZE)")


def test_read_bounded_refuses_broken_gzip() -> None:
    data = gzip.compress(b"<html>" * 100)
    with pytest.raises(FetchError, match="bad gzip data"):
        read_bounded(io.BytesIO(data[: len(data) // 2]), 10_000, "stdin")


def test_a_fetch_error_has_no_traceback_from_the_real_command() -> None:
    """The installed command, not only main(): one line and exit 2."""
    with jmn({ARTICLE: Fault("status", status=404)}) as server:
        result = subprocess.run(
            [sys.executable, "-m", "newscrawl.cli", "extract", server.url_for(ARTICLE)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"newscrawl: {server.url_for(ARTICLE)}: HTTP 404\n"


def _past_the_attribute_limit() -> bytes:
    """A page with no declared URL and one element past the parser's attribute limit: read
    unguarded, its attributes take libxml2 seconds (minutes near the byte limit)."""
    return f"<html><body><div {attribute_flood()}>x</div><p>text</p></body></html>".encode()


def test_stdin_past_the_limits_without_url_is_refused_as_too_large(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, _past_the_attribute_limit())
    assert_refused(*extract(capsys, "-"), "attributes (the limit is 1000) (too-large)")


def test_a_file_past_the_limits_without_url_is_refused_as_too_large(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "flood.html"
    page.write_bytes(_past_the_attribute_limit())
    assert_refused(*extract(capsys, str(page)), f"{page}: an element has 1001 attributes")


def test_rules_of_robots_txt_past_500_kib_are_not_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    filler = ("#" + "x" * 99 + "\n") * (MAX_ROBOTS_BYTES // 100)
    robots = f"User-agent: *\nDisallow: /nothing-here/\n{filler}Disallow: /lavrov\n"
    with jmn(robots=robots) as server:
        code, record, err = extract(capsys, "--profile", "jmn", server.url_for(ARTICLE))
    assert code == 0, err
    assert record["headline"].startswith(HEADLINE_START)
