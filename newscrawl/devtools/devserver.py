"""Serve a saved portal from ``fixtures/<site>/`` on 127.0.0.1, with optional faults.

A fixture directory holds article cases (``<case>.html`` or ``<case>.html.gz`` beside
``<case>.json``, whose ``meta.url`` gives the page's real URL) and a static tree under
``site/`` where a URL path ending in ``/`` maps to that directory's ``index.html``
(``index.xml`` for feeds). :class:`FixtureSite` turns both into one route table, and
:func:`serve` answers from it on ``http://127.0.0.1:<port>``, rewriting the real site's
origins to its own so that every link a crawler follows stays on the local server.

For crawl tests, :class:`Fault` entries make chosen paths fail the way real servers do
(errors, throttling, slowness, redirect loops, cut-off bodies, huge pages), and the
running server counts requests and keeps the last request's headers per path.

Run it by hand with ``python -m newscrawl.devtools.devserver fixtures/jmn --origin https://jmn.info``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import mimetypes
import re
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Literal, get_args
from urllib.parse import quote, unquote, urlsplit

__all__ = [
    "Fault",
    "FaultKind",
    "FixtureSite",
    "Route",
    "RunningServer",
    "content_type_for",
    "main",
    "serve",
    "with_scheme_twins",
]

FaultKind = Literal[
    "status",
    "retry_after",
    "slow",
    "redirect_loop",
    "truncated",
    "oversize",
    "redirect",
    "empty",
    "bad_gzip",
    "content_type",
]

LOOP_PREFIX = "/_loop"
"""Path prefix of the second half of a redirect loop: ``/_loop/x/`` redirects back to ``/x/``."""

_TEXT_SUFFIXES = frozenset({".html", ".htm", ".xml", ".txt", ".json", ".css", ".js", ".svg"})
_INDEX_NAMES = ("index.html", "index.htm", "index.xml")
_NOT_FOUND_BODY = (
    b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Page not found</title>'
    b"</head><body><h1>404 Not Found</h1><p>No fixture for this path.</p></body></html>\n"
)
_DEFAULT_STATUS: dict[str, int] = {"status": 500, "retry_after": 429, "redirect": 302}


def content_type_for(route: str, file: Path) -> str:
    """Return the Content-Type the server sends for ``file`` served at ``route``.

    ``.html`` is plain ``text/html`` with no charset parameter (pages declare their own);
    ``.xml`` is ``application/rss+xml`` when the route has a ``feed`` segment and
    ``application/xml`` otherwise; ``.txt`` is ``text/plain``. A trailing ``.gz`` is
    ignored, since such files are served decompressed.

    >>> content_type_for("/feed/", Path("site/feed/index.xml"))
    'application/rss+xml'
    >>> content_type_for("/a/", Path("a.html.gz"))
    'text/html'
    """
    name = file.name.removesuffix(".gz")
    suffix = Path(name).suffix.lower()
    if suffix in (".html", ".htm"):
        return "text/html"
    if suffix == ".xml":
        return "application/rss+xml" if "feed" in route.split("/") else "application/xml"
    if suffix == ".txt":
        return "text/plain"
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def _route_key(path: str) -> str:
    """Return the lookup key of a URL path: percent-decoded, never empty."""
    return unquote(path) or "/"


@dataclass(frozen=True)
class Route:
    """One servable path: the file behind it and how it is sent."""

    path: str
    """The URL path (percent-decoded), e.g. ``/category/policy/``."""
    file: Path
    """The file on disk; a ``.gz`` file is served decompressed."""
    content_type: str
    """The Content-Type header value."""

    @property
    def is_text(self) -> bool:
        """True when the body is text, so origins in it are rewritten."""
        return Path(self.file.name.removesuffix(".gz")).suffix.lower() in _TEXT_SUFFIXES

    def read(self) -> bytes:
        """Return the file's bytes, decompressed when the file is gzipped."""
        data = self.file.read_bytes()
        return gzip.decompress(data) if self.file.name.endswith(".gz") else data


