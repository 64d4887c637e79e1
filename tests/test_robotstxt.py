"""robots.txt is read up to RFC 9309's 500 KiB, whole lines only, by the crawl's parser
(``ROBOTSTXT_PARSER``) and by ``pagefetch``."""

from __future__ import annotations

import logging

import pytest
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings

from newscrawl.middlewares import CappedRobotParser
from newscrawl.robotstxt import MAX_ROBOTS_BYTES, capped

AGENT = "newscrawl"


def robots_with(disallow_after: str, filler_bytes: int) -> bytes:
    """A robots.txt that disallows ``/early/``, then holds ``filler_bytes`` of comment lines,
    then disallows ``disallow_after``."""
    line = b"# " + b"x" * 97 + b"\n"
    filler = line * (filler_bytes // len(line))
    return b"User-agent: *\nDisallow: /early/\n" + filler + f"Disallow: {disallow_after}\n".encode()


def test_a_small_robots_txt_is_read_whole() -> None:
    body = robots_with("/late/", 1000)
    assert capped(body) is body


def test_a_last_line_without_a_line_break_is_read() -> None:
    body = b"User-agent: *\nDisallow: /private/"
    assert capped(body) == body


def test_the_limit_is_500_kib_exactly(caplog: pytest.LogCaptureFixture) -> None:
    """RFC 9309's least limit, 500 KiB: a file of that size is read whole, its last line
    too; one byte more, and the last line (now cut) is left out."""
    head = b"User-agent: *\n"
    rule = b"Disallow: /last/"
    body = head + b"#" * (500 * 1024 - len(head) - len(rule) - 1) + b"\n" + rule
    assert len(body) == 500 * 1024
    with caplog.at_level(logging.WARNING):
        assert capped(body, "https://a.example/robots.txt") == body
        assert not caplog.text
        assert capped(body + b"x", "https://a.example/robots.txt") == body.removesuffix(rule)
    assert f"robots.txt of https://a.example/robots.txt is {len(body) + 1} bytes" in caplog.text


def test_lines_ended_by_a_carriage_return_alone_are_cut_at_the_last_one() -> None:
    """RFC 9309 allows CR alone as a line end (old Mac files): the cut keeps every whole
    line within the limit, not only the first."""
    line = b"Disallow: /x/\r"
    body = b"User-agent: *\r" + line * (MAX_ROBOTS_BYTES // len(line) + 1)
    kept = capped(body)
    assert body.startswith(kept)
    assert kept.endswith(b"\r")
    assert MAX_ROBOTS_BYTES - len(line) < len(kept) <= MAX_ROBOTS_BYTES


def test_rules_past_500_kib_are_not_read(caplog: pytest.LogCaptureFixture) -> None:
    body = robots_with("/late/", MAX_ROBOTS_BYTES)
    with caplog.at_level(logging.WARNING):
        parser = CappedRobotParser(body, None)
    assert not parser.allowed("https://a.example/early/x", AGENT)
    assert parser.allowed("https://a.example/late/x", AGENT)
    assert f"robots.txt is {len(body)} bytes: reading its first " in caplog.text  # no URL


def test_a_rule_cut_by_the_limit_is_left_out_not_shortened() -> None:
    # "Disallow: /latest-news/" cut after "/la" would disallow /lake/ too.
    head = b"User-agent: *\n"
    rule = b"Disallow: /latest-news/\n"
    pad = b"#" * (MAX_ROBOTS_BYTES - len(head) - 13) + b"\n"
    body = head + pad + rule
    kept = capped(body)
    assert len(kept) <= MAX_ROBOTS_BYTES
    assert kept == head + pad
    assert CappedRobotParser(body, None).allowed("https://a.example/lake/", AGENT)


def test_a_file_of_one_line_past_the_limit_reads_as_empty() -> None:
    assert capped(b"Disallow: /" + b"x" * MAX_ROBOTS_BYTES) == b""


def test_the_crawl_reads_robots_txt_with_the_capped_parser() -> None:
    settings = get_project_settings()
    assert load_object(settings["ROBOTSTXT_PARSER"]) is CappedRobotParser
