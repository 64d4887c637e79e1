"""Profiles are checked: unknown keys, wrong types and broken selectors fail at load time."""

from __future__ import annotations

import doctest
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import newscrawl.profiles
from newscrawl.cli import main
from newscrawl.profiles import (
    ProfileError,
    file_problems,
    forget_profiles,
    load_profile,
    profile_names,
)
from newscrawl.profiles import check as profile_check
from newscrawl.profiles.check import profile_problems, schema_keys
from tests.conftest import ROOT

PROFILES = ROOT / "newscrawl" / "profiles"
DOCS = ROOT / "docs" / "profiles.md"


def test_doctests() -> None:
    assert doctest.testmod(profile_check).failed == 0


@pytest.mark.parametrize("name", profile_names())
def test_bundled_profiles_are_sound(name: str) -> None:
    assert file_problems(PROFILES / f"{name}.toml") == []


BAD = [
    ('[body]\ncontaner = ".entry"', "[body] contaner: unknown key (did you mean container?)"),
    ('nmae = "x"', "nmae: unknown key (did you mean name?)"),
    ('[bodyy]\ncontainer = ".entry"', "bodyy: unknown key (did you mean body?)"),
    (
        '[[teasers]]\nnodes = "li"\ntitle = "a"\nurl = "a::attr(href)"\nexerpt = "p"',
        "[[teasers]] #1 exerpt: unknown key (did you mean excerpt?)",
    ),
    ('[[teasers]]\ntitle = "a"\nurl = "a::attr(href)"', "[[teasers]] #1 nodes: missing (required)"),
    ('[crawl]\ndownload_delay = "0.25s"', "[crawl] download_delay: '0.25s' is not a number"),
    (
        "[crawl]\nconcurrent_requests_per_domain = 2.5",
        "[crawl] concurrent_requests_per_domain: 2.5 is not an integer",
    ),
    (
        "[crawl]\nconcurrent_requests_per_domain = true",
        "[crawl] concurrent_requests_per_domain: True is not an integer",
    ),
    ("[crawl]\ntelnetconsole_enabled = true", "[crawl] telnetconsole_enabled: unknown key"),
    ("[body]\nalt_headline_window = -1", "[body] alt_headline_window: -1 is less than the minimum"),
    ('[breadcrumb]\nitems = ["a", "span"]', "[breadcrumb] items: ['a', 'span'] is not a string"),
    ("[fields]\nheadline = 3", "[fields] headline: 3 is not a string or array"),
    ('[fields]\nheadline = ["h1", 3]', "[fields] headline[1]: 3 is not a string"),
    ('site = "jmn.info"', "site: 'jmn.info' is not a table"),
    ('kind = "portl"', "kind: 'portl' is not one of ['theme', 'portal', 'fallback']"),
    ('[site]\nlanguages = ["english"]', "[site] languages[0]: 'english' does not match"),
    (
        '[site]\ntimezone = "Europe/Moskow"',
        "[site] timezone: 'Europe/Moskow' is not an IANA timezone",
    ),
    (
        '[fields]\nheadline = ["h1", "h1.entry-title["]',
        "[fields] headline[1]: selector 'h1.entry-title[' does not compile",
    ),
    (
        '[body]\nexclude = "xpath://div[@class="',
        "[body] exclude: selector 'xpath://div[@class=' does not compile",
    ),
    (
        '[discovery]\nlisting_date = "span::nope"',
        "[discovery] listing_date: selector 'span::nope' does not compile",
    ),
    (
        '[[teasers]]\nnodes = "li"\ntitle = "a"\nurl = "a::attr("',
        "[[teasers]] #1 url: selector 'a::attr(' does not compile",
    ),
    (
        '[discovery]\nsitemap_follow = ["post-(sitemap"]',
        "[discovery] sitemap_follow[0]: 'post-(sitemap' is not a regular expression",
    ),
    (
        '[body]\ndrop_patterns = ["^(read also"]',
        "[body] drop_patterns[0]: '^(read also' is not a regular expression",
    ),
    ('[discovery]\nfeeds = ["/feed/"]', "[discovery] feeds[0]: '/feed/' does not match"),
]


def write(tmp_path: Path, text: str, name: str = "portal") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "problem"), BAD, ids=[p.split(":")[0] for _, p in BAD])
def test_one_problem_one_line_naming_the_file_and_key(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path, text)
    (line,) = file_problems(path)
    assert line.startswith(f"{path}: {problem}")
    assert "\n" not in line


def test_every_problem_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, '[body]\ncontaner = ".entry"\n[crawl]\ndownload_delay = "x"\n')
    assert len(file_problems(path)) == 2


def test_not_toml(tmp_path: Path) -> None:
    (line,) = file_problems(write(tmp_path, "[body\ncontainer = 1"))
    assert "not valid TOML" in line


