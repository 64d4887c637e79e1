"""``newscrawl demo``: serve a fixture portal on 127.0.0.1 and crawl it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from newscrawl.cli import PROJECT_ROOT, CommandError
from newscrawl.commands.crawl import _run, _settings, add_log_level, add_settings


def demo_site(root: Path) -> str:
    """Return the portal a fixture folder holds: the profile named like the folder.

    Raises CommandError when no portal profile has the folder's name.
    """
    from newscrawl.profiles import ProfileError, load_profile, portal_names

    site = root.resolve().name
    if site not in portal_names():
        try:
            what = f"{site!r} is a {load_profile(site).kind} profile, not a portal"
        except ProfileError:
            what = f"no profile is named {site!r}"
        portals = ", ".join(portal_names())
        raise CommandError(f"{root}: {what} (portals: {portals})")
    return site


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve a fixture portal on 127.0.0.1 and crawl it with the real spider as its own site."""
    from newscrawl.devtools.devserver import FixtureSite, serve
    from newscrawl.profiles import load_profile

    root = Path(args.fixtures)
    if not root.is_dir():
        raise CommandError(f"{root}: fixture portal not found (run from the project root)")
    site = demo_site(root)
    settings = _settings(
        args.set,
        NEWSCRAWL_OUTPUT_DIR=args.output,
        NEWSCRAWL_STATE_DIR=args.state or str(Path(args.output) / ".state"),
        LOG_LEVEL=args.log_level,
        AUTOTHROTTLE_START_DELAY=0.0,
        DOWNLOAD_DELAY=0.0,
    )
    overlays = [Path(o) for o in args.overlay]
    for overlay in overlays:
        if not overlay.is_dir():
            raise CommandError(f"{overlay}: overlay folder not found")
    start_urls = load_profile(site).get("discovery", "start_urls", default=[])
    served_as = " ".join(start_urls) or site
    with serve(FixtureSite(root, origins=(), overlays=overlays)) as server:
        print(f"serving {root} at {server.url} as {served_as}")
        return _run(site, settings, base_url=server.url)


def register(sub: Any) -> None:
    """Add the ``demo`` command to the subcommands ``sub``."""
    demo = sub.add_parser("demo", help="crawl a fixture portal served on 127.0.0.1")
    demo.add_argument("-o", "--output", default="out/demo")
    demo.add_argument(
        "--fixtures",
        default=str(PROJECT_ROOT / "fixtures" / "jmn"),
        help="the fixture folder to serve; its name is the portal crawled (default: jmn)",
    )
    demo.add_argument("--state", help="state folder (default: OUTPUT/.state)")
    demo.add_argument(
        "--overlay",
        action="append",
        default=[],
        help="serve these changes on top (e.g. fixtures/jmn/nextday, the portal a day later)",
    )
    add_settings(demo)
    add_log_level(demo, default="WARNING")
    demo.set_defaults(func=cmd_demo)
