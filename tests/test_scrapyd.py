"""scrapyd out of the box: deploy with scrapyd-deploy, schedule over HTTP, one run at a time.

A real scrapyd (the pinned one from the ``test`` extra) runs on a free port of 127.0.0.1
with its eggs, logs, items and databases in a temporary folder. The project is deployed
from a copy of the package files, so that the ``setup.py`` scrapyd-deploy writes and the
egg it builds never land in the working tree.
"""

from __future__ import annotations

import configparser
import json
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newscrawl.devtools.devserver import Fault, FixtureSite, RunningServer, serve
from tests.conftest import FIXTURES, ROOT

BIN = Path(sys.executable).parent
PROJECT = "newscrawl"
LOCK_REFUSAL = "another newscrawl run for 'jmn' is in progress"
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_START_DELAY": "0", "NEWSCRAWL_EXTRACT_TIMEOUT": "0"}
"""No politeness delays, and no time budget per page: a loaded machine must not lose pages."""


def test_scrapy_cfg_deploys_to_a_local_scrapyd() -> None:
    """``scrapyd-deploy`` with no argument uses ``[deploy]``: it needs a url and a project."""
    config = configparser.ConfigParser()
    config.read(ROOT / "scrapy.cfg")
    assert config["deploy"]["url"] == "http://127.0.0.1:6800/"
    assert config["deploy"]["project"] == PROJECT
    assert config["settings"]["default"] == "newscrawl.settings"


def test_pyproject_declares_the_settings_entry_point() -> None:
    """scrapyd reads a deployed egg's settings module from the ``scrapy`` entry point."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["entry-points"]["scrapy"] == {"settings": "newscrawl.settings"}


def test_generated_setup_py_is_ignored_by_git() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "-q", "setup.py"], cwd=ROOT, check=False, capture_output=True
    )
    if result.returncode == 128:
        pytest.skip(f"not a git work tree: {result.stderr.decode().strip()}")
    assert result.returncode == 0


def test_docs_install_the_pinned_scrapyd() -> None:
    """The scrapyd version the docs install is the one the tests run."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (pin,) = [p for p in pyproject["project"]["optional-dependencies"]["test"] if "scrapyd==" in p]
    assert pin in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


