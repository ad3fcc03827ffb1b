"""healthcore report: one self-contained HTML file, checked in headless Chromium with the network
blocked, and its figures checked against values computed by hand.

Chromium is the system's (``chromium`` on the PATH, as scripts/test installs it); Playwright
never downloads a browser here. Without Chromium the browser tests fail, saying so.

``HEALTHCORE_DOCS_SCREENSHOT=1`` also writes the screenshot of the bundled saas-b2b sample's
report to docs/report.png (see docs/reports.md).
"""

from __future__ import annotations

import healthcore
import os
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import healthcore.history
from healthcore import loads_ruleset
from healthcore.cli.main import main
from healthcore.io.readers import read_bytes
from healthcore.report import charts, render_report
from helpers import CHROMIUM_ARGS, REPO, chromium

RULESET = """\
healthcore: 1
name: trial
account_id: id
indicators:
  - {id: usage, label: Usage, metric: field, params: {field: usage}, normalize: {linear: {worst: 0, best: 100}}, weight: 3}
  - {id: nps, label: NPS, metric: nps, params: {promoters: p, passives: pa, detractors: d}, normalize: {linear: {worst: -100, best: 100}}, weight: 1}
actions:
  - {id: late, when: late, points: -20, reason: Invoice overdue}
tiers:
  - {name: good, min: 60, color: green}
  - {name: fair, min: 30, color: yellow}
  - {name: poor, min: 0, color: red}
"""
HOSTILE = "<img src=x onerror=alert(1)>"
ACCOUNTS = f"""\
id,usage,p,pa,d,late,churned
A1,90,5,0,0,no,no
A2,80,2,2,1,no,no
A3,50,1,1,3,no,yes
"{HOSTILE}",20,0,0,4,yes,yes
A5,10,,,,no,yes
A6,70,3,1,1,yes,no
A7,,,,,no,no
"""
# score = (3 x usage points + NPS points) / 4, NPS points = (NPS + 100) / 2, late: -20
# A1 (3x90 + 100)/4 = 92.5 good    A2 (240 + 60)/4 = 75 good     A3 (150 + 30)/4 = 45 fair
# HOSTILE (60 + 0)/4 - 20 -> 0 poor  A5 usage only: 10 poor       A6 (210 + 70)/4 - 20 = 50 fair
# A7 no indicator: not scored.  Worst first: HOSTILE 0, A5 10, A3 45, A6 50, A2 75, A1 92.5
WORST_FIRST = [(HOSTILE, "0.0", "poor"), ("A5", "10.0", "poor"), ("A3", "45.0", "fair"),
               ("A6", "50.0", "fair"), ("A2", "75.0", "good"), ("A1", "92.5", "good")]


def accounts() -> pl.DataFrame:
    return read_bytes(ACCOUNTS.encode(), "csv")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """The ruleset, the accounts and a history with two runs of the ruleset: the first five
    accounts on 2024-01-31, all seven on 2024-02-29."""
    ruleset = tmp_path / "trial.yaml"
    ruleset.write_text(RULESET, encoding="utf-8")
    data = tmp_path / "accounts.csv"
    data.write_text(ACCOUNTS, encoding="utf-8")
    history = tmp_path / "history.db"
    compiled = loads_ruleset(RULESET)
    with healthcore.history.open(str(history)) as store:
        store.record(healthcore.score(compiled, accounts().head(5)), "2024-01-31")
        store.record(healthcore.score(compiled, accounts()), "2024-02-29")
    return {"ruleset": ruleset, "accounts": data, "history": history,
            "report": tmp_path / "report.html"}


def write_report(files: dict[str, Path], *extra: str):
    return CliRunner().invoke(main, ["report", str(files["ruleset"]), str(files["accounts"]),
                                     "-o", str(files["report"]), *extra])


