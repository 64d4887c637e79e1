"""Small sites served on 127.0.0.1 for the tests of crawling by URL.

Each site is a table of paths; a value is a fixed answer or a function that streams its
body in chunks (so a test can serve a sitemap of a million URLs without holding it). The
server counts requests by path and bytes sent by path, so a test sees what a crawl fetched.
"""

from __future__ import annotations

import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    """One answer: status, content type, body (bytes, or a function yielding chunks)."""

    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes | Callable[[], Iterable[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)


class Site:
    """A running site: ``url``, ``hits`` (requests by path), ``sent`` (body bytes by path).

    ``default`` answers a path that has no route: an answer (a site that answers every path
    with a page), or a function of the request's path and query (pages made as they are
    asked for); a 404 page unless given.
    """

    def __init__(
        self,
        routes: dict[str, Answer],
        default: Answer | Callable[[str], Answer] | None = None,
    ) -> None:
        self.routes = routes
        self.default = default
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                site.hits[path] += 1
                answer = site.routes.get(self.path) or site.routes.get(path)
                if answer is None:
                    fallback = site.default or NOT_FOUND
                    answer = fallback if isinstance(fallback, Answer) else fallback(self.path)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if isinstance(answer.body, bytes):
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                    site.sent[path] += len(answer.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in answer.body():
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        site.sent[path] += len(chunk)
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The site's origin, ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


NOT_FOUND = Answer(404, body=b"<html><head><title>Not found</title></head><body>404</body></html>")

PARAGRAPH = (
    "The city council met on Tuesday evening to discuss the new budget, which sets aside "
    "more money for schools, roads and the hospital than any budget of the last ten years."
)


def page(title: str, links: Iterable[str] = (), *, article: bool = False, extra: str = "") -> bytes:
    """An HTML page: a title, links, and for an article an ``<article>`` of running text."""
    anchors = "\n".join(
        f'<li><h3><a href="{u}">Story {i}</a></h3></li>' for i, u in enumerate(links)
    )
    body = ""
    if article:
        text = "".join(f"<p>{PARAGRAPH} ({n})</p>" for n in range(6))
        body = f"<article><h1>{title}</h1>{text}</article>"
    meta = (
        '<meta property="og:type" content="article">'
        '<meta property="article:published_time" content="2026-12-05T10:00:00+00:00">'
        if article
        else ""
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"{meta}{extra}</head><body><nav><ul>{anchors}</ul></nav>{body}</body></html>"
    ).encode()


def html(body: bytes) -> Answer:
    """A 200 HTML answer."""
    return Answer(body=body)


def big_sitemap(
    base: Callable[[], str], urls: int, *, gzipped: bool = False
) -> Callable[[], Iterator[bytes]]:
    """A sitemap of ``urls`` article URLs, generated (and gzipped) as it is sent, 1,000 URLs
    a chunk."""

    def chunks() -> Iterator[bytes]:
        if not gzipped:
            yield from plain()
            return
        packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # 31: the gzip format
        for chunk in plain():
            if packed := packer.compress(chunk):
                yield packed
        yield packer.flush()

    def plain() -> Iterator[bytes]:
        yield b'<?xml version="1.0" encoding="UTF-8"?>\n'
        yield b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        root = base()
        for start in range(0, urls, 1000):
            yield "".join(
                f"<url><loc>{root}/2026/12/05/story-number-{n}/</loc></url>\n"
                for n in range(start, min(start + 1000, urls))
            ).encode()
        yield b"</urlset>\n"

    return chunks
