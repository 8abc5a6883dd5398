"""Notebook 06 in a real browser: JupyterLab + headless Chromium, Run All, then use the dashboard.

nbval executes the notebooks' code; this test checks what only a browser shows: the widgets render
(the JupyterLab widget extension is installed and loads) and the dashboard responds to the controls.
JupyterLab serves a temporary copy of notebooks/, so running cells never writes outputs into the repo.
Skipped, with the reason, when Chromium or Playwright is missing; deselect with ``-m "not browser"``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "06_comparison.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOT = ARTIFACTS / "notebook06.png"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
RUN_ALL_TIMEOUT_S = 900  # a cold cache trains every recipe of notebook 06 (fast mode), on a busy 2-core CI box
UI_TIMEOUT_MS = 120_000
# JupyterLab settings for the test: every cell stays in the DOM (no windowing), no news or update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")


def chromium_or_skip() -> str:
    """The system Chromium (never a Playwright download) and Playwright, or skip saying which is missing."""
    executable = str(SYSTEM_CHROMIUM) if SYSTEM_CHROMIUM.exists() else shutil.which("chromium")
    if not executable:
        pytest.skip("Chromium is not installed (/usr/bin/chromium or `chromium` on PATH): "
                    "apt-get install chromium to run the browser test")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("Playwright is not installed: pip install -r requirements.txt to run the browser test")
    return executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(base: str, token: str, path: str, method: str = "GET"):
    request = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the kernels the server started), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _stop(server: subprocess.Popen, base: str, token: str) -> None:
    """Shut JupyterLab down (it stops its kernels); then terminate its process group and any leftover kernel."""
    if server.poll() is not None:
        return
    kernels = _children(server.pid)
    with contextlib.suppress(OSError):
        _api(base, token, "/api/shutdown", method="POST")
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    for pid in kernels:  # kernels run in their own session, outside the server's process group
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def jupyter_lab(root: Path, work: Path) -> Iterator[tuple[str, str]]:
    """A JupyterLab serving ``root`` on a free localhost port with a token; yields (base URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    settings = work / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    env = {
        **os.environ,
        "WORKSHOP_FAST": "1", "WORKSHOP_OFFLINE": "1",
        "WORKSHOP_CACHE_DIR": str(Path(os.environ.get("WORKSHOP_CACHE_DIR", ROOT / ".cache" / "tests")).resolve()),
        "JUPYTER_CONFIG_DIR": str(work / "jupyter-config"), "JUPYTER_RUNTIME_DIR": str(work / "jupyter-runtime"),
        "IPYTHONDIR": str(work / "ipython"),
    }
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
        f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={work / 'lab-workspaces'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",
        *(["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root
    ]
    log_path = work / "jupyterlab.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                _api(base, token, "/api/status")
                break
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within 120 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token
    finally:
        _stop(server, base, token)


def _prompts(page) -> list[str]:
    return page.eval_on_selector_all(".jp-Notebook .jp-CodeCell .jp-InputPrompt", "els => els.map(e => e.textContent)")


def wait_for_kernel(page) -> None:
    """Until the notebook's kernel is connected and idle (Run All before that runs nothing)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
        ".some(e => (e.title || '').startsWith('Change kernel') && /\\|\\s*Idle\\s*$/.test(e.textContent))",
        timeout=UI_TIMEOUT_MS)


def run_all_cells(page, timeout_s: float) -> list[str]:
    """Run > Run All Cells, then wait until no cell is queued or running ("[*]"); returns the prompts."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    try:  # the run starts: cells are queued
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]"
            ".some(e => e.textContent.includes('*'))", timeout=30_000)
    except PlaywrightTimeoutError:
        pytest.fail(f"Run All Cells started no cell within 30 s: prompts {_prompts(page)}")
    deadline = time.monotonic() + timeout_s
    prompts = _prompts(page)
    while any("*" in prompt for prompt in prompts):
        if time.monotonic() > deadline:
            pytest.fail(f"notebook still running after {timeout_s:.0f} s: prompts {prompts}")
        time.sleep(2)
        prompts = _prompts(page)
    return prompts


def saved_notebook(page, path: Path) -> nbformat.NotebookNode:
    """Save through JupyterLab's toolbar and read the file back: the outputs exactly as nbformat stores them."""
    before = path.stat().st_mtime_ns
    page.locator(".jp-NotebookPanel-toolbar [data-command='docmanager:save']").first.click()
    deadline = time.monotonic() + 60
    while path.stat().st_mtime_ns == before:
        if time.monotonic() > deadline:
            pytest.fail("JupyterLab did not save the notebook within 60 s")
        time.sleep(0.5)
    time.sleep(1)  # the save replaces the file atomically, but give it a moment to finish
    return nbformat.read(path, as_version=4)


def cell_failures(notebook: nbformat.NotebookNode) -> list[str]:
    failures = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if cell.execution_count is None:
            failures.append(f"cell {index} did not run")
        for output in cell.outputs:
            if output.output_type == "error":
                failures.append(f"cell {index} raised {output.ename}: {output.evalue}")
    return failures


def wait_for_change(read, before: str, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while read() == before:
        if time.monotonic() > deadline:
            pytest.fail(f"nothing changed within {timeout_s:.0f} s: still {before[:200]!r}")
        time.sleep(0.5)
    time.sleep(1)  # let the redraw finish (clear_output(wait=True) then table and plots)
    return read()


def row_order(output) -> list[str]:
    """The row names of the dashboard's table, top to bottom."""
    return [name.strip() for name in output.locator("table th.row_heading").all_inner_texts()]


def test_missing_chromium_or_playwright_skips_with_reason(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "SYSTEM_CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        chromium_or_skip()
    monkeypatch.setattr(shutil, "which", lambda _name: "/opt/chromium")
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # makes the import fail
    with pytest.raises(pytest.skip.Exception, match="Playwright is not installed"):
        chromium_or_skip()


@pytest.mark.browser
def test_notebook06_dashboard_in_chromium(tmp_path):
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns("results", ".ipynb_checkpoints"))
    ARTIFACTS.mkdir(exist_ok=True)
    times: dict[str, float] = {}
    start = time.perf_counter()
    with jupyter_lab(root, tmp_path) as (base, token), sync_playwright() as playwright:
        times["server start"] = time.perf_counter() - start
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1500})
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=UI_TIMEOUT_MS)
            wait_for_kernel(page)
            times["notebook open"] = time.perf_counter() - start

            tick = time.perf_counter()
            prompts = run_all_cells(page, RUN_ALL_TIMEOUT_S)
            times["run all cells"] = time.perf_counter() - tick
            notebook = saved_notebook(page, root / NOTEBOOK)
            failures = cell_failures(notebook)
            assert not failures, "notebook 06 failed in JupyterLab:\n" + "\n".join(failures)
            assert all(re.fullmatch(r"\[\d+\]:", prompt) for prompt in prompts), f"prompts: {prompts}"

            cell = page.locator(".jp-CodeCell", has=page.locator(".jp-InputArea", has_text="display(dashboard.widget)"))
            expect_widgets = {".widget-select-multiple": 1, ".widget-dropdown": 1, ".widget-slider": 2,
                              ".widget-button": 1, ".widget-output": 1}
            cell.locator(".widget-dropdown select").wait_for(timeout=UI_TIMEOUT_MS)
            found = {selector: cell.locator(selector).count() for selector in expect_widgets}
            assert found == expect_widgets, f"dashboard widgets rendered: {found}, expected {expect_widgets}"
            output = cell.locator(".widget-output")
            status = cell.locator(".widget-html").first  # the choice line; the machine stamp follows it
            table = pd.read_csv(root / "results" / "results.csv", index_col="technique")
            before = row_order(output)
            assert sorted(before) == sorted(table.index), f"the dashboard shows rows {before}"
            assert table.loc[before, "zipped_bytes"].is_monotonic_increasing, f"not sorted by size: {before}"

            tick = time.perf_counter()
            cell.locator(".widget-dropdown select").select_option(label="accuracy")
            wait_for_change(lambda: " ".join(row_order(output)), " ".join(before))
            after = row_order(output)
            assert sorted(after) == sorted(before), f"rows changed: {before} -> {after}"
            assert table.loc[after, "accuracy"].is_monotonic_decreasing, f"not sorted by accuracy: {after}"

            status_before = status.inner_text()
            readout = cell.locator(".widget-slider", has_text="Max loss").locator(".widget-readout")
            readout.click()
            page.keyboard.press("Control+a")
            page.keyboard.type("3.0")
            page.keyboard.press("Enter")
            status_after = wait_for_change(status.inner_text, status_before)
            times["dashboard changes"] = time.perf_counter() - tick
            within = table[table["accuracy_delta_pts"] >= -3.0]
            expected = f"Smallest model losing at most 3.0 pts: {within['zipped_bytes'].idxmin()}"
            first, *rest = status_after.strip().splitlines()
            assert first == expected, f"status {status_before!r} -> {status_after!r}"
            from workshop_utils.report.table import smallest_within_budget

            on_mcu = smallest_within_budget(table, 3.0, runtime="tflm")  # the microcontroller line, same rule
            assert not rest or rest[-1].endswith(f": {on_mcu}"), f"microcontroller pick {rest!r}, expected {on_mcu}"

            wait_for_kernel(page)  # the table and plots finish redrawing after the status line changes
            page.evaluate("el => el.scrollIntoView({block: 'start'})", cell.element_handle())
        finally:
            page.screenshot(path=str(SCREENSHOT))
            browser.close()
    times["total"] = time.perf_counter() - start
    print(f"\nbrowser test: {len(prompts)} code cells ran, widgets {found}; metric 'accuracy' reordered the "
          f"rows {before[:3]}... -> {after[:3]}...; budget 3.0 -> status {status_after!r}; screenshot {SCREENSHOT}")
    print("browser test times: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in times.items()))