def open_in_chromium(path: Path, screenshot: Path) -> dict:
    """Open ``path`` in headless Chromium with every request that is not a file aborted; what
    the page showed, the requests it tried, and its console and page errors."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    errors: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        if url.startswith("file:"):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", route)
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:"))
                    else blocked.append(r.url))
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg')"
                                   ".length > 0")
            seen = page.evaluate("""() => ({
                charts: [...document.querySelectorAll('.js-plotly-plot')].map(
                    c => ({id: c.id, svg: c.querySelectorAll('svg.main-svg').length,
                           bars: c.querySelectorAll('g.point path').length})),
                attention: [...document.querySelectorAll('#attention tbody tr')].map(
                    r => [...r.cells].map(c => c.innerText.trim())),
                images: document.querySelectorAll('img').length,
                headings: [...document.querySelectorAll('h2')].map(h => h.innerText),
            })""")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return {**seen, "blocked": blocked, "errors": errors}


def test_the_report_renders_in_chromium_with_no_network(files, tmp_path):
    result = write_report(files, "--outcome", "churned", "--history", str(files["history"]))
    assert result.exit_code == 1, result.output  # A7 cannot be scored; the report is written
    assert "1 of 7 accounts could not be scored" in result.stderr
    shown = open_in_chromium(files["report"], tmp_path / "report.png")
    assert shown["blocked"] == [], "the report tried to reach the network"
    assert shown["errors"] == []
    assert [c["id"] for c in shown["charts"]] == [
        "chart-tiers", "chart-histogram", "chart-contributions", "chart-backtest",
        "chart-trends"]
    for chart in shown["charts"]:
        assert chart["svg"] >= 1 and chart["bars"] >= 2, chart
    assert [row[1:4] for row in shown["attention"]] == [list(row) for row in WORST_FIRST]
    assert shown["attention"][0][4].splitlines() == [
        "Usage cost 60.0 points", "NPS cost 25.0 points", "Invoice overdue (-20 points)"]
    assert shown["images"] == 0  # the account id was shown as text, not run as markup
    assert shown["headings"] == [
        "Tiers and scores", "Accounts needing attention", "Accounts that could not be scored (1)",
        "What the indicators bring", "Portfolio", "Backtest against the outcome", "Trends"]
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_the_file_is_self_contained_and_escapes_account_text(files):
    assert write_report(files).exit_code == 1
    text = files["report"].read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe|source)\b[^>]*\b(src|href)\s*=", text,
                         re.IGNORECASE)
    assert text.count("<script") == 1 + 3  # plotly.js, then one per chart
    assert "Plotly.newPlot" in text and HOSTILE not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "Backtest" not in text and "Trends" not in text


def test_the_charts_hold_the_hand_computed_figures(files):
    compiled = loads_ruleset(RULESET)
    results = healthcore.score(compiled, accounts(), explain=True)
    colors = {"good": "#2e7d32", "fair": "#f2b705", "poor": "#c62828"}
    histogram = charts.score_histogram(results, colors)
    # bands of 5 points, drawn at their middle: 0 and 10 poor, 45 and 50 fair, 75 and 92.5 good
    assert [(t.name, list(t.x), list(t.y)) for t in histogram.data] == [
        ("good", [77.5, 92.5], [1, 1]), ("fair", [47.5, 52.5], [1, 1]),
        ("poor", [2.5, 12.5], [1, 1])]
    assert [t.marker.color for t in histogram.data] == ["#2e7d32", "#f2b705", "#c62828"]
    brought = charts.contributions(results, colors)
    # good: usage 3/4 x 90 and 3/4 x 80, NPS 1/4 x 100 and 1/4 x 60; poor: A5 has usage only
    assert [(t.name, list(t.y), list(t.x)) for t in brought.data] == [
        ("good", ["Usage", "NPS"], [63.75, 20.0]), ("fair", ["Usage", "NPS"], [45.0, 12.5]),
        ("poor", ["Usage", "NPS"], [12.5, 0.0])]
    with healthcore.history.open(str(files["history"]), create=False) as store:
        trends = charts.trends(store.tier_mix("trial"), {**colors, "unscored": "#9e9e9e"})
    bars = {t.name: list(t.y) for t in trends.data if t.type == "bar"}
    assert bars == {"good": [2, 2], "fair": [1, 2], "poor": [2, 2], "unscored": [0, 1]}
    line = trends.data[-1]
    assert list(line.x) == ["2024-01-31", "2024-02-29"]
    assert list(line.y) == pytest.approx([(92.5 + 75 + 45 + 0 + 10) / 5,
                                          (92.5 + 75 + 45 + 50 + 0 + 10) / 6])


def test_the_page_sections_show_the_figures(files):
    compiled = loads_ruleset(RULESET)
    frame = accounts()
    html = render_report(healthcore.score(compiled, frame, explain=True), frame, outcome="churned",
                         history=str(files["history"]), top=2)
    attention = html[html.index('id="attention"'):html.index("</table>",
                                                            html.index('id="attention"'))]
    assert attention.count("<tr>") == 1 + 2  # the header and the two lowest scores
    assert "The 2 lowest scores of 6 scored accounts" in html
    # portfolio NPS: promoters 5+2+1+0+3, detractors 0+1+3+4+1 of 24 responses: +8.3
    assert "<td class=num>+8.3</td>" in html
    assert "3 with the outcome (base rate 42.9 %)" in html
    assert "2 recorded runs, from 2024-01-31 to 2024-02-29" in html


def test_mistakes_give_exit_code_2_and_keep_the_old_report(files, tmp_path):
    files["report"].write_text("old report", encoding="utf-8")
    missing = write_report(files, "--history", str(tmp_path / "none.db"))
    assert missing.exit_code == 2 and "no history at" in missing.stderr
    other = tmp_path / "other.db"
    with healthcore.history.open(str(other)):
        pass
    empty = write_report(files, "--history", str(other))
    assert empty.exit_code == 2
    assert f"the history {other} has no run of the ruleset 'trial'" in empty.stderr
    unknown = write_report(files, "--outcome", "churn")
    assert unknown.exit_code == 2 and "churn" in unknown.stderr
    assert files["report"].read_text(encoding="utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_the_bundled_sample_report_and_its_screenshot(tmp_path):
    output = tmp_path / "saas-b2b.html"
    result = CliRunner().invoke(main, [
        "report", str(REPO / "rulesets" / "saas-b2b.yaml"),
        str(REPO / "rulesets" / "saas-b2b.accounts.csv"), "-o", str(output)])
    assert result.exit_code == 0, result.output
    shown = open_in_chromium(output, tmp_path / "report.png")
    assert shown["blocked"] == [] and shown["errors"] == []
    assert len(shown["charts"]) == 3 and len(shown["attention"]) == 20
    assert shown["attention"][0][1:4] == ["ACC-1025", "20.9", "unhealthy"]
    if os.environ.get("HEALTHCORE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(tmp_path / "report.png", REPO / "docs" / "report.png")