class FixtureSite:
    """The route table of one saved portal, and the origins to rewrite in its bodies.

    Routes come from the static tree ``root/site/`` (a directory's ``index.html`` or
    ``index.xml`` answers the directory's path with a trailing slash; any other file
    answers its own path; ``x.html.gz`` answers ``x.html``) and from the article cases
    ``root/<case>.json`` (the path of ``meta.url`` answers with the sibling
    ``<case>.html`` or ``<case>.html.gz``). A case overrides a static file at the same
    path. JSON files without a ``meta.url`` are not cases and are skipped.
    """

    def __init__(
        self,
        root: Path | str,
        origins: Sequence[str] | None = None,
        overlays: Sequence[Path | str] = (),
    ) -> None:
        """Scan ``root`` (then each of ``overlays``) and remember the ``origins`` to rewrite.

        An overlay is laid out like ``root`` and holds only what differs, e.g. the portal
        "the next day": its routes replace or add to those of ``root``.

        ``origins`` lists the real site's origins, e.g. ``["https://jmn.info",
        "http://jmn.info"]``. ``None`` (the default) takes them from the cases'
        ``meta.url`` values, each with its http/https twin; ``()`` rewrites nothing.
        """
        self.root = Path(root)
        self.overlays = [Path(o) for o in overlays]
        for folder in (self.root, *self.overlays):
            if not folder.is_dir():
                raise FileNotFoundError(f"fixture directory not found: {folder}")
        self.routes: dict[str, Route] = {}
        self._case_urls: list[str] = []
        self.rescan()
        if origins is None:
            found = {"{0.scheme}://{0.netloc}".format(urlsplit(url)) for url in self._case_urls}
            origins = with_scheme_twins(sorted(found))
        self.origins: tuple[str, ...] = tuple(o.rstrip("/") for o in origins)
        for origin in self.origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")

    def rescan(self) -> None:
        """Rebuild :attr:`routes` from what is on disk now."""
        routes: dict[str, Route] = {}
        case_urls: list[str] = []
        for folder in (self.root, *self.overlays):
            static_root = folder / "site"
            if static_root.is_dir():
                for file in sorted(static_root.rglob("*")):
                    if file.is_file():
                        path = self._static_path(file.relative_to(static_root))
                        routes[path] = Route(path, file, content_type_for(path, file))
            for case_json in sorted(folder.glob("*.json")):
                found = self._case_route(case_json)
                if found is not None:
                    route, url = found
                    routes[route.path] = route
                    case_urls.append(url)
        self.routes = routes
        self._case_urls = case_urls

    @staticmethod
    def _static_path(rel: Path) -> str:
        """Return the URL path a file of the static tree answers."""
        name = rel.name.removesuffix(".gz")
        parent = "/" + "/".join(rel.parts[:-1])
        if name in _INDEX_NAMES:
            return parent if parent.endswith("/") else parent + "/"
        return _route_key(parent.rstrip("/") + "/" + name)

    def _case_route(self, case_json: Path) -> tuple[Route, str] | None:
        """Return the route and ``meta.url`` of one case, or None when the JSON is not a case."""
        try:
            meta = json.loads(case_json.read_text(encoding="utf-8")).get("meta")
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
            raise ValueError(f"{case_json}: not a JSON object ({exc})") from exc
        url = meta.get("url") if isinstance(meta, dict) else None
        if not isinstance(url, str):
            return None
        stem = case_json.name.removesuffix(".json")
        for candidate in (f"{stem}.html", f"{stem}.html.gz"):
            page = case_json.with_name(candidate)
            if page.is_file():
                path = _route_key(urlsplit(url).path)
                return Route(path, page, content_type_for(path, page)), url
        return None

    def lookup(self, path: str) -> Route | None:
        """Return the route serving URL path ``path`` (query ignored), or None."""
        return self.routes.get(_route_key(urlsplit(path).path))

    def rewrite(self, body: bytes, base_url: str) -> bytes:
        """Return ``body`` with every configured origin replaced by ``base_url``.

        Works on bytes, so a page keeps its own encoding. Also rewrites the
        JSON-escaped form (``https:\\/\\/host``) that WordPress puts in inline scripts
        and the protocol-relative form (``//host/...``, e.g. Yoast's sitemap stylesheet).
        An origin followed by more host characters (``https://jmn.info.evil``) is kept,
        and so is a host that is only a path segment (``facebook.com/jmn.info``).
        """
        if not self.origins:
            return body
        base = base_url.rstrip("/").encode("ascii")
        base_host = base.split(b"://", 1)[1]
        replacements: dict[bytes, bytes] = {}
        relative: dict[bytes, bytes] = {}
        for origin in self.origins:
            raw = origin.encode("ascii")
            replacements[raw] = base
            replacements[raw.replace(b"/", b"\\/")] = base.replace(b"/", b"\\/")
            relative[b"//" + raw.split(b"://", 1)[1]] = b"//" + base_host
        absolute = sorted(replacements, key=len, reverse=True)
        pattern = re.compile(
            b"(?:"
            + b"|".join(re.escape(old) for old in absolute)
            + rb"|(?<![:/\\\w])(?:"
            + b"|".join(re.escape(old) for old in sorted(relative, key=len, reverse=True))
            + rb"))(?![A-Za-z0-9_-]|\.[A-Za-z0-9])"
        )
        replacements.update(relative)
        return pattern.sub(lambda match: replacements[match.group(0)], body)