# -- a real scrapyd ------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Scrapyd:
    """A running scrapyd and the folders it writes to."""

    url: str
    home: Path
    process: subprocess.Popen[bytes]

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        """Return the JSON answer of ``GET endpoint?params``."""
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{endpoint}?{query}", timeout=10) as answer:
            return dict(json.load(answer))

    def schedule(self, spider: str, settings: dict[str, str], **arguments: str) -> str:
        """Schedule ``spider`` with ``settings`` and spider ``arguments``; return its job id."""
        fields = [("project", PROJECT), ("spider", spider)]
        fields += [("setting", f"{name}={value}") for name, value in settings.items()]
        fields += list(arguments.items())
        data = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(f"{self.url}schedule.json", data, timeout=10) as answer:
            reply = json.load(answer)
        assert reply["status"] == "ok", reply
        return str(reply["jobid"])

    def wait(self, *jobs: str, timeout: float = 90) -> None:
        """Return when every job in ``jobs`` has finished; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            finished = {job["id"] for job in self.get("listjobs.json", project=PROJECT)["finished"]}
            if finished >= set(jobs):
                return
            time.sleep(0.3)
        pytest.fail(f"scrapyd jobs {jobs} not finished after {timeout} s: {self.log_tail()}")

    def log(self, spider: str, job: str) -> str:
        """Return the Scrapy log of one job."""
        return (self.home / "logs" / PROJECT / spider / f"{job}.log").read_text(encoding="utf-8")

    def log_tail(self) -> str:
        """Return the end of scrapyd's own output, for failure messages."""
        path = self.home / "scrapyd.out"
        return path.read_text(encoding="utf-8", errors="replace")[-3000:] if path.exists() else ""


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    """Start scrapyd on a free port of 127.0.0.1 in its own folder; stop it afterwards."""
    if shutil.which("scrapyd", path=str(BIN)) is None:
        pytest.skip("scrapyd is not installed in this environment (pip install -e '.[test]')")
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    folders = {name: home / name for name in ("eggs", "logs", "items", "dbs")}
    config = configparser.ConfigParser()
    config["scrapyd"] = {
        "bind_address": "127.0.0.1",
        "http_port": str(port),
        "poll_interval": "0.2",
        "max_proc": "4",
        **{f"{name}_dir": str(path) for name, path in folders.items()},
    }
    with (home / "scrapyd.conf").open("w", encoding="utf-8") as file:
        config.write(file)
    # scrapyd reads ./scrapyd.conf and ~/.scrapyd.conf: run it in its folder, HOME included.
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    with (home / "scrapyd.out").open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "scrapyd")], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Scrapyd(f"http://127.0.0.1:{port}/", home, process)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert server.get("daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"scrapyd did not start: {server.log_tail()}")
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def deployed(scrapyd: Scrapyd, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Deploy a copy of the project with scrapyd-deploy; return what scrapyd answered."""
    project = tmp_path_factory.mktemp("project")
    for name in ("pyproject.toml", "scrapy.cfg", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "newscrawl", project / "newscrawl", ignore=shutil.ignore_patterns("__pycache__")
    )
    # The shipped [deploy] target is port 6800; this scrapyd listens elsewhere.
    with (project / "scrapy.cfg").open("a", encoding="utf-8") as cfg:
        cfg.write(f"\n[deploy:test]\nurl = {scrapyd.url}\nproject = {PROJECT}\n")
    result = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "test"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    # scrapyd-deploy exits 0 even when scrapyd refuses the egg: read the answer too.
    assert json.loads(result.stdout)["status"] == "ok", result.stdout
    return result.stdout


@pytest.fixture
def portal() -> Iterator[RunningServer]:
    with serve(FixtureSite(FIXTURES / "jmn", origins=())) as server:
        yield server


def records_and_reports(out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the records and the run reports published under ``out``."""
    records = [
        json.loads(line)
        for path in sorted(out.glob("jmn/*/*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in out.glob("jmn/*/*.report.json")]
    return records, reports


@pytest.mark.e2e
@pytest.mark.slow
def test_deploy_lists_the_portal_spiders(scrapyd: Scrapyd, deployed: str) -> None:
    spiders = scrapyd.get("listspiders.json", project=PROJECT)["spiders"]
    assert "jmn" in spiders


@pytest.mark.e2e
@pytest.mark.slow
def test_scheduled_job_crawls_and_reports(
    scrapyd: Scrapyd, deployed: str, portal: RunningServer, tmp_path: Path
) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    settings = FAST | {"NEWSCRAWL_OUTPUT_DIR": str(out), "NEWSCRAWL_STATE_DIR": str(state)}
    job = scrapyd.schedule("jmn", settings, base_url=portal.url)
    scrapyd.wait(job)

    records, reports = records_and_reports(out)
    assert len(records) == 15
    assert {r["site"] for r in records} == {"jmn"}
    assert all(r["url"].startswith("https://jmn.info/") for r in records)
    (report,) = reports
    assert report["status"] == "ok"
    assert report["records_written"] == 15
    assert f"report: {report['report_path']}" in scrapyd.log("jmn", job)
    assert (state / "jmn.sqlite3").is_file()


@pytest.mark.e2e
@pytest.mark.slow
def test_second_job_at_once_is_refused_by_the_run_lock(
    scrapyd: Scrapyd, deployed: str, tmp_path: Path
) -> None:
    # The home page answers after 3 s, so the first job holds the lock while the second starts.
    slow_home = {"/": Fault("slow", delay=3.0)}
    with serve(FixtureSite(FIXTURES / "jmn", origins=()), faults=slow_home) as slow_portal:
        out, state = tmp_path / "out", tmp_path / "state"
        settings = FAST | {"NEWSCRAWL_OUTPUT_DIR": str(out), "NEWSCRAWL_STATE_DIR": str(state)}
        jobs = [scrapyd.schedule("jmn", settings, base_url=slow_portal.url) for _ in range(2)]
        scrapyd.wait(*jobs)

    logs = {job: scrapyd.log("jmn", job) for job in jobs}
    refused = [job for job, log in logs.items() if LOCK_REFUSAL in log]
    assert len(refused) == 1, "exactly one of two jobs at once is refused by the run lock"
    (ran,) = set(jobs) - set(refused)
    assert "Run summary" in logs[ran]
    assert "Run summary" not in logs[refused[0]]
    records, reports = records_and_reports(out)
    assert len(records) == 15
    # The refused job has a report too, so that scrapyd users have a status to read.
    by_status = {r["status"]: r for r in reports}
    assert sorted(by_status) == ["ok", "skipped"]
    skipped = by_status["skipped"]
    assert LOCK_REFUSAL in skipped["reason"]
    assert skipped["exit_code"] == 75
    (skipped_path,) = out.glob("jmn/*/*.skipped.report.json")
    assert f"report: {skipped_path}" in logs[refused[0]]
