"""End to end in a real browser: `cds ui` on a free loopback port, driven by headless
Chromium through Playwright, from a fresh clone's state (no warehouse, no Dagster storage)
and with the automation on, as a data officer starts it (issue 15):

- the asset graph shows every layer; the sensor's first run builds everything, the
  reference group included, and writes the reports;
- a corrected report dropped into raw/ with a wrong figure is picked up by the sensor; its
  run succeeds but its checks turn yellow (WARN) with a Vietnamese description naming the
  school, visible on the asset;
- a materialisation launched from the UI completes;
- SIGTERM to the `cds ui` pid alone (as a service manager stops it) ends the UI, its daemon
  and their children, and frees the port, though it was started with SIGINT ignored as a
  shell's `cds ui &` starts it. Checked by breaking the code once: with `cds ui` starting
  `dagster dev` as a child (`subprocess.call`, as before), this step failed; and a `cds ui`
  started that way without restoring SIGINT kept six processes alive after SIGTERM (Dagster
  stops on SIGTERM through the SIGINT handler, which Python does not install for an ignored
  SIGINT).

Screenshots go to CDS_SCREENSHOT_DIR when set (`make screenshots` writes docs/img/)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pipelines.reference.cds_index import load_index
from pipelines.settings import PROJECT_ROOT
from tests.builders import write_assessment
from tests.corpus import emis

# the UI and a browser, with a full run from the UI: left out of `make test-fast`
pytestmark = pytest.mark.e2e

SAMPLE = PROJECT_ROOT / "raw"
CHROMIUM = "/usr/bin/chromium"
GROUPS = ["reference", "landing", "staging", "intermediate", "marts", "publish"]
# Chromium as this machine's closed network needs it (stack notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _small_district(raw: Path) -> None:
    """The sample's registry, a few reports, and one self-assessment without any evidence:
    the CĐS suite's evidence expectation (a warning) fails on it."""
    for pattern in (
        "schools/*",
        "cds_assessment/2024-2025/31305/3130504[68]_*",
        "emis_report/2024-2025/dau_nam/31305/3130500[1-3]_*",
    ):
        for f in SAMPLE.glob(pattern):
            target = raw / f.relative_to(SAMPLE)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
    index = load_index(PROJECT_ROOT / "reference" / "cds_index.yaml")
    rows = [
        [i.code, 1, None, None, None] for i in index.indicators if i.rule in ("binary", "mandatory")
    ]
    write_assessment(raw, "31305035", "2024-2025", "2025-02-20", rows, name="khong_minh_chung")


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


UI_SECRET = "ui-test-pseudonym-secret-7f3a"


def _bytes_if_still_there(path: Path) -> bytes:
    """A file's bytes; b"" when it went away after the listing (SQLite's -wal and
    -journal files come and go while the UI runs; what they held is then in the .db)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


@pytest.fixture()
def ui(tmp_path: Path):
    raw = tmp_path / "raw"
    _small_district(raw)
    port = _free_port()
    env = {
        **os.environ,
        "CDS_AUTOMATION": "on",  # as `make ui` starts it: the sensor runs what is dropped
        "CDS_SENSOR_SECONDS": "3",
        "CDS_SETTLE_SECONDS": "2",
        "CDS_DAGSTER_STORAGE": str(tmp_path / "dagster"),
        "CDS_PSEUDONYM_KEY": UI_SECRET,
    }
    log = (tmp_path / "ui.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "ui",
            "--port",
            str(port),
            "--raw",
            str(raw),
            "--warehouse",
            str(tmp_path / "wh"),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # as a shell starts `cds ui &`: SIGINT ignored (step 7 must still stop it)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + 300  # a first start parses the dbt project
        while True:
            try:
                if _graphql(port, "{ version }")["version"]:
                    break
            except OSError:
                pass
            assert process.poll() is None, (tmp_path / "ui.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "cds ui did not start in 300 s"
            time.sleep(1)
        yield port, tmp_path, process.pid
    finally:
        with contextlib.suppress(ProcessLookupError):  # the test may have stopped it
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _shot(page: Page, name: str, tmp: Path) -> None:
    folder = Path(os.environ.get("CDS_SCREENSHOT_DIR") or tmp)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name))


def _dismiss_welcome(page: Page) -> None:
    """Dagster's first-visit dialog, shown once per DAGSTER_HOME, a few seconds after load."""
    with contextlib.suppress(PlaywrightTimeout):
        page.get_by_role("button", name="Skip").click(timeout=20_000)