@dataclass(frozen=True)
class Fault:
    """A way one path misbehaves, for testing how a crawler copes.

    ``times`` is how many requests of the path get the fault before the real page is
    served; ``None`` (the default) means every request. Kinds:

    - ``status``: answer ``status`` (default 500) with a small HTML body.
    - ``retry_after``: answer ``status`` (default 429; 503 also makes sense) with
      ``Retry-After: <retry_after>``.
    - ``slow``: sleep ``delay`` seconds, then answer normally.
    - ``redirect_loop``: 302 to ``/_loop<path>``, which always 302s back to ``<path>``.
    - ``truncated``: declare the full Content-Length, send only the first half of the
      body (at most ``size`` bytes if given), then close the connection.
    - ``empty``: ``200 OK`` with ``Content-Type: text/html`` and an empty body.
    - ``oversize``: a valid HTML page of exactly ``size`` bytes (the real page padded
      with filler before ``</body>`` when it is smaller than ``size``).
    - ``redirect``: answer ``status`` (default 302) with ``Location: <location>``, sent as
      given when absolute (``http://127.0.0.1:9/x``, another server), else on this server;
      with no Location header at all when ``location`` is empty.
    - ``bad_gzip``: the real page with ``Content-Encoding: gzip``, but not compressed.
    - ``content_type``: the real page sent as ``Content-Type: <content_type>``, or with no
      Content-Type header at all when ``content_type`` is empty (a server that labels
      pages wrongly, or not at all).
    """

    kind: FaultKind
    """Which misbehaviour."""
    times: int | None = None
    """Faulty requests before the path recovers; None for all of them."""
    status: int | None = None
    """Status of ``status`` and ``retry_after`` faults (defaults 500 and 429)."""
    retry_after: int = 1
    """Seconds sent in the Retry-After header of a ``retry_after`` fault."""
    delay: float = 1.0
    """Seconds a ``slow`` fault waits before answering."""
    size: int = 1_000_000
    """Body bytes of an ``oversize`` page."""
    location: str = "/"
    """Where a ``redirect`` fault sends the client."""
    content_type: str = "application/octet-stream"
    """The Content-Type a ``content_type`` fault sends ("": none)."""

    def __post_init__(self) -> None:
        """Reject unknown kinds and out-of-range numbers."""
        if self.kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind: {self.kind!r}")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0 or None")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"bad status: {self.status}")
        if self.delay < 0 or self.retry_after < 0 or self.size < 0:
            raise ValueError("delay, retry_after and size must be >= 0")

    @property
    def effective_status(self) -> int:
        """The status a ``status`` or ``retry_after`` fault answers with."""
        return self.status if self.status is not None else _DEFAULT_STATUS.get(self.kind, 500)

    def active(self, hit: int) -> bool:
        """True when the ``hit``-th request (1-based) of the path gets the fault."""
        return self.times is None or hit <= self.times


