"""``extruct_parts`` gives newscrawl extruct's JSON-LD and microdata readers without the
package's other readers, and leaves the whole package to anyone who imports it later."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "fixtures" / "jmn" / "seed-article.html"

HEAVY = ("mf2py", "rdflib", "pyRdfa", "bs4")
"""What extruct's package ``__init__`` imports for readers newscrawl does not use."""

SCRIPT = """
import sys
from newscrawl.extraction import extract_article
record = extract_article("https://jmn.info/a-story/", open(sys.argv[1], "rb").read())
print(record.headline)
print(",".join(name for name in {heavy!r} if name in sys.modules) or "-")
import extruct
from extruct import MicroformatExtractor
data = extruct.extract(open(sys.argv[1], "rb").read().decode(), syntaxes=["json-ld"])
print(len(data["json-ld"]) > 0, MicroformatExtractor.__module__)
print(extruct.jsonld.JsonLdExtractor is sys.modules["extruct.jsonld"].JsonLdExtractor)
try:
    extruct.no_such_name
except AttributeError as exc:
    print("AttributeError", exc)
"""


def run(script: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", script, str(PAGE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.splitlines()


def test_a_page_with_jsonld_loads_only_the_readers_it_needs() -> None:
    assert "application/ld+json" in PAGE.read_text(encoding="utf-8")
    lines = run(SCRIPT.format(heavy=HEAVY))
    assert lines[0]  # the page's headline: the record was extracted
    assert lines[1] == "-", f"loaded for nothing: {lines[1]}"


def test_extruct_imported_afterwards_is_the_whole_package() -> None:
    lines = run(SCRIPT.format(heavy=HEAVY))
    assert lines[2] == "True extruct.microformat"
    assert lines[3] == "True"  # one module, not a second copy
    assert lines[4] == "AttributeError module 'extruct' has no attribute 'no_such_name'"


def test_extruct_imported_first_is_left_as_it_is() -> None:
    script = "import extruct\n" + SCRIPT.format(heavy=HEAVY)
    lines = run(script)
    assert set(lines[1].split(",")) == set(HEAVY)  # its __init__ ran as usual
    assert lines[2] == "True extruct.microformat"