def _runs(port: int) -> list[dict]:
    runs = _graphql(port, "{ runsOrError { ... on Runs { results { runId status } } } }")
    return runs["runsOrError"]["results"]


def _wait_for_runs(port: int, timeout: float, *, besides: set[str] = frozenset()) -> list[dict]:
    """The runs not in `besides`, once there is at least one and all have ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        results = [r for r in _runs(port) if r["runId"] not in besides]
        if results and all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in results):
            return results
        time.sleep(3)
    raise AssertionError(f"runs not finished after {timeout} s: {_runs(port)}")


def _failures(port: int, runs: list[dict]) -> str:
    """What failed in the runs that did not succeed: the step failures' messages."""
    out = []
    for run in runs:
        if run["status"] == "SUCCESS":
            continue
        query = (
            f'{{ logsForRun(runId: "{run["runId"]}") {{ ... on EventConnection {{ events {{'
            " __typename ... on MessageEvent { message }"
            " ... on ExecutionStepFailureEvent { stepKey error { message } } } } } }"
        )
        events = _graphql(port, query)["logsForRun"]["events"]
        out += [
            f"{e.get('stepKey')}: {(e.get('error') or {}).get('message') or e.get('message')}"
            for e in events
            if "Failure" in e["__typename"]
        ]
    return "\n".join(out)


def _materialised(port: int) -> dict[str, bool]:
    """Each asset (`group/name`) and whether it has been materialised."""
    nodes = _graphql(
        port,
        "{ assetNodes { groupName assetKey { path } assetMaterializations(limit: 1) { runId } } }",
    )["assetNodes"]
    return {
        f"{n['groupName']}/{'/'.join(n['assetKey']['path'])}": bool(n["assetMaterializations"])
        for n in nodes
    }


def _latest_check(port: int, asset: list[str], check: str) -> dict:
    fields = "runId status evaluation { severity description }"
    query = (
        f"{{ assetCheckExecutions(assetKey: {{path: {json.dumps(asset)}}}, "
        f'checkName: "{check}", limit: 1) {{ {fields} }} }}'
    )
    [execution] = _graphql(port, query)["assetCheckExecutions"]
    return execution


