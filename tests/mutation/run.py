"""Planted faults in extraction: does a fast test fail for each? (Mutation testing, by hand.)

Each fault below is a small, realistic mistake in processors, selectors, loaders or
extraction (fields, page, metadata): one exact piece of source replaced by another. For
each, this copies the project to a temporary folder, plants the fault there, runs the
fast extraction and profile tests against the copy (``pytest -x``) and counts the fault as
killed when a test fails. A fault whose source no longer appears (the code moved on) is
reported as stale, not counted.

    .venv/bin/python tests/mutation/run.py              # every fault
    .venv/bin/python tests/mutation/run.py NAME...      # some faults, by name

Prints one line per fault and the score: killed / (killed + survived).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_DIRS = ("tests/extraction", "tests/profiles")
"""The fast tests of these modules, subfolders included (the slow marker stays
deselected)."""
FIRST = ("test_processors.py", "test_selectors.py", "test_loaders.py", "test_fields.py")
"""Quick unit tests, run first so that ``-x`` stops a killed fault early."""


def test_files(project: Path) -> list[str]:
    """Return the test files of ``project`` to run, the quick unit tests first."""
    files = sorted(
        str(p.relative_to(project)) for d in TEST_DIRS for p in (project / d).rglob("test_*.py")
    )
    return sorted(files, key=lambda f: (Path(f).name not in FIRST, f))


TIMEOUT = 900


@dataclass(frozen=True)
class Fault:
    name: str
    path: str
    old: str
    new: str


P, S, L = (
    "newscrawl/extraction/processors.py",
    "newscrawl/extraction/selectors.py",
    "newscrawl/extraction/loaders.py",
)
F, G, M = (
    "newscrawl/extraction/fields.py",
    "newscrawl/extraction/page.py",
    "newscrawl/extraction/metadata.py",
)

FAULTS = [
    # --- the required mistakes
    Fault(
        "first-match-becomes-all-matches",
        S,
        # Document.first_match (the text after it keeps the match unique)
        "        for query in queries:\n            if found := self.select(query, node):\n"
        "                return found\n        return []\n\n\n_INDEXED_OWNERS",
        "        return [n for query in queries for n in self.select(query, node)]\n\n\n"
        "_INDEXED_OWNERS",
    ),
    Fault(
        "add-first-found-collects-all",
        L,
        "            if self.get_collected_values(field_name):\n                return True\n"
        "        return False",
        "        return bool(self.get_collected_values(field_name))",
    ),
    Fault(
        "text-lost-after-excluded-node",
        S,
        "        elif element.tail and element is not root:",
        "        elif element.tail and element is not root and element not in skip:",
    ),
    Fault(
        "text-lost-before-excluded-node",
        S,
        "            elif element.text:",
        "            elif element.text and element is not root:",
    ),
    Fault(
        "alt-headline-after-body-started",
        F,
        "if alt is None and not body and index < window",
        "if alt is None and index < window",
    ),
    Fault(
        "naive-date-in-utc-not-site-zone",
        P,
        "return value if value.tzinfo is not None else value.replace(tzinfo=self._zone)",
        "return value if value.tzinfo is not None else value.replace(tzinfo=UTC)",
    ),
    Fault(
        "dateparser-timezone-utc",
        P,
        '"TIMEZONE": self.timezone,',
        '"TIMEZONE": "UTC",',
    ),
    Fault(
        "relative-base-in-utc",
        P,
        "return now.astimezone(self._zone).replace(tzinfo=None, microsecond=0)",
        "return now.astimezone(UTC).replace(tzinfo=None, microsecond=0)",
    ),
    # --- processors
    Fault(
        "zero-width-kept",
        P,
        '        value = _INVISIBLE.sub("", value)\n',
        "        pass\n",
    ),
    Fault(
        "credit-label-stripped-once",
        P,
        "    while cleaned is not None and (match := CREDIT_LABELS.match(cleaned)):",
        "    if cleaned is not None and (match := CREDIT_LABELS.match(cleaned)):",
    ),
    Fault(
        "caption-brackets-kept",
        P,
        "    if opener in _CLOSING_BRACKET:\n        before = before[:-1]\n",
        "    if opener in _CLOSING_BRACKET:\n",
    ),
    Fault(
        "bracketed-ellipsis-kept",
        P,
        r'r"\s*(?:\[\s*(?:…|\.{2,})\s*\]|\(\s*(?:…|\.{2,})\s*\)|…+|\.{3,})$"',
        r'r"\s*(?:…+|\.{3,})$"',
    ),
    Fault(
        "javascript-links-kept",
        P,
        '_NOT_PAGE_SCHEMES: Final = frozenset({"javascript", "mailto", "data", "tel", "sms", '
        '"about"})',
        '_NOT_PAGE_SCHEMES: Final = frozenset({"mailto", "data", "tel", "sms", "about"})',
    ),
    Fault(
        "fragment-links-kept",
        P,
        '    if not cleaned or cleaned.startswith("#"):',
        "    if not cleaned:",
    ),
    Fault(
        "unique-case-sensitive",
        P,
        "        key = cleaned.casefold()\n",
        "        key = cleaned\n",
    ),
    Fault(
        "byline-prefix-kept",
        P,
        '        name = _AUTHOR_PREFIX.sub("", part.strip(_AUTHOR_EDGE_PUNCTUATION))',
        "        name = part.strip(_AUTHOR_EDGE_PUNCTUATION)",
    ),
    Fault(
        "seconds-offset-written-as-is",
        P,
        "    elif offset.seconds % 60 or offset.microseconds:  # not a whole minute",
        "    elif offset.microseconds:  # not a whole minute",
    ),
    Fault(
        "date-without-day-accepted",
        P,
        "if parsed is None or not _REQUIRED_DATE_PARTS.issubset(data.parts):",
        "if parsed is None:",
    ),
    Fault(
        "site-languages-not-preferred",
        P,
        "    if prefer and best not in prefer:",
        "    if False:",
    ),
    Fault(
        "long-credit-line-accepted",
        P,
        "        and len(cleaned) <= max_length\n",
        "",
    ),
    Fault(
        "rfc2822-minus-zero-not-utc",
        P,
        '    if parsed.tzinfo is None and text.endswith("-0000"):',
        "    if False:",
    ),
    Fault(
        "relative-date-counted-forward",
        P,
        'return (base - timedelta(**{f"{unit}s": count})).replace(tzinfo=timezone(offset))',
        'return (base + timedelta(**{f"{unit}s": count})).replace(tzinfo=timezone(offset))',
    ),
    Fault(
        "relative-date-offset-of-its-own-day",
        P,
        "        localized = self._dateparser_localize(base)\n",
        '        localized = self._dateparser_localize(base - timedelta(**{f"{unit}s": count}))\n',
    ),
    Fault(
        "cyrillic-script-at-half-the-letters",
        P,
        '    if (len(letters) - len(_CYRILLIC_BLOCK.sub("", letters))) * 2 > len(letters):',
        '    if (len(letters) - len(_CYRILLIC_BLOCK.sub("", letters))) * 2 >= len(letters):',
    ),
    Fault(
        "underscore-counted-as-a-letter",
        P,
        "_NOT_ASCII_LETTERS: Final = bytes(b for b in range(128) if not chr(b).isalpha())",
        "_NOT_ASCII_LETTERS: Final = bytes(b for b in range(128) if not chr(b).isalnum())",
    ),
    Fault(
        "language-sample-cut-short",
        P,
        "        if first is not None and len(first) >= _LANGUAGE_SAMPLE_CHARS:",
        "        if first is not None:",
    ),
    Fault(
        "plain-url-with-empty-query-not-joined",
        P,
        "    return not (question and not query)",
        "    return True",
    ),
    # --- selectors
    Fault(
        "anchored-query-uses-first-anchor",
        S,
        "            if len(anchors) == 1 and self.rest is not None:",
        "            if self.rest is not None:",
    ),
    Fault(
        "class-matched-as-substring",
        S,
        '    return name in value and f" {name} " in f" {_XML_SPACE.sub(\' \', value)'
        ".strip(' ')} \"",
        "    return name in value",
    ),
    Fault(
        "script-text-read",
        S,
        "            if tag in HIDDEN or (skip and element in skip and element is not root):",
        "            if skip and element in skip and element is not root:",
    ),
    Fault(
        # (was "id-table-trusted-blindly": ids are no longer read from libxml2's id table)
        "id-matched-as-substring",
        S,
        "            return [v.getparent() for v in values if v == value]",
        "            return [v.getparent() for v in values if value in v]",
    ),
    Fault(
        "indexed-step-matches-its-context",
        S,
        "            node = owner if or_self else owner.getparent()",
        "            node = owner",
    ),
    Fault(
        "parser-input-keeps-trailing-space",
        G,
        "    return utf8[head : len(utf8) - tail]\n",
        "    return utf8[head:]\n",
    ),
    Fault(
        "element-test-takes-part-of-a-class-for-it",
        S,
        "                if any(_has_class(value, name) for name in self.classes):",
        "                if any(name in value for name in self.classes):",
    ),
    Fault(
        "attribute-read-from-another-node",
        S,
        "            if last[0] == elements_query and last[1] is node:",
        "            if last[0] == elements_query:",
    ),
    # --- loaders
    Fault(
        "excerpt-ellipsis-kept",
        L,
        "    excerpt_in = MapCompose(strip_ellipsis)",
        "    excerpt_in = MapCompose(normalize_space)",
    ),
    Fault(
        "teaser-url-relative",
        L,
        "class TeaserLoader(ProfileLoader):\n"
        '    """Cleans one teaser: absolute url, excerpt without its trailing ellipsis."""\n\n'
        "    default_item_class = Teaser\n    url_in = MapCompose(_absolute)",
        "class TeaserLoader(ProfileLoader):\n"
        '    """Cleans one teaser: absolute url, excerpt without its trailing ellipsis."""\n\n'
        "    default_item_class = Teaser\n    url_in = MapCompose(normalize_space)",
    ),
    Fault(
        "tags-take-first",
        L,
        "    tags_out = unique\n",
        "",
    ),
    Fault(
        "load-record-skips-output-processor",
        L,
        "        return output_processor(list(_as_list(values)))\n\n    return clean",
        "        return list(_as_list(values))[0]\n\n    return clean",
    ),
    # --- fields
    Fault(
        "current-crumb-keeps-url",
        F,
        "    if crumbs and crumbs[-1].url in (None, page.url):\n        crumbs[-1].url = None\n",
        "",
    ),
    Fault(
        "teaser-without-url-kept",
        F,
        "            if teaser.title and teaser.url:",
        "            if teaser.title:",
    ),
    Fault(
        "images-not-deduplicated",
        F,
        "        if image.url not in seen:",
        "        if True:",
    ),
    Fault(
        "last-credit-line-wins",
        F,
        "            credit = credit or strip_credit_label(text)",
        "            credit = strip_credit_label(text)",
    ),
    Fault(
        "drop-patterns-ignored",
        F,
        "        if any(p.search(text) for p in drop):\n            continue\n",
        "",
    ),
    Fault(
        "headline-repeated-in-generic-body",
        F,
        "    while title and start < len(body) and body[start].casefold() == title:",
        "    while False:",
    ),
    Fault(
        "lead-image-credit-not-filled",
        F,
        "        lead.credit = lead.credit or photo_credit",
        "        lead.credit = lead.credit",
    ),
    Fault(
        "language-from-headline",
        F,
        'language = detect_language(" ".join(body)[:2000], prefer=plan.languages) or headline_lang',
        "language = headline_lang",
    ),
    Fault(
        "same-language-alt-not-returned-to-body",
        F,
        '        body.insert(0, alt.text or "")\n        alt = None\n',
        "        pass\n",
    ),
    Fault(
        "jsonld-date-before-profile-selectors",
        F,
        "    for values in chain(_candidates(page, plan.selectors("
        '"fields", field)), [jsonld_values]):',
        "    for values in chain([jsonld_values], _candidates(page, plan.selectors("
        '"fields", field))):',
    ),
    Fault(
        "teaser-thumbnails-as-article-images",
        F,
        "            if node in teasers:\n                continue\n",
        "",
    ),
    Fault(
        "outer-blocks-read-twice",
        F,
        "        if index < len(blocks) and _inside(blocks[index], element, container):\n"
        "            continue\n",
        "",
    ),
    Fault(
        "section-from-current-crumb",
        F,
        '            loader.add_value("section", breadcrumb[-2].name)',
        '            loader.add_value("section", breadcrumb[-1].name)',
    ),
    Fault(
        "alt-headline-window-ignored",
        F,
        "if alt is None and not body and index < window and",
        "if alt is None and not body and",
    ),
    # --- page and metadata
    Fault(
        "header-charset-ignored",
        G,
        '    encoding = http_content_type_encoding(_header(headers, "Content-Type"))',
        "    encoding = None",
    ),
    Fault(
        "crawl-time-keeps-its-offset",
        G,
        "    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)",
        "    now = (now or datetime.now(UTC)).replace(microsecond=0)",
    ),
    Fault(
        "blank-text-not-empty",
        G,
        "    if _NOT_BLANK_TEXT.search(text) is None:",
        "    if not text:",
    ),
    Fault(
        "declared-url-og-before-canonical",
        G,
        "    for query in (_CANONICAL_LINK, _OG_URL):",
        "    for query in (_OG_URL, _CANONICAL_LINK):",
    ),
    Fault(
        "parse-html-skips-the-limits",
        G,
        "    text, utf8 = _checked_text(body, headers, url)\n"
        "    return _checked_root(text, utf8, etree.HTMLParser, url)[0]",
        "    text, utf8 = _decode(body, headers)\n"
        "    return _checked_root(text, utf8, etree.HTMLParser, url)[0]",
    ),
    Fault(
        "newsarticle-not-an-article-type",
        M,
        '        "NewsArticle",\n',
        "",
    ),
    Fault(
        "jsonld-author-objects-ignored",
        M,
        '        if isinstance(item, dict):\n            item = item.get("name")\n',
        "",
    ),
    # -- a sixth-session probe of adversarial pages --
    Fault(
        "line-break-glues-words",
        S,
        '            elif tag == "br":\n                append(LINE_BREAK)\n',
        "",
    ),
    Fault(
        "template-read-as-body",
        F,
        '    for template in container.iter("template"):\n        inside.update(template.iter())\n',
        "",
    ),
    Fault(
        "lone-surrogate-kept",
        M,
        "    if _SURROGATE_ESCAPE.search(text):\n        data = _without_lone_surrogates(data)\n",
        "",
    ),
    Fault(
        "control-character-given-to-trafilatura",
        "newscrawl/extraction/generic/body.py",
        "    if text or (safe := xml_compatible(root)) is root:",
        "    if True:",
    ),
    Fault(
        "implausible-date-taken",
        F,
        "            if parsed := plausible_date(page.dates.parse(value, now), now):",
        "            if parsed := page.dates.parse(value, now):",
    ),
    Fault(
        "url-port-unchecked",
        P,
        "        if _has_host_and_port(url):\n            return url",
        "        if True:\n            return url",
    ),
    Fault(
        "free-access-not-read",
        F,
        '    loader.add_value("free_access", page.jsonld.get("isAccessibleForFree"))\n',
        "",
    ),
    Fault(
        "schema-boolean-any-word",
        P,
        "    return _SCHEMA_BOOLEANS.get(name)",
        '    return name != "false" if name else None',
    ),
    Fault(
        "schema-boolean-url-not-read",
        P,
        "        name = name.removeprefix(prefix)",
        "        name = name.removeprefix(prefix.upper())",
    ),
    Fault(
        "generic-free-access-left-out",
        "newscrawl/extraction/generic/__init__.py",
        '    "body",\n    "free_access",\n',
        '    "body",\n',
    ),
    Fault(
        "generic-implausible-date-taken",
        "newscrawl/extraction/generic/dates.py",
        "        if (value := plausible_date(parser.parse(raw, now), now)) is not None:",
        "        if (value := parser.parse(raw, now)) is not None:",
    ),
]


def copy_project(target: Path) -> None:
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "out", ".*cache")
    shutil.copytree(ROOT, target, ignore=ignore, dirs_exist_ok=True)


KILLED_CODES = (1, 2)
"""pytest's exit codes for failed tests, and for an error while collecting them (a fault
that breaks an import): the fault was caught. 0 means it survived; any other code means
the run itself went wrong (no tests found, internal error) and counts for nothing."""


def run_tests(project: Path) -> tuple[int, str]:
    """Run the fast tests against ``project``; return (pytest's exit code, its last line)."""
    env = {**os.environ, "PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            *test_files(project),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, lines[-1] if lines else result.stderr[-200:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="faults to plant (all by default)")
    args = parser.parse_args()
    unknown = set(args.names) - {f.name for f in FAULTS}
    if unknown:
        print(f"unknown fault(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    faults = [f for f in FAULTS if not args.names or f.name in args.names]
    killed: list[str] = []
    survived: list[str] = []
    stale: list[str] = []
    broken: list[str] = []
    with tempfile.TemporaryDirectory(prefix="newscrawl-mutation-") as folder:
        project = Path(folder) / "project"
        copy_project(project)
        shared = ROOT.parent / "shared"
        if shared.exists():  # the differential test reads ../shared/realpages
            (Path(folder) / "shared").symlink_to(shared.resolve())
        code, summary = run_tests(project)
        if code != 0:
            print(f"the tests do not pass without any fault: {summary}", file=sys.stderr)
            return 2
        for fault in faults:
            path = project / fault.path
            source = path.read_text(encoding="utf-8")
            if source.count(fault.old) != 1:
                stale.append(fault.name)
                print(f"STALE     {fault.name} ({fault.path}: the source moved on)")
                continue
            path.write_text(source.replace(fault.old, fault.new), encoding="utf-8")
            started = time.monotonic()
            try:
                code, summary = run_tests(project)
            finally:
                path.write_text(source, encoding="utf-8")
            if code not in (0, *KILLED_CODES):
                broken.append(fault.name)
                print(f"ERROR     {fault.name} (pytest exit {code}: {summary})", flush=True)
                continue
            (killed if code else survived).append(fault.name)
            verdict = "killed" if code else "SURVIVED"
            took = time.monotonic() - started
            print(f"{verdict:<9} {fault.name} ({took:.0f} s: {summary})", flush=True)
    counted = len(killed) + len(survived)
    score = len(killed) / counted if counted else 0.0
    print(
        f"score: {len(killed)}/{counted} killed = {score:.0%}; "
        f"{len(stale)} stale, {len(broken)} not run"
    )
    return 0 if not survived and not broken else 1


if __name__ == "__main__":
    sys.exit(main())
