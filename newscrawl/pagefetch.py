"""Fetch one page politely, outside a crawl (``newscrawl extract URL``).

This uses the standard library (``urllib.request``) and Protego, not Scrapy's downloader:
one page needs one request at a time, and Scrapy's downloader needs a running Twisted
reactor and a crawler around it, which would cost a second of start-up and make errors
arrive as reactor callbacks. What the crawl's politeness promises is kept by hand here:

- the crawl's User-Agent (``newscrawl/<version> (+NEWSCRAWL_CONTACT_URL)``);
- robots.txt (its first 500 KiB, ``newscrawl.robotstxt``), read with Protego as the crawl
  reads it, for every host a
  redirect leads to;
- ``DOWNLOAD_TIMEOUT`` for each request, as one deadline for the whole exchange
  (connecting, sending, the status line and headers, the body), however slowly the server
  trickles its bytes; ``DOWNLOAD_MAXSIZE`` for the body (after gzip decompression too), at
  most ``MAX_REDIRECTS`` redirects, and only http and https.
"""

from __future__ import annotations

import gzip
import http.client
import io
import socket
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, field
from email.message import Message
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from w3lib.url import safe_url_string

from newscrawl.robotstxt import capped

if TYPE_CHECKING:
    from protego import Protego

__all__ = [
    "MAX_REDIRECTS",
    "FetchError",
    "Fetched",
    "PageFetcher",
    "read_bounded",
    "user_agent",
]

MAX_REDIRECTS = 5
"""Redirects followed before a fetch gives up (Scrapy's REDIRECT_MAX_TIMES is 20; one page
the user names should not need more than a few)."""

_CHUNK = 1 << 16


class FetchError(Exception):
    """A page could not be fetched; the message is one line that names the URL."""


@dataclass(frozen=True)
class Fetched:
    """A page as fetched."""

    url: str
    """The final URL, after redirects."""
    body: bytes
    """The body, decompressed."""
    headers: dict[str, str] = field(default_factory=dict)
    """The response headers that extraction reads (``Content-Type``)."""


def user_agent() -> str:
    """Return the crawl's User-Agent, built as the spider builds it from the settings."""
    from newscrawl import __version__, settings

    return f"newscrawl/{__version__} (+{settings.NEWSCRAWL_CONTACT_URL})"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back to the caller, which follows them itself (and checks each)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        """Follow nothing: the 3xx surfaces as an HTTPError."""
        return None


def _time_left(deadline: float) -> float:
    """Return the seconds until ``deadline`` (``time.monotonic``); TimeoutError once past."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    return left


class _DeadlineReader(io.RawIOBase):
    """The reads of a socket, each allowed only the time left until one deadline.

    A socket's own timeout bounds each read alone: a server that sends one byte every
    half second never trips it, and http.client reads the status line and headers a line
    at a time, so a trickle of headers held ``extract --timeout 3`` for minutes.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        self._raw = sock.makefile("rb", buffering=0)  # keeps the socket open until closed

    def readable(self) -> bool:
        """A reader: True."""
        return True

    def readinto(self, buffer: Any) -> int | None:
        """Read what has arrived into ``buffer``, waiting no later than the deadline."""
        self._sock.settimeout(_time_left(self._deadline))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        """Let go of the socket (closed once http.client has closed it too)."""
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineSocket:
    """A connected socket whose sends and reads all keep to one deadline; anything else is
    the socket's own (http.client sends through ``sendall`` and reads through
    ``makefile``)."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def sendall(self, data: Any) -> None:
        """Send all of ``data``, no later than the deadline."""
        self._sock.settimeout(_time_left(self._deadline))
        self._sock.sendall(data)

    def makefile(self, mode: str = "r", *args: Any, **kwargs: Any) -> io.BufferedReader:
        """Return a buffered reader of the socket whose reads keep to the deadline."""
        if mode != "rb":
            raise ValueError(f"only binary reading is supported, not {mode!r}")
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _DeadlineConnection(http.client.HTTPConnection):
    """An HTTP connection that keeps to ``deadline`` from connecting to the last byte."""

    def __init__(self, *args: Any, deadline: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        """Connect within the time left, then hand http.client the deadline-keeping socket."""
        self.timeout = _time_left(self.deadline)
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self.deadline)  # type: ignore[assignment]


class _DeadlineHTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    """:class:`_DeadlineConnection` over TLS (the TLS handshake waits at most the time left
    at connecting for each of its reads)."""


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    """urllib's http handler, each request keeping to one deadline: its timeout from when
    it is opened."""

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        """Open ``req`` on a :class:`_DeadlineConnection`."""
        deadline = time.monotonic() + _request_timeout(req)
        return self.do_open(_DeadlineConnection, req, deadline=deadline)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    """urllib's https handler, each request keeping to one deadline (as for http)."""

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        """Open ``req`` on a :class:`_DeadlineHTTPSConnection`."""
        deadline = time.monotonic() + _request_timeout(req)
        context = getattr(self, "_context", None)
        return self.do_open(_DeadlineHTTPSConnection, req, context=context, deadline=deadline)