def _filler_page(size: int, page: bytes | None) -> bytes:
    """Return a valid HTML page of exactly ``size`` bytes, built on ``page`` if it fits."""
    chunk = b"<p>" + b"Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8 + b"</p>\n"
    if page is None or len(page) > size:
        page = (
            b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Oversize</title>'
            b"</head><body>\n</body></html>\n"
        )
    cut = page.lower().rfind(b"</body>")
    if cut < 0:
        cut = len(page)
    missing = size - len(page)
    if missing < 0:
        return page[:size]  # size is smaller than even the skeleton page
    wrapper = b"<!--" + b"-->"
    if missing < len(wrapper):
        return page[:cut] + b" " * missing + page[cut:]
    filler_len = missing - len(wrapper)
    filler = (chunk * (filler_len // len(chunk) + 1))[:filler_len].replace(b"--", b"- ")
    return page[:cut] + b"<!--" + filler + b"-->" + page[cut:]


class _Handler(BaseHTTPRequestHandler):
    """Answers one connection's requests from the server's :class:`FixtureSite`."""

    protocol_version = "HTTP/1.1"
    server_version = "newscrawl-devserver"
    sys_version = ""
    server: _FixtureHTTPServer

    def setup(self) -> None:
        """Register the connection so :meth:`RunningServer.stop` can close it."""
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        """Unregister the connection."""
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: no per-request lines on stderr."""

    def do_GET(self) -> None:
        """Answer a GET."""
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        """Answer a HEAD: the GET headers without a body."""
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        """Count the request, apply any fault, then serve the route or a 404."""
        target = self.path
        if not target.startswith("/"):  # absolute-form request target
            target = urlsplit(target).path or "/"
        path = _route_key(urlsplit(target).path)
        hit = self.server.record(path, dict(self.headers.items()))

        if path.startswith(LOOP_PREFIX + "/"):
            back = quote(path[len(LOOP_PREFIX) :])
            self._send(302, b"", "text/html", send_body, location=back)
            return
        fault = self.server.faults.get(path)
        if fault is not None and fault.active(hit) and self._apply_fault(fault, path, send_body):
            return
        route = self.server.site.lookup(path)
        if route is None and not path.endswith("/") and self.server.site.lookup(path + "/"):
            # Like WordPress: a directory path without its slash is redirected.
            query = urlsplit(target).query
            location = quote(path + "/") + (f"?{query}" if query else "")
            self._send(301, b"", "text/html", send_body, location=location)
            return
        if route is None:
            self._send(404, _NOT_FOUND_BODY, "text/html; charset=utf-8", send_body)
            return
        self._send(200, self.server.body(route), route.content_type, send_body)

    def _apply_fault(self, fault: Fault, path: str, send_body: bool) -> bool:
        """Misbehave as ``fault`` says; return True when the request is fully answered."""
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return False
        if fault.kind == "status":
            status = fault.effective_status
            body = f"<html><body><h1>{status} fault</h1></body></html>\n".encode()
            self._send(status, body, "text/html; charset=utf-8", send_body)
        elif fault.kind == "retry_after":
            status = fault.effective_status
            body = f"<html><body><h1>{status} slow down</h1></body></html>\n".encode()
            extra = {"Retry-After": str(fault.retry_after)}
            self._send(status, body, "text/html; charset=utf-8", send_body, extra=extra)
        elif fault.kind == "redirect":
            location = fault.location or None
            self._send(fault.effective_status, b"", "text/html", send_body, location=location)
        elif fault.kind == "redirect_loop":
            self._send(302, b"", "text/html", send_body, location=quote(LOOP_PREFIX + path))
        elif fault.kind == "truncated":
            route = self.server.site.lookup(path)
            body = self.server.body(route) if route else _NOT_FOUND_BODY
            content_type = route.content_type if route else "text/html"
            if send_body:
                self._send_truncated(body, content_type)
            else:
                self._send(200, body, content_type, send_body)
        elif fault.kind == "empty":
            self._send(200, b"", "text/html", send_body)
        elif fault.kind == "content_type":
            route = self.server.site.lookup(path)
            body = self.server.body(route) if route else _NOT_FOUND_BODY
            self._send(200 if route else 404, body, fault.content_type or None, send_body)
        elif fault.kind == "bad_gzip":
            route = self.server.site.lookup(path)
            body = self.server.body(route) if route else _NOT_FOUND_BODY
            extra = {"Content-Encoding": "gzip"}
            self._send(200, body, "text/html; charset=utf-8", send_body, extra=extra)
        else:  # oversize
            route = self.server.site.lookup(path)
            page = self.server.body(route) if route else None
            self._send(200, _filler_page(fault.size, page), "text/html", send_body)
        return True

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        send_body: bool,
        *,
        location: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        """Send a complete response with an exact Content-Length (and no Content-Type
        header when ``content_type`` is None)."""
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if location is not None:
            absolute = location.startswith(("http://", "https://"))
            self.send_header("Location", location if absolute else self.server.base_url + location)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if send_body and body:
            view = memoryview(body)
            for start in range(0, len(body), 1 << 16):
                self.wfile.write(view[start : start + (1 << 16)])

    def _send_truncated(self, body: bytes, content_type: str) -> None:
        """Promise ``len(body)`` bytes, send half of them, then drop the connection."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(max(len(body), 2)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class _FixtureHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server holding the site, the faults and the request log."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], site: FixtureSite, faults: Mapping[str, Fault]
    ) -> None:
        """Bind to ``address`` and remember what to serve."""
        super().__init__(address, _Handler)
        self.site = site
        self.faults: dict[str, Fault] = {_route_key(p): f for p, f in faults.items()}
        self.hits: Counter[str] = Counter()
        self.arrivals: list[tuple[float, str]] = []
        self.last_headers: dict[str, dict[str, str]] = {}
        self.base_url = f"http://{self.server_address[0]}:{self.server_address[1]}"
        self._lock = threading.Lock()
        self._bodies: dict[str, bytes] = {}
        self._connections: set[socket.socket] = set()

    def record(self, path: str, headers: dict[str, str]) -> int:
        """Count a request of ``path`` and keep its headers; return its 1-based number."""
        with self._lock:
            self.hits[path] += 1
            self.arrivals.append((time.monotonic(), path))
            self.last_headers[path] = headers
            return self.hits[path]

    def body(self, route: Route) -> bytes:
        """Return the route's body as served (origins rewritten), cached after first use."""
        with self._lock:
            cached = self._bodies.get(route.path)
        if cached is None:
            cached = route.read()
            if route.is_text:
                cached = self.site.rewrite(cached, self.base_url)
            with self._lock:
                self._bodies[route.path] = cached
        return cached

    def track(self, connection: socket.socket, *, add: bool) -> None:
        """Add or remove an open client connection."""
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open client connection (keep-alive ones included)."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore clients that hang up; report anything else on stderr."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class RunningServer:
    """A fixture server running in a daemon thread; also a context manager that stops it."""

    def __init__(self, httpd: _FixtureHTTPServer) -> None:
        """Start serving ``httpd`` in a daemon thread."""
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._stopped = False

    @property
    def url(self) -> str:
        """The server's origin, ``http://127.0.0.1:<port>``, without a trailing slash."""
        return self._httpd.base_url

    @property
    def host(self) -> str:
        """The bound address."""
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._httpd.server_address[1])

    @property
    def site(self) -> FixtureSite:
        """The site being served."""
        return self._httpd.site

    @property
    def hits(self) -> Counter[str]:
        """Requests received per URL path (percent-decoded, query dropped), faults included."""
        return self._httpd.hits

    @property
    def arrivals(self) -> list[tuple[float, str]]:
        """Every request received, in order: (``time.monotonic()`` as it arrived, its path)."""
        return self._httpd.arrivals

    @property
    def last_headers(self) -> dict[str, dict[str, str]]:
        """Headers of the most recent request per URL path."""
        return self._httpd.last_headers

    @property
    def faults(self) -> dict[str, Fault]:
        """The live fault table; tests may add or remove entries while the server runs."""
        return self._httpd.faults

    def user_agent(self, path: str) -> str | None:
        """The User-Agent of the last request of ``path``, or None if none was sent."""
        headers = self.last_headers.get(_route_key(path), {})
        return next((v for k, v in headers.items() if k.lower() == "user-agent"), None)

    def url_for(self, path: str) -> str:
        """Return the absolute local URL of ``path``."""
        return self.url + (path if path.startswith("/") else "/" + path)

    def stop(self) -> None:
        """Stop accepting, close open connections and free the port; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        """Return the running server."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()