def test_extends_must_name_a_profile(tmp_path: Path) -> None:
    assert file_problems(write(tmp_path, 'extends = "sahifa"\nkind = "theme"')) == []
    (line,) = file_problems(write(tmp_path, 'extends = "sahfia"'))
    assert "extends: unknown profile 'sahfia' (did you mean sahifa? known: " in line


def test_extends_finds_a_theme_where_the_loader_does_not_beside_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, 'kind = "theme"\n[fields]\narticle = "article"', name="mytheme")
    portal = write(tmp_path, 'extends = "mytheme"\n[site]\ndomains = ["portal.example"]')
    (line,) = file_problems(portal)  # --profile-file portal.toml would not find it either
    assert line.startswith(f"{portal}: extends: unknown profile 'mytheme'")
    monkeypatch.setenv("NEWSCRAWL_PROFILES_DIR", str(tmp_path))
    assert file_problems(portal) == []


def test_a_profile_that_extends_itself_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "self"\nextends = "self"\nkind = "theme"', name="self")
    assert file_problems(path) == [f"{path}: extends: profile 'self' extends itself: self -> self"]


def test_profiles_that_extend_each_other_are_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = write(tmp_path, 'extends = "b"\nkind = "theme"', name="a")
    b = write(tmp_path, 'extends = "a"\nkind = "theme"', name="b")
    monkeypatch.setenv("NEWSCRAWL_PROFILES_DIR", str(tmp_path))
    assert file_problems(a) == [f"{a}: extends: profile 'a' extends itself: a -> b -> a"]
    assert file_problems(b) == [f"{b}: extends: profile 'b' extends itself: b -> a -> b"]


def test_a_profile_that_extends_a_circle_it_is_not_in_is_told_the_circle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The line said "profile 'portal' extends itself through 'b'": it does not, and the
    # profile to fix (b or c) was nowhere in it.
    write(tmp_path, 'extends = "c"\nkind = "theme"', name="b")
    write(tmp_path, 'extends = "b"\nkind = "theme"', name="c")
    portal = write(tmp_path, 'extends = "b"\n[site]\ndomains = ["portal.example"]')
    monkeypatch.setenv("NEWSCRAWL_PROFILES_DIR", str(tmp_path))
    expected = "profile 'portal' extends a circle of profiles: b -> c -> b"
    assert file_problems(portal) == [f"{portal}: extends: {expected}"]
    with pytest.raises(ProfileError, match=f"^{re.escape(expected)}$"):
        load_profile("portal")


def test_a_name_that_is_not_a_profile_name_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "Bad Name"\nextends = "sahifa"')
    (line,) = file_problems(path)
    assert line.startswith(f"{path}: name: profile 'Bad Name' is not allowed: it must match ")


def test_extends_with_a_path_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, 'extends = "../../etc/passwd"\nkind = "theme"')
    (line,) = file_problems(path)
    assert line.startswith(f"{path}: extends: profile '../../etc/passwd' is not allowed: ")


def test_a_portal_without_domains_is_a_problem_and_a_theme_is_not(tmp_path: Path) -> None:
    portal = write(tmp_path, 'kind = "portal"\nextends = "sahifa"', name="nodomain")
    assert file_problems(portal) == [
        f"{portal}: profile 'nodomain' is a portal with no [site] domains: "
        "a crawl needs the hosts it may fetch from"
    ]
    assert file_problems(write(tmp_path, 'kind = "theme"', name="mytheme")) == []