def _request_timeout(req: urllib.request.Request) -> float:
    timeout = getattr(req, "timeout", None)
    if not isinstance(timeout, (int, float)):
        raise ValueError("a request needs a timeout in seconds")
    return float(timeout)


def _check_scheme(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http and https URLs are fetched")


class PageFetcher:
    """Fetches pages one at a time, politely, as the crawl would (see the module docstring)."""

    def __init__(
        self,
        *,
        timeout: float | None = None,
        max_size: int | None = None,
        agent: str | None = None,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        """Default ``timeout`` and ``max_size`` are the crawl's ``DOWNLOAD_TIMEOUT`` and
        ``DOWNLOAD_MAXSIZE``; the default ``agent`` is :func:`user_agent`."""
        from newscrawl import settings

        self.timeout = float(settings.DOWNLOAD_TIMEOUT if timeout is None else timeout)
        self.max_size = int(settings.DOWNLOAD_MAXSIZE if max_size is None else max_size)
        self.agent = agent or user_agent()
        self.max_redirects = max_redirects
        self._opener = urllib.request.build_opener(
            _NoRedirects(), _DeadlineHTTPHandler(), _DeadlineHTTPSHandler()
        )
        self._robots: dict[str, Protego] = {}

    def fetch_page(self, url: str) -> Fetched:
        """Return the HTML page at ``url``, following redirects; raise FetchError.

        Every URL on the way must be allowed by its host's robots.txt. Refused: other
        schemes, HTTP errors, more than ``max_redirects`` redirects, bodies over
        ``max_size`` bytes, responses that are no HTML page by the rule the crawl's
        extraction applies (:func:`~newscrawl.extraction.mediatype.not_html`: an HTML
        Content-Type, or none or ``application/octet-stream`` on a body that starts as
        HTML does), and timeouts.
        """
        from newscrawl.extraction.mediatype import not_html

        fetched = self._follow(url, check_robots=True)
        if (why := not_html(fetched.headers.get("Content-Type"), fetched.body)) is not None:
            raise FetchError(f"{fetched.url}: {why}")
        return fetched

    def allowed(self, url: str) -> bool:
        """Tell whether the robots.txt of ``url``'s origin lets our User-Agent fetch it.

        robots.txt is fetched once per origin. As RFC 9309 says: a 4xx (or none) allows
        everything, a 5xx disallows everything; redirects are followed.
        """
        from protego import Protego

        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._robots.get(origin)
        if parser is None:
            try:
                fetched = self._follow(origin + "/robots.txt", check_robots=False)
                text = capped(fetched.body, fetched.url).decode("utf-8", errors="replace")
            except _HTTPStatus as exc:
                if exc.status >= 500:
                    raise FetchError(
                        f"{url}: robots.txt answered HTTP {exc.status}, so nothing may be fetched"
                    ) from None
                text = ""
            parser = Protego.parse(text)
            self._robots[origin] = parser
        return parser.can_fetch(url, self.agent)

    def _follow(self, url: str, *, check_robots: bool) -> Fetched:
        """Fetch ``url`` and follow its redirects; the last response must be a 2xx."""
        current = url
        for _hop in range(self.max_redirects + 1):
            _check_scheme(current)
            current = safe_url_string(current)  # non-ASCII paths and hosts, percent-encoded
            if check_robots and not self.allowed(current):
                raise FetchError(f"{current}: disallowed by robots.txt")
            try:
                return self._get(current)
            except _Redirect as redirect:
                current = urljoin(current, redirect.location)
        raise FetchError(f"{url}: more than {self.max_redirects} redirects")

    def _get(self, url: str) -> Fetched:
        """One GET: the 2xx response, or _Redirect, _HTTPStatus, FetchError."""
        request = urllib.request.Request(
            url,
            headers={
                "User-Agent": self.agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
                "Accept-Encoding": "gzip",
            },
        )
        deadline = time.monotonic() + self.timeout
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                content_type = response.headers.get("Content-Type")
                headers = {"Content-Type": content_type} if content_type else {}
                body = self._read(url, response, response.headers, deadline)
                return Fetched(response.url or url, body, headers)
        except urllib.error.HTTPError as exc:
            exc.close()
            location = exc.headers.get("Location") if exc.headers else None
            if 300 <= exc.code < 400 and location:
                raise _Redirect(location) from None
            raise _HTTPStatus(url, exc.code) from None
        except TimeoutError:
            raise FetchError(f"{url}: timed out after {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise FetchError(f"{url}: timed out after {self.timeout:g} s") from None
            text = getattr(reason, "strerror", None) or str(reason)
            raise FetchError(f"{url}: cannot connect: {text}") from None
        except (OSError, ValueError, http.client.HTTPException) as exc:  # e.g. a cut-off body
            raise FetchError(f"{url}: cannot fetch: {exc or type(exc).__name__}") from None

    def _read(self, url: str, stream: IO[bytes], headers: Message, deadline: float) -> bytes:
        """Read the body within ``max_size`` bytes (decompressed) and the deadline."""
        limit = self.max_size
        too_large = f"{url}: larger than {limit} bytes (DOWNLOAD_MAXSIZE)"
        declared = headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(too_large)
        gzipped = headers.get("Content-Encoding", "").strip().lower() in ("gzip", "x-gzip")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
        parts: list[bytes] = []
        size = received = 0
        read = getattr(stream, "read1", stream.read)  # what has arrived, not a full chunk
        while chunk := read(_CHUNK):
            received += len(chunk)
            if time.monotonic() > deadline:
                raise FetchError(f"{url}: timed out after {self.timeout:g} s")
            if inflater is not None:
                try:
                    chunk = inflater.decompress(chunk, limit + 1 - size)
                except zlib.error as exc:
                    raise FetchError(f"{url}: bad gzip body: {exc}") from None
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                raise FetchError(too_large)
        if declared and declared.isdigit() and received < int(declared):
            raise FetchError(f"{url}: cannot fetch: body cut off at {received} of {declared} bytes")
        if inflater is not None and received and not inflater.eof:
            # A gzip stream ends with its own end mark: without it, the body was cut in
            # transfer (a connection closed early), whatever the headers said.
            raise FetchError(f"{url}: cannot fetch: gzip body cut off at {received} bytes")
        return b"".join(parts)


class _Redirect(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class _HTTPStatus(FetchError):
    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url}: HTTP {status}")
        self.status = status


def read_bounded(stream: IO[bytes], max_size: int, label: str) -> bytes:
    """Return all of ``stream`` (gunzipped when it starts as gzip), refusing more than
    ``max_size`` bytes, raw or decompressed, with FetchError."""
    data = stream.read(max_size + 1)
    if len(data) > max_size:
        raise FetchError(f"{label}: larger than {max_size} bytes (DOWNLOAD_MAXSIZE)")
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                data = unzipped.read(max_size + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise FetchError(f"{label}: bad gzip data: {exc}") from None
        if len(data) > max_size:
            raise FetchError(
                f"{label}: decompresses to more than {max_size} bytes (DOWNLOAD_MAXSIZE)"
            )
    return data
