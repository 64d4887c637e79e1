"""Tests of the fixture server: routing, origin rewriting, content types and faults.

Every test builds its own small fixture tree under ``tmp_path`` and talks only to
127.0.0.1, so nothing here depends on the contents of ``fixtures/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from parsel import Selector

from newscrawl.devtools.devserver import (
    LOOP_PREFIX,
    Fault,
    FixtureSite,
    RunningServer,
    content_type_for,
    serve,
)
from tests.bench_support import load_bench

ORIGINS = ["https://jmn.info", "http://jmn.info"]
REPO = Path(__file__).resolve().parents[2]

HOME = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>JMN</title>
<link rel="canonical" href="https://jmn.info/">
<script>var s = {"ajaxurl":"https:\\/\\/jmn.info\\/wp-admin\\/admin-ajax.php"};</script>
</head><body>
<a id="policy" href="https://jmn.info/category/policy/">Policy</a>
<a id="plain" href="http://jmn.info/lavrov-said/">Lavrov said</a>
<a id="other" href="https://jmn.info.example.org/x/">not ours</a>
<link rel="stylesheet" href="//jmn.info/wp-content/style.css">
<a id="fb" href="https://www.facebook.com/jmn.info">Facebook</a>
</body></html>
"""
ARTICLE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Lavrov said</title></head>
<body><article id="the-post"><h1>Lavrov said</h1>
<p>Back to <a href="https://jmn.info/category/policy/">Policy</a>.</p></article></body></html>
"""
CP1251_PAGE = """<!DOCTYPE html>
<html><head><meta charset="windows-1251"><title>Лавров рассказал</title></head>
<body><h2>Лавров рассказал про договоренности Путина и Керри</h2>
<a href="https://jmn.info/category/policy/">Политика</a></body></html>
"""
FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>JMN</title><link>https://jmn.info</link>
<item><title>Lavrov said</title><link>https://jmn.info/lavrov-said/</link></item>
</channel></rss>
"""
SITEMAP_INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://jmn.info/post-sitemap.xml</loc></sitemap></sitemapindex>
"""
ROBOTS = "User-agent: *\nDisallow: /wp-admin/\nSitemap: https://jmn.info/sitemap_index.xml\n"


def _write_case(root: Path, case: str, url: str, html: bytes, *, gz: bool = False) -> None:
    """Write one article case: its page and its JSON with ``meta.url``."""
    if gz:
        (root / f"{case}.html.gz").write_bytes(gzip.compress(html))
    else:
        (root / f"{case}.html").write_bytes(html)
    doc = {"meta": {"url": url, "now": "2016-04-01T12:00:00+03:00"}, "record": {}}
    (root / f"{case}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    """A small fixture tree: three cases, a non-case JSON and a static tree."""
    root = tmp_path / "jmn"
    static = root / "site"
    for rel, text in {
        "index.html": HOME,
        "category/policy/index.html": ARTICLE.replace("Lavrov said", "Policy archive"),
        "category/policy/page/2/index.html": "<html><body>page 2</body></html>",
        "feed/index.xml": FEED,
        "sitemap_index.xml": SITEMAP_INDEX,
        "post-sitemap.xml": SITEMAP_INDEX.replace("sitemapindex", "urlset"),
        "robots.txt": ROBOTS,
    }.items():
        (static / rel).parent.mkdir(parents=True, exist_ok=True)
        (static / rel).write_text(text, encoding="utf-8")
    (static / "archive.html.gz").write_bytes(gzip.compress(b"<html>old archive</html>"))
    _write_case(root, "lavrov", "https://jmn.info/lavrov-said/", ARTICLE.encode())
    _write_case(root, "cp1251", "https://jmn.info/cp-case/", CP1251_PAGE.encode("cp1251"))
    _write_case(root, "zipped", "https://jmn.info/zipped/", ARTICLE.encode(), gz=True)
    _write_case(
        root,
        "cyrillic",
        "https://jmn.info/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D1%8C/",
        ARTICLE.encode(),
    )
    (root / "notes.json").write_text('{"comment": "not a case"}', encoding="utf-8")
    return root


@pytest.fixture
def site(site_root: Path) -> FixtureSite:
    """The fixture tree as a :class:`FixtureSite` with the real jmn.info origins."""
    return FixtureSite(site_root, ORIGINS)


@pytest.fixture
def server(site: FixtureSite) -> Iterator[RunningServer]:
    """A running server without faults."""
    with serve(site) as running:
        yield running


def fetch(
    server: RunningServer, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Make one request on a fresh connection; return status, headers and body."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


# --- routes -------------------------------------------------------------------------


def test_route_table_holds_static_tree_and_cases(site: FixtureSite) -> None:
    assert sorted(site.routes) == [
        "/",
        "/archive.html",
        "/category/policy/",
        "/category/policy/page/2/",
        "/cp-case/",
        "/feed/",
        "/lavrov-said/",
        "/post-sitemap.xml",
        "/robots.txt",
        "/sitemap_index.xml",
        "/zipped/",
        "/новость/",
    ]
    assert site.routes["/lavrov-said/"].file.name == "lavrov.html"
    assert site.routes["/zipped/"].file.name == "zipped.html.gz"


def test_lookup_ignores_query_and_decodes_percent_escapes(site: FixtureSite) -> None:
    assert site.lookup("/?utm_source=x") is site.routes["/"]
    assert site.lookup("/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D1%8C/") is site.routes["/новость/"]
    assert site.lookup("/missing/") is None


def test_rescan_picks_up_new_files(site: FixtureSite, site_root: Path) -> None:
    _write_case(site_root, "late", "https://jmn.info/late/", ARTICLE.encode())
    assert site.lookup("/late/") is None
    site.rescan()
    assert site.lookup("/late/") is not None


def test_case_json_without_page_is_skipped(site_root: Path) -> None:
    doc = {"meta": {"url": "https://jmn.info/no-page/"}}
    (site_root / "orphan.json").write_text(json.dumps(doc), encoding="utf-8")
    assert "/no-page/" not in FixtureSite(site_root, ORIGINS).routes


def test_broken_case_json_is_an_error(site_root: Path) -> None:
    (site_root / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json"):
        FixtureSite(site_root, ORIGINS)


def test_origins_default_to_those_of_the_cases(site_root: Path) -> None:
    assert FixtureSite(site_root).origins == ("https://jmn.info", "http://jmn.info")
    assert FixtureSite(site_root, ()).origins == ()


def test_no_origins_means_no_rewriting(site_root: Path) -> None:
    with serve(FixtureSite(site_root, ())) as running:
        _, _, body = fetch(running, "/")
    assert b'href="https://jmn.info/category/policy/"' in body


@pytest.mark.parametrize("origin", ["jmn.info", "https://jmn.info/path", "ftp://jmn.info"])
def test_bad_origin_is_rejected(site_root: Path, origin: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        FixtureSite(site_root, [origin])


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        FixtureSite(tmp_path / "nope", ORIGINS)


@pytest.mark.parametrize(
    ("route", "name", "expected"),
    [
        ("/", "index.html", "text/html"),
        ("/x/", "x.html.gz", "text/html"),
        ("/feed/", "index.xml", "application/rss+xml"),
        ("/category/policy/feed/", "index.xml", "application/rss+xml"),
        ("/sitemap_index.xml", "sitemap_index.xml", "application/xml"),
        ("/robots.txt", "robots.txt", "text/plain"),
        ("/logo.png", "logo.png", "image/png"),
    ],
)
def test_content_type_for(route: str, name: str, expected: str) -> None:
    assert content_type_for(route, Path(name)) == expected


# --- serving ------------------------------------------------------------------------


def test_home_page_is_served_and_query_is_ignored(server: RunningServer) -> None:
    status, headers, body = fetch(server, "/?utm_source=x")
    assert status == 200
    assert b"<title>JMN</title>" in body
    assert int(headers["Content-Length"]) == len(body)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html"),
        ("/lavrov-said/", "text/html"),
        ("/feed/", "application/rss+xml"),
        ("/sitemap_index.xml", "application/xml"),
        ("/post-sitemap.xml", "application/xml"),
        ("/robots.txt", "text/plain"),
    ],
)
def test_content_types_on_the_wire(server: RunningServer, path: str, content_type: str) -> None:
    status, headers, _ = fetch(server, path)
    assert status == 200
    assert headers["Content-Type"] == content_type  # no charset parameter


def test_origins_are_rewritten_to_the_local_server(server: RunningServer) -> None:
    _, _, body = fetch(server, "/")
    text = body.decode()
    assert f'href="{server.url}/category/policy/"' in text
    assert f'href="{server.url}/lavrov-said/"' in text  # the http:// origin too
    assert f'<link rel="canonical" href="{server.url}/">' in text
    escaped = server.url.replace("/", "\\/")
    assert f'"ajaxurl":"{escaped}\\/wp-admin\\/admin-ajax.php"' in text
    assert 'href="https://jmn.info.example.org/x/"' in text  # another host is kept
    host = server.url.removeprefix("http:")
    assert f'href="{host}/wp-content/style.css"' in text  # protocol-relative
    assert 'href="https://www.facebook.com/jmn.info"' in text  # a path segment is kept
    assert "https://jmn.info/" not in text


@pytest.mark.parametrize("path", ["/feed/", "/sitemap_index.xml", "/robots.txt"])
def test_origins_are_rewritten_in_xml_and_text(server: RunningServer, path: str) -> None:
    _, _, body = fetch(server, path)
    assert b"jmn.info" not in body
    assert server.url.encode() in body


def test_windows_1251_page_keeps_its_bytes(server: RunningServer) -> None:
    _, headers, body = fetch(server, "/cp-case/")
    assert headers["Content-Type"] == "text/html"
    expected = CP1251_PAGE.replace("https://jmn.info", server.url).encode("cp1251")
    assert body == expected
    assert "Лавров рассказал про договоренности" in body.decode("cp1251")


@pytest.mark.parametrize("path", ["/zipped/", "/archive.html"])
def test_gzipped_files_are_served_decompressed(server: RunningServer, path: str) -> None:
    status, headers, body = fetch(server, path)
    assert status == 200
    assert body.startswith(b"<")
    assert "Content-Encoding" not in headers


def test_percent_encoded_cyrillic_path(server: RunningServer) -> None:
    status, _, body = fetch(server, "/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D1%8C/")
    assert status == 200
    assert b"Lavrov said" in body


def test_directory_path_without_slash_is_redirected(server: RunningServer) -> None:
    status, headers, _ = fetch(server, "/category/policy?x=1")
    assert status == 301
    assert headers["Location"] == f"{server.url}/category/policy/?x=1"
    status, headers, _ = fetch(server, "/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D1%8C")
    assert headers["Location"] == f"{server.url}/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D1%8C/"


def test_unknown_path_is_a_404_with_html(server: RunningServer) -> None:
    status, headers, body = fetch(server, "/no/such/page/")
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert b"404 Not Found" in body
    assert server.hits["/no/such/page/"] == 1


def test_head_sends_headers_only(server: RunningServer) -> None:
    status, headers, body = fetch(server, "/lavrov-said/", method="HEAD")
    assert status == 200
    assert body == b""
    _, _, full = fetch(server, "/lavrov-said/")
    assert int(headers["Content-Length"]) == len(full)


def test_keep_alive_serves_many_requests_on_one_connection(server: RunningServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("GET", "/")
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        assert first.version == 11
        for path in ["/lavrov-said/", "/feed/", "/nope/", "/robots.txt"]:
            conn.request("GET", path)
            conn.getresponse().read()
            assert conn.sock is sock  # http.client reconnects only if the server closed
    finally:
        conn.close()
    assert server.hits["/"] == 1
    assert sum(server.hits.values()) == 5


def test_hits_and_last_user_agent_are_recorded(server: RunningServer) -> None:
    for agent in ["first-bot/1.0", "second-bot/2.0"]:
        fetch(server, "/lavrov-said/?page=1", headers={"User-Agent": agent})
    fetch(server, "/", headers={"User-Agent": "home-bot"})
    assert server.hits["/lavrov-said/"] == 2
    assert server.user_agent("/lavrov-said/") == "second-bot/2.0"
    assert server.last_headers["/"]["User-Agent"] == "home-bot"
    assert server.user_agent("/never/") is None


def test_no_request_lines_on_stderr(
    server: RunningServer, capfd: pytest.CaptureFixture[str]
) -> None:
    fetch(server, "/")
    fetch(server, "/missing/")
    assert capfd.readouterr().err == ""


# --- binding ------------------------------------------------------------------------


def test_binds_loopback_only(site: FixtureSite) -> None:
    with serve(site) as running:
        assert running.host == "127.0.0.1"
        assert running.url == f"http://127.0.0.1:{running.port}"
        assert running.port > 0


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "", "localhost", "::1", "192.168.1.10", "::", "127.0.0.2"]
)
def test_non_loopback_hosts_are_refused(site: FixtureSite, host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        serve(site, host=host)


def test_stop_closes_keep_alive_connections_and_frees_the_port(site: FixtureSite) -> None:
    running = serve(site)
    conn = http.client.HTTPConnection(running.host, running.port, timeout=5)
    conn.request("GET", "/")
    conn.getresponse().read()
    running.stop()
    running.stop()  # a second stop is harmless
    conn.request("GET", "/")  # the idle keep-alive connection was shut down
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        conn.getresponse()
    conn.close()
    with pytest.raises(ConnectionRefusedError):
        fetch(running, "/")


# --- faults -------------------------------------------------------------------------


def test_status_fault_then_recovers(site: FixtureSite) -> None:
    faults = {"/lavrov-said/": Fault("status", status=503, times=2)}
    with serve(site, faults=faults) as running:
        statuses = [fetch(running, "/lavrov-said/")[0] for _ in range(3)]
        assert statuses == [503, 503, 200]
        assert running.hits["/lavrov-said/"] == 3


def test_status_fault_defaults_to_500_forever(site: FixtureSite) -> None:
    with serve(site, faults={"/": Fault("status")}) as running:
        assert [fetch(running, "/")[0] for _ in range(3)] == [500, 500, 500]


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_fault(site: FixtureSite, status: int) -> None:
    fault = Fault("retry_after", status=status, retry_after=7, times=1)
    with serve(site, faults={"/feed/": fault}) as running:
        got, headers, _ = fetch(running, "/feed/")
        assert (got, headers["Retry-After"]) == (status, "7")
        got, headers, body = fetch(running, "/feed/")
        assert got == 200
        assert "Retry-After" not in headers
        assert b"<rss" in body


def test_retry_after_defaults_to_429(site: FixtureSite) -> None:
    with serve(site, faults={"/": Fault("retry_after", times=1)}) as running:
        assert fetch(running, "/")[0] == 429


def test_slow_fault_delays_the_answer(site: FixtureSite) -> None:
    with serve(site, faults={"/lavrov-said/": Fault("slow", delay=0.4)}) as running:
        started = time.monotonic()
        status, _, body = fetch(running, "/lavrov-said/")
        assert time.monotonic() - started >= 0.4
        assert status == 200
        assert b"Lavrov said" in body
        started = time.monotonic()
        fetch(running, "/")  # other paths stay fast
        assert time.monotonic() - started < 0.4


def test_redirect_loop_fault(site: FixtureSite) -> None:
    with serve(site, faults={"/lavrov-said/": Fault("redirect_loop")}) as running:
        status, headers, _ = fetch(running, "/lavrov-said/")
        assert status == 302
        assert headers["Location"] == f"{running.url}{LOOP_PREFIX}/lavrov-said/"
        status, headers, _ = fetch(running, f"{LOOP_PREFIX}/lavrov-said/")
        assert status == 302
        assert headers["Location"] == f"{running.url}/lavrov-said/"
        with pytest.raises(urllib.error.HTTPError, match="infinite loop"):
            urllib.request.urlopen(running.url + "/lavrov-said/", timeout=10)
        assert running.hits["/lavrov-said/"] > 2
        assert running.hits[f"{LOOP_PREFIX}/lavrov-said/"] > 2


def test_redirect_fault_sends_absolute_locations_as_given(site: FixtureSite) -> None:
    faults = {
        "/away/": Fault("redirect", location="http://127.0.0.1:9/elsewhere/"),
        "/here/": Fault("redirect", status=301, location="/lavrov-said/"),
    }
    with serve(site, faults=faults) as running:
        status, headers, _ = fetch(running, "/away/")
        assert (status, headers["Location"]) == (302, "http://127.0.0.1:9/elsewhere/")
        status, headers, _ = fetch(running, "/here/")
        assert (status, headers["Location"]) == (301, f"{running.url}/lavrov-said/")


def test_truncated_fault_cuts_the_body(site: FixtureSite) -> None:
    with serve(site, faults={"/lavrov-said/": Fault("truncated", times=1)}) as running:
        conn = http.client.HTTPConnection(running.host, running.port, timeout=10)
        conn.request("GET", "/lavrov-said/")
        response = conn.getresponse()
        declared = int(response.headers["Content-Length"])
        with pytest.raises(http.client.IncompleteRead) as caught:
            response.read()
        assert 0 < len(caught.value.partial) < declared
        conn.close()
        status, _, body = fetch(running, "/lavrov-said/")  # times=1: now whole
        assert status == 200
        assert len(body) == declared


@pytest.mark.parametrize("size", [300_000, 2_000_000])
def test_oversize_fault_pads_the_real_page(site: FixtureSite, size: int) -> None:
    with serve(site, faults={"/lavrov-said/": Fault("oversize", size=size)}) as running:
        status, headers, body = fetch(running, "/lavrov-said/")
    assert status == 200
    assert int(headers["Content-Length"]) == len(body) == size
    assert b"<h1>Lavrov said</h1>" in body
    assert body.rstrip().endswith(b"</html>")


@pytest.mark.parametrize("content_type", ["application/octet-stream", ""])
def test_content_type_fault_relabels_the_real_page(site: FixtureSite, content_type: str) -> None:
    fault = Fault("content_type", content_type=content_type)
    with serve(site, faults={"/lavrov-said/": fault}) as running:
        status, headers, body = fetch(running, "/lavrov-said/")
    assert status == 200
    assert headers.get("Content-Type") == (content_type or None)
    assert b"<h1>Lavrov said</h1>" in body


def test_oversize_fault_on_unknown_path_is_still_a_page(site: FixtureSite) -> None:
    with serve(site, faults={"/huge/": Fault("oversize", size=50_000)}) as running:
        status, _, body = fetch(running, "/huge/")
    assert (status, len(body)) == (200, 50_000)
    assert body.startswith(b"<!DOCTYPE html>")


def test_faults_can_change_while_running(server: RunningServer) -> None:
    server.faults["/"] = Fault("status", status=502)
    assert fetch(server, "/")[0] == 502
    del server.faults["/"]
    assert fetch(server, "/")[0] == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "explode"},
        {"kind": "status", "times": -1},
        {"kind": "status", "status": 99},
        {"kind": "slow", "delay": -1},
    ],
)
def test_bad_faults_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case fails on its own field
        Fault(**kwargs)  # type: ignore[arg-type]


# --- command line -------------------------------------------------------------------


@contextlib.contextmanager
def running(command: list[str], **popen: Any) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``command``, wait for its ``READY <url>`` line, and kill it on exit if needed."""
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line.startswith("READY http://127.0.0.1:"), line
            yield proc, line.removeprefix("READY ")
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def test_command_line_serves_until_interrupted(site_root: Path) -> None:
    command = [sys.executable, "-m", "newscrawl.devtools.devserver", str(site_root)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with running([*command, "--origin", ORIGINS[0]], cwd=REPO, env=env) as (proc, url):
        with urllib.request.urlopen(url + "/", timeout=10) as response:
            body = response.read()
        assert f'href="{url}/lavrov-said/"'.encode() in body  # http:// twin rewritten too
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_command_line_interrupted_right_after_ready_exits_cleanly(site_root: Path) -> None:
    """A Ctrl-C that lands as soon as READY is printed (a test harness, a busy machine)
    still ends the server with exit 0, not a KeyboardInterrupt traceback."""
    command = [sys.executable, "-m", "newscrawl.devtools.devserver", str(site_root)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with running([*command, "--origin", ORIGINS[0]], cwd=REPO, env=env) as (proc, _url):
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None
        assert "Traceback" not in proc.stderr.read()


# --- the benchmark portal (bench/portal.py) -----------------------------------------
# bench/ is not a package, so the module is loaded from its file.

PORTAL_FILE = REPO / "bench" / "portal.py"


@pytest.fixture(scope="module")
def portal_mod() -> ModuleType:
    """The ``bench/portal.py`` module."""
    module = load_bench("portal")
    return module


@pytest.fixture(scope="module")
def small_portal(portal_mod: ModuleType) -> Any:
    """A 150-article portal."""
    return portal_mod.generate_portal(150, seed=7)


@pytest.fixture(scope="module")
def small_routes(portal_mod: ModuleType, small_portal: Any) -> dict[bytes, Any]:
    """The rendered routes of the small portal for http://127.0.0.1:8000."""
    routes, _ = portal_mod.build_routes(small_portal, "http://127.0.0.1:8000")
    return routes


def _page(routes: dict[bytes, Any], path: str) -> Selector:
    """Parse the rendered page at ``path``."""
    return Selector(text=b"".join(routes[path.encode()].body).decode())


@pytest.fixture(scope="module")
def portal_server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python bench/portal.py --articles 150 --port 0`` running; yields it and its URL."""
    command = [sys.executable, str(PORTAL_FILE), "--articles", "150", "--seed", "7"]
    with running([*command, "--port", "0"]) as (proc, url):
        yield proc, url


def test_portal_generation_is_deterministic(portal_mod: ModuleType) -> None:
    first = portal_mod.generate_portal(60, seed=3)
    again = portal_mod.generate_portal(60, seed=3)
    other = portal_mod.generate_portal(60, seed=4)
    assert [(p.path, p.paragraphs) for p in first.posts] == [
        (p.path, p.paragraphs) for p in again.posts
    ]
    assert [p.path for p in first.posts] != [p.path for p in other.posts]


def test_portal_article_paths_are_dated_and_unique(small_portal: Any) -> None:
    paths = [p.path for p in small_portal.posts]
    assert len(set(paths)) == 150
    for post in small_portal.posts:
        assert post.path == f"/{post.published:%Y/%m}/{post.slug}/"
        assert post.slug.endswith(f"-{post.post_id}")


def test_every_article_is_reachable_from_category_pagination(
    small_portal: Any, small_routes: dict[bytes, Any]
) -> None:
    base = "http://127.0.0.1:8000"
    found: set[str] = set()
    home = _page(small_routes, "/")
    categories = home.css("#main-nav a::attr(href)").getall()[1:]
    assert len(categories) == 6
    for url in categories:
        path: str | None = url.removeprefix(base)
        while path:
            page = _page(small_routes, path)
            titles = page.css("h2.post-box-title a::attr(href)").getall()
            assert 1 <= len(titles) <= 20
            found.update(t.removeprefix(base) for t in titles)
            following = page.css("a.nextpostslink::attr(href)").get()
            path = following.removeprefix(base) if following else None
    assert found == {p.path for p in small_portal.posts}


def test_portal_article_markup(small_portal: Any, small_routes: dict[bytes, Any]) -> None:
    post = next(p for p in small_portal.posts if p.alt_title and p.credit)
    page = _page(small_routes, post.path)
    crumbs = page.css("#crumbs a::text, #crumbs span.current::text").getall()
    assert crumbs == ["Home", post.category.name, post.title]
    article = page.css("article#the-post")
    assert article.css(".post-inner h1 span[itemprop=name]::text").get() == post.title
    meta = article.css("p.post-meta")
    assert meta.css(".post-meta-author a::text").get().strip() == post.author.name
    assert meta.css("a[rel='category tag']::text").get() == post.category.name
    assert meta.css(".tie-date::text").get() == (
        f"{post.published:%B} {post.published.day}, {post.published.year}"
    )
    entry = article.css("div.entry")
    assert entry.css("h2::text").get() == post.alt_title
    texts = entry.css("p::text").getall()
    assert 6 <= len(texts) - 1 <= 15
    assert texts[-1] == post.credit
    assert re.fullmatch(r"Photo: [A-Z][a-z]+ [A-Z][a-z]+/.+", post.credit)
    assert article.css("div.share-post")
    assert len(page.css("p.post-tag a[rel=tag]")) == len(post.tags)
    assert len(page.css("#related_posts .related-item h3 a")) == 3
    check_also = page.css("#check-also-box .check-also-post")
    assert 1 <= len(check_also) <= 2
    assert check_also.css("h2.post-title a::attr(href)").get().startswith("http://127.0.0.1")
    head = page.css("head")
    assert head.css("link[rel=canonical]::attr(href)").get() == f"http://127.0.0.1:8000{post.path}"
    assert head.css("meta[property='og:title']::attr(content)").get().startswith(post.title)
    published = head.css("meta[property='article:published_time']::attr(content)").get()
    assert published == post.published.isoformat(timespec="seconds")
    assert published.endswith("+03:00")


def test_portal_some_articles_lack_the_optional_parts(small_portal: Any) -> None:
    assert any(p.alt_title is None for p in small_portal.posts)
    assert any(p.credit is None for p in small_portal.posts)
    assert all(6 <= len(p.paragraphs) <= 15 for p in small_portal.posts)
    assert len({len(p.paragraphs) for p in small_portal.posts}) > 5


def test_portal_pages_weigh_like_wordpress_pages(
    small_portal: Any, small_routes: dict[bytes, Any]
) -> None:
    sizes = sorted(small_routes[p.path.encode()].length for p in small_portal.posts)
    assert sizes[0] >= 20_000
    assert sizes[-1] <= 40_000


def test_portal_sitemaps_hold_at_most_1000_urls(portal_mod: ModuleType) -> None:
    portal = portal_mod.generate_portal(2100, seed=1)
    renderer = portal_mod.Renderer(portal, "http://127.0.0.1:8000")
    maps = [Selector(text=m.decode(), type="xml") for m in renderer.post_sitemaps()]
    for sitemap in maps:
        sitemap.remove_namespaces()
    assert [len(m.xpath("//url")) for m in maps] == [1000, 1000, 100]
    assert all(len(m.xpath("//url/lastmod")) == len(m.xpath("//url")) for m in maps)
    index = Selector(text=renderer.sitemap_index().decode(), type="xml")
    index.remove_namespaces()
    assert index.xpath("//sitemap/loc/text()").getall() == [
        "http://127.0.0.1:8000/post-sitemap.xml",
        "http://127.0.0.1:8000/post-sitemap2.xml",
        "http://127.0.0.1:8000/post-sitemap3.xml",
        "http://127.0.0.1:8000/category-sitemap.xml",
    ]
    listed = {u for m in maps for u in m.xpath("//url/loc/text()").getall()}
    assert listed == {f"http://127.0.0.1:8000{p.path}" for p in portal.posts}


def test_portal_feed_lists_the_latest_50(small_portal: Any, small_routes: dict[bytes, Any]) -> None:
    feed = Selector(text=b"".join(small_routes[b"/feed/"].body).decode(), type="xml")
    links = feed.xpath("//item/link/text()").getall()
    newest = small_portal.posts[::-1][:50]
    assert links == [f"http://127.0.0.1:8000{p.path}" for p in newest]
    assert small_routes[b"/feed/"].head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Type: application/rss+xml" in small_routes[b"/feed/"].head


def test_portal_binds_loopback_only(portal_mod: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        portal_mod.bind("0.0.0.0", 0)


def test_portal_server_answers_over_http(portal_server: tuple[Any, str]) -> None:
    _, url = portal_server
    port = int(url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/")
        home = conn.getresponse()
        body = home.read()
        assert home.status == 200
        assert home.headers["Content-Type"] == "text/html; charset=UTF-8"
        assert int(home.headers["Content-Length"]) == len(body)
        sock = conn.sock
        expectations = {
            "/robots.txt": 200,
            "/sitemap_index.xml": 200,
            "/post-sitemap.xml": 200,
            "/feed/": 200,
            "/category/policy/feed/": 200,
            "/category/policy": 301,
            "/category/policy/page/1/": 301,
            "/category/policy/page/99/": 404,
            "/no/such/page/": 404,
        }
        for path, status in expectations.items():
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == status, path
        assert conn.sock is sock  # all on one keep-alive connection
        conn.request("HEAD", "/robots.txt")
        head = conn.getresponse()
        assert head.read() == b""
        assert int(head.headers["Content-Length"]) > 0
    finally:
        conn.close()
    with urllib.request.urlopen(url + "/robots.txt", timeout=10) as response:
        assert f"Sitemap: {url}/sitemap_index.xml" in response.read().decode()


def test_portal_server_redirects_shortlinks(
    portal_server: tuple[Any, str], small_portal: Any
) -> None:
    _, url = portal_server
    post = small_portal.posts[5]
    port = int(url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", f"/?p={post.post_id}")
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.status == 301
    assert response.headers["Location"] == url + post.path


def test_portal_server_handles_pipelining(portal_server: tuple[Any, str]) -> None:
    _, url = portal_server
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /nope/ HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /robots.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert re.findall(rb"HTTP/1\.1 (\d{3})", data) == [b"200", b"404", b"200"]
    assert data.count(b"Connection: close") == 1


def test_portal_load_client_and_stats(
    portal_mod: ModuleType, portal_server: tuple[Any, str]
) -> None:
    _, url = portal_server
    port = int(url.rsplit(":", 1)[1])
    result = asyncio.run(portal_mod.run_load("127.0.0.1", port, ["/", "/feed/"], 2, 0.3))
    assert result.requests > 10
    assert result.errors == 0
    with urllib.request.urlopen(url + "/__stats__", timeout=10) as response:
        stats = json.load(response)
    assert stats["articles"] == 150
    assert stats["requests"] >= result.requests


def test_portal_server_stops_on_sigterm() -> None:
    command = [sys.executable, str(PORTAL_FILE), "--articles", "20", "--port", "0"]
    with running(command) as (proc, _):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None
        assert "stopped" in proc.stderr.read()


def test_portal_latency_delays_responses_without_blocking_other_connections(
    portal_mod: ModuleType, small_portal: Any
) -> None:
    """``--latency-ms``: every response waits, in order, while other connections are served."""
    latency = 0.3

    async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return status, await reader.readexactly(length)

    async def client(port: int) -> list[tuple[bytes, bytes]]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        paths = ("/robots.txt", "/no/such/page/")  # pipelined: answered in this order
        writer.write(b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for p in paths))
        answers = [await read_response(reader) for _ in paths]
        writer.close()
        return answers

    async def scenario() -> tuple[float, list[list[tuple[bytes, bytes]]]]:
        sock = portal_mod.bind("127.0.0.1", 0)
        port = sock.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        routes, not_found = portal_mod.build_routes(small_portal, base)
        app = portal_mod.PortalApp(small_portal, routes, not_found, base)
        app.latency = latency
        stop, ready = asyncio.Event(), asyncio.Event()
        server = asyncio.create_task(portal_mod.serve(sock, app, ready=ready.set, stop=stop))
        await ready.wait()
        started = time.monotonic()
        answers = await asyncio.gather(*(client(port) for _ in range(4)))
        elapsed = time.monotonic() - started
        stop.set()
        await server
        return elapsed, answers

    elapsed, answers = asyncio.run(scenario())
    for robots, missing in answers:
        assert robots[0].startswith(b"HTTP/1.1 200")
        assert b"Sitemap:" in robots[1]
        assert missing[0].startswith(b"HTTP/1.1 404")
    # 8 responses: one latency each, all waiting at once (served one by one: 2.4 s).
    assert latency <= elapsed < 4 * latency, elapsed