def _check_loopback(host: str) -> None:
    """Raise ValueError unless ``host`` is ``127.0.0.1``, the only address we bind."""
    if host != "127.0.0.1":
        raise ValueError(f"host must be the loopback address 127.0.0.1, not {host!r}")


def serve(
    site: FixtureSite,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: Mapping[str, Fault] | None = None,
) -> RunningServer:
    """Start serving ``site`` on ``host:port`` (port 0 picks a free one) and return it.

    The server is already accepting when this returns. It only ever binds 127.0.0.1;
    any other host raises ValueError. Use it as a context manager, or call ``.stop()``.
    ``faults`` maps URL paths to :class:`Fault` entries.

    Answers: the route's file (200); a 301 to ``<path>/`` when only the slashed path
    exists, as WordPress does; otherwise a small HTML 404. HEAD is supported.
    """
    _check_loopback(host)
    httpd = _FixtureHTTPServer((host, port), site, faults or {})
    return RunningServer(httpd)


def with_scheme_twins(origins: Sequence[str]) -> list[str]:
    """Return ``origins`` plus the http/https twin of each, without duplicates.

    >>> with_scheme_twins(["https://jmn.info"])
    ['https://jmn.info', 'http://jmn.info']
    """
    result: list[str] = []
    for origin in origins:
        origin = origin.rstrip("/")
        scheme, _, rest = origin.partition("://")
        twin = ("http" if scheme == "https" else "https") + "://" + rest
        for candidate in (origin, twin):
            if candidate not in result:
                result.append(candidate)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a fixture directory until Ctrl-C; print ``READY <url>`` once listening."""
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.devtools.devserver",
        description="Serve fixtures/<site>/ on 127.0.0.1, rewriting the real origin to local.",
    )
    parser.add_argument("root", type=Path, help="fixture directory, e.g. fixtures/jmn")
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        help="the real site's origin, e.g. https://jmn.info (repeatable; the http/https "
        "twin is added automatically; default: the origins of the cases' meta.url)",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    args = parser.parse_args(argv)

    site = FixtureSite(args.root, with_scheme_twins(args.origin) if args.origin else None)
    # Ctrl-C stops the server even when it was started as a background job, which a
    # non-interactive shell starts with SIGINT ignored (Python then keeps it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:  # around the prints too: a Ctrl-C right after READY still ends the server cleanly
        with serve(site, port=args.port) as server:
            print(f"READY {server.url}", flush=True)
            print(f"{len(site.routes)} routes from {args.root}; Ctrl-C stops", file=sys.stderr)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