def test_fresh_start_sensor_runs_yellow_checks_and_ui_materialisation(ui) -> None:
    port, tmp, pid = ui
    base = f"http://127.0.0.1:{port}"
    raw, warehouse = tmp / "raw", tmp / "wh"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="vi-VN")

        # 1. the asset graph loads with every layer as a group
        page.goto(f"{base}/asset-groups")
        _dismiss_welcome(page)
        for group in GROUPS:
            expect(page.get_by_text(group, exact=True).first).to_be_visible(timeout=60_000)
        _shot(page, "asset-graph.png", tmp)

        # 2. fresh clone: the sensor's first run builds everything, reference included,
        # and writes the reports; nobody pressed a button
        first = _wait_for_runs(port, timeout=420)
        assert [r["status"] for r in first] == ["SUCCESS"] * len(first), _failures(port, first)
        never = [name for name, done in _materialised(port).items() if not done]
        assert never == [], never
        assert list((warehouse / "reports").glob("*.html"))
        assert list((warehouse / "reports").glob("*.xlsx"))
        page.goto(f"{base}/runs")
        expect(page.get_by_text("Success").first).to_be_visible(timeout=30_000)

        # the published asset carries the completeness bands as a table
        page.goto(f"{base}/assets/publish/analytics_db")
        bands = page.get_by_text("mức đầy đủ dữ liệu theo kỳ").first
        expect(bands).to_be_visible(timeout=30_000)
        bands.scroll_into_view_if_needed()
        expect(page.get_by_text("tỉ_lệ_đúng_hạn").first).to_be_visible()
        _shot(page, "publish-metadata.png", tmp)

        # 3. a corrected report with a negative count and more girls than pupils, dropped
        # into raw/: the sensor runs it, the run succeeds, its checks turn yellow and say
        # in Vietnamese which school must fix what
        wrong = [
            ["101", "Tổng số lớp", 10, None, None],
            ["111", "Số lớp khối 1", -2, None, None],
            ["201", "Tổng số học sinh", 300, 350, 12],
        ]
        dropped = raw / "emis_report" / "2024-2025" / "dau_nam" / "31305"
        emis(dropped / "31305002_sua_lai.xlsx", school="31305002", day="20/10/2024", rows=wrong)
        before = {r["runId"] for r in first}
        second = _wait_for_runs(port, timeout=300, besides=before)
        assert [r["status"] for r in second] == ["SUCCESS"] * len(second), _failures(port, second)
        files = _latest_check(port, ["landing", "emis_report"], "tep_moi_hop_le")
        assert files["runId"] in {r["runId"] for r in second}
        assert files["status"] == "FAILED" and files["evaluation"]["severity"] == "WARN", files
        assert "trường 31305002, tệp" in files["evaluation"]["description"]
        rules = _latest_check(port, ["marts", "data_quality_issues"], "quy_tac_tep_moi")
        assert rules["status"] == "FAILED" and rules["evaluation"]["severity"] == "WARN", rules
        assert "trường 31305002" in rules["evaluation"]["description"]
        assert "Số nữ lớn hơn tổng số" in rules["evaluation"]["description"]

        page.goto(f"{base}/assets/landing/emis_report?view=checks")
        expect(page.get_by_text("tep_moi_hop_le").first).to_be_visible(timeout=30_000)
        page.get_by_text("tep_moi_hop_le").first.click()
        expect(page.get_by_text("trường 31305002").first).to_be_visible(timeout=30_000)
        _shot(page, "failed-check.png", tmp)

        # the GX suite's warning (a self-assessment without evidence) is on its asset too
        page.goto(f"{base}/assets/landing/cds_assessment?view=checks")
        expect(page.get_by_text("gx_landing_cds_assessment").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Ít nhất 80% tiêu chí có minh chứng").first).to_be_visible()
        expect(page.get_by_text("khong_minh_chung.xlsx").first).to_be_visible()

        # 4. a materialisation launched from the UI completes
        before |= {r["runId"] for r in second}
        page.goto(f"{base}/assets/publish/analytics_db")
        page.get_by_text("Materialize", exact=True).first.click(timeout=30_000)
        launched = _wait_for_runs(port, timeout=300, besides=before)
        assert [r["status"] for r in launched] == ["SUCCESS"] * len(launched), _failures(
            port, launched
        )

        # 5. the HTML report the run wrote opens offline with its three charts and the
        # to-do list
        [report] = (warehouse / "reports").glob("*.html")
        page.goto(report.as_uri())
        expect(page.locator("svg")).to_have_count(3)
        expect(page.get_by_text("Bảng xếp hạng mức đầy đủ dữ liệu")).to_be_visible()
        _shot(page, "html-report.png", tmp)
        browser.close()

    # 6. security: the UI listens on loopback only, and after all these runs the
    # pseudonymisation secret is in no file the UI, the runs or the warehouse wrote
    ui_tree = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    listening = {
        c.laddr.ip
        for proc in ui_tree
        for c in proc.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    }
    assert listening and listening <= {"127.0.0.1"}, listening
    written = [f for f in tmp.rglob("*") if f.is_file()]
    assert any(f.suffix == ".db" for f in written)  # Dagster's run and event storage
    assert [f for f in written if UI_SECRET.encode() in _bytes_if_still_there(f)] == []

    # 7. a service manager stops `cds ui` with SIGTERM to its pid alone: the UI, its daemon
    # and their children all end, and the port is free again
    tree = psutil.Process(pid).children(recursive=True)
    assert tree, "cds ui started nothing"
    os.kill(pid, signal.SIGTERM)
    _, alive = psutil.wait_procs([psutil.Process(pid), *tree], timeout=60)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]
    with pytest.raises(OSError):
        _graphql(port, "{ version }")