REFUSED = {
    "self": 'extends = "self"\nkind = "theme"',
    "badname": 'name = "Bad Name"\nextends = "sahifa"',
    "path": 'extends = "../../etc/passwd"\nkind = "theme"',
    "typo": '[body]\ncontaner = ".entry"',
    "not-toml": "[body\n",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_profile_check_refuses_what_the_loader_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(newscrawl.profiles.PROFILE_FILES_ENV, "{}")  # restored after the test
    path = write(tmp_path, REFUSED[name], name=name)
    with pytest.raises(ProfileError):
        newscrawl.profiles.register_profile_file(path)
    assert file_problems(path)


def test_profile_problems_of_data() -> None:
    assert profile_problems({"body": {"container": [".entry"]}}) == []
    assert profile_problems({"body": {"container": [".entry["]}})


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Make ``tmp_path`` the folder of bundled profiles (holding copies of the real ones)."""
    for source in PROFILES.glob("*.toml"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(newscrawl.profiles.resources, "files", lambda package: tmp_path)
    forget_profiles()
    yield tmp_path
    forget_profiles()


def test_a_broken_profile_fails_at_load_time(bundled: Path) -> None:
    jmn = bundled / "jmn.toml"
    jmn.write_text(jmn.read_text(encoding="utf-8") + '\n[body]\ncontaner = ".entry"\n')
    with pytest.raises(ProfileError) as raised:
        load_profile("jmn")
    assert str(raised.value) == f"{jmn}: [body] contaner: unknown key (did you mean container?)"


def test_a_broken_theme_fails_its_portals(bundled: Path) -> None:
    sahifa = bundled / "sahifa.toml"
    text = sahifa.read_text(encoding="utf-8").replace(
        "alt_headline_window = 2", "alt_headline_window = -2"
    )
    sahifa.write_text(text.replace("[images]\n", '[images]\nlaed = ".x"\n'), encoding="utf-8")
    with pytest.raises(ProfileError, match=r"sahifa.toml: .* \(and 1 more\)$"):
        load_profile("jmn")


def test_cli_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "check", *map(str, sorted(PROFILES.glob("*.toml")))]) == 0
    assert capsys.readouterr().out == ""


def test_cli_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path, '[body]\ncontaner = ".entry"\nexclude = ["p["]')
    assert main(["profile", "check", str(PROFILES / "jmn.toml"), str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{bad}: [body] ") for line in lines)


def test_cli_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "check", str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "missing.toml: cannot read" in err
    with pytest.raises(SystemExit) as raised:
        main(["profile", "check"])
    assert raised.value.code == 2


def documented_keys() -> list[str]:
    rows = re.findall(r"^\| `([^`]+)` \|", DOCS.read_text(encoding="utf-8"), re.MULTILINE)
    return rows


def test_docs_list_every_key_of_the_schema_in_order() -> None:
    assert documented_keys() == schema_keys()
    assert "discovery.listing_date" in schema_keys()
    assert any(key.startswith("crawl.") for key in schema_keys())


def test_every_schema_key_has_a_description() -> None:
    def walk(node: dict) -> Iterator[dict]:
        for sub in node.get("properties", {}).values():
            yield sub
            yield from walk(sub.get("items", sub) if isinstance(sub.get("items"), dict) else sub)

    assert all(sub.get("description") for sub in walk(profile_check.profile_schema()))


def test_crawl_allow_list_is_the_schema() -> None:
    """The keys a ``[crawl]`` table may set are one list: the loader's and the schema's."""
    from newscrawl.profiles import CRAWL_SETTINGS
    from newscrawl.profiles.check import profile_schema

    assert list(profile_schema()["properties"]["crawl"]["properties"]) == list(CRAWL_SETTINGS)


RUN_FAILS = {
    "xpath:count(//h1)": "compiles but it computes a number instead of selecting nodes",
    "xpath:boolean(//article)": "compiles but it computes a boolean instead of selecting nodes",
    "xpath:string(//h1)": "compiles but it computes a string instead of selecting nodes",
    "xpath://h1[$lang]": "compiles but the XPath variable $lang is never given a value",
    "xpath://article[has-klass('post')]": "compiles but has-klass() cannot run",
    "xpath:exsl:node-set(//h1)": "compiles but exsl:node-set() cannot run",
    "xpath://og:title": "compiles but it cannot run: Undefined namespace prefix",
}


@pytest.mark.parametrize("query", sorted(RUN_FAILS))
def test_an_xpath_that_compiles_but_cannot_select_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    # Each passed the check and then failed on a page with a traceback (a number has no
    # text; a variable or a missing function fails when evaluated), or, as the boolean
    # article marker, silently made every page an article.
    path = write(tmp_path, f'extends = "jmn"\n[fields]\nheadline = [\'h1\', "{query}"]')
    (line,) = file_problems(path)
    assert line.startswith(f"{path}: [fields] headline[1]: selector {query!r} {RUN_FAILS[query]}")
    monkeypatch.setenv(newscrawl.profiles.PROFILE_FILES_ENV, "{}")  # restored after the test
    page = ROOT / "fixtures" / "jmn" / "ad-span-inside-paragraph.html"
    assert main(["extract", "--profile-file", str(path), str(page)]) == 2
    (error,) = capsys.readouterr().err.splitlines()
    assert RUN_FAILS[query] in error


def test_xpath_selectors_that_select_nodes_pass(tmp_path: Path) -> None:
    queries = [
        "xpath://h1[has-class('entry-title')]",
        "xpath://h1[re:test(., 'a', 'i')]",
        "xpath:set:distinct(//h1)",
        "xpath://h1[contains(., '$x foo(')]",
        "xpath://p[@a and(@b)]",
        "xpath:(descendant-or-self::a/@href)[1]",
        "xpath:./p/text()",
        "xpath://comment()",
    ]
    text = 'kind = "theme"\n[fields]\nheadline = [' + ", ".join(f'"{q}"' for q in queries) + "]"
    assert file_problems(write(tmp_path, text)) == []


SLOW_PATTERNS = [r"^(\w+\s?)+$", r"(?:\s*\w+)+:", r"(a|b+)+c", r"([a-z]+ ?)+$"]
"""Each takes seconds to hours on one ordinary line it does not match: with
drop_patterns = ['^(\\w+\\s?)+$'], extracting a jmn page ran past 100 s."""


@pytest.mark.parametrize("pattern", SLOW_PATTERNS)
def test_a_pattern_of_exponential_time_is_a_problem(tmp_path: Path, pattern: str) -> None:
    path = write(tmp_path, f"kind = \"theme\"\n[body]\ndrop_patterns = ['^read also', '{pattern}']")
    (line,) = file_problems(path)
    assert line.startswith(
        f"{path}: [body] drop_patterns[1]: {pattern!r} can take exponential time"
    )
    path = write(tmp_path, f"kind = \"theme\"\n[discovery]\nsitemap_follow = ['{pattern}']")
    (line,) = file_problems(path)
    assert line.startswith(f"{path}: [discovery] sitemap_follow[0]: ")


def test_patterns_that_repeat_safely_pass(tmp_path: Path) -> None:
    patterns = [
        r"^(read also|see also|read more)\b",
        r"^(?:read also:?\s*)+",
        r"^(\d+,)+",
        r"(\w+\s)+$",
        r"(\w\s?)+$",
        r"(?>\w+\s?)+$",
        r"(\w+\s?)++$",
        r"^(читайте также)\b",
    ]
    text = 'kind = "theme"\n[body]\ndrop_patterns = [' + ", ".join(f"'{p}'" for p in patterns)
    assert file_problems(write(tmp_path, text + "]")) == []


def test_profile_check_takes_a_profile_name_as_the_loader_finds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # "profile check jmn" said "jmn: cannot read: No such file or directory" (exit 2).
    assert main(["profile", "check", "jmn", "sahifa"]) == 0
    assert capsys.readouterr() == ("", "")
    mine = write(tmp_path, 'extends = "jmn"\n[body]\ncontaner = ".entry"', name="mine")
    monkeypatch.setenv("NEWSCRAWL_PROFILES_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path.parent)  # no file called "mine" here
    assert main(["profile", "check", "mine"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{mine}: [body] contaner: unknown key (did you mean container?)"
    ]
    assert main(["profile", "check", "mien"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("newscrawl: mien: no such file, nor a profile of that name (")
    assert "mine" in line


@pytest.mark.parametrize(
    "text",
    [
        'kind = "portal"\n[site]\ndomains = ["scratch.example"]\n[fields]\nheadline = "h1"',
        'extends = "jmn"\n[fields]\narticle = []',
    ],
    ids=["none-written", "emptied-over-the-theme"],
)
def test_a_portal_with_no_article_markers_is_a_problem(tmp_path: Path, text: str) -> None:
    # Such a portal passed the check, and then read no page (without JSON-LD Article)
    # as an article: every extraction "not-article", every crawl empty.
    path = write(tmp_path, text)
    assert file_problems(path) == [
        f"{path}: profile 'portal' is a portal with no [fields] article markers: only pages "
        "with JSON-LD Article would be read as articles"
    ]
    # a theme needs none: the portals on it bring their own, or inherit them
    assert file_problems(write(tmp_path, 'kind = "theme"\n[fields]\nheadline = "h1"', "t")) == []


NEVER = {
    "a.more:hover": "",
    "#the-post .entry:focus": "",
    "li:nth-child(0)": "",
    "*:not(*)": "",
    "h1.title:hover, h1": " its part 'h1.title:hover'",
}


@pytest.mark.parametrize("query", sorted(NEVER))
def test_a_css_selector_that_can_match_nothing_is_a_problem(tmp_path: Path, query: str) -> None:
    # cssselect compiles :hover and the like to a condition that never holds ([0]): the
    # check passed them, and the field silently fell to the next selector or the generic
    # extractor on every page.
    path = write(tmp_path, f'kind = "theme"\n[fields]\nheadline = ["{query}"]')
    (line,) = file_problems(path)
    assert line.startswith(
        f"{path}: [fields] headline[0]: selector {query!r} compiles but{NEVER[query]} "
        "can match nothing on any page"
    )


def test_css_selectors_that_can_match_pass(tmp_path: Path) -> None:
    queries = [
        "a:not(:hover)",
        "li:nth-child(10)",
        "li:nth-child(-n+3)",
        "a[title='x and (0) y']",
        "a[title='[0]']",
        "a:link",
    ]
    text = 'kind = "theme"\n[fields]\nheadline = [' + ", ".join(f'"{q}"' for q in queries) + "]"
    assert file_problems(write(tmp_path, text)) == []
