"""Render the decision letter and the impact report of the examples and, when a headless
browser is installed, save a screenshot (PNG) of each.

    python docs/screenshots.py [OUTDIR]      (default: docs/screenshots/)

Not part of ``make test``. Uses Playwright with Chromium when installed, else a
``chromium``/``chromium-browser``/``google-chrome`` executable in headless mode; with
neither it writes the two HTML pages, says that no browser was found, and exits 0.
Needs Jinja2 (the ``html`` extra).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from luk_rules import html, impact, load  # noqa: E402

EXAMPLES = ROOT / "rulesets" / "examples"


def pages(out: Path) -> list[Path]:
    """Write the letter of the demo case and the report of the voltijd proposal, each in
    English and in Dutch (``*.nl.html``)."""
    out.mkdir(parents=True, exist_ok=True)
    ruleset = load(EXAMPLES / "bouwkunde-deeltijd.luk")
    case = json.loads((EXAMPLES / "cases" / "bouwkunde-selficient.json").read_text("utf-8"))
    before, after = EXAMPLES / "bouwkunde-voltijd.luk", EXAMPLES / "bouwkunde-voltijd-evl.luk"
    result = impact.compare(before, after, [EXAMPLES / "past-cases"])
    written = []
    for lang, suffix in (("en", ""), ("nl", ".nl")):
        decision = ruleset.decide(case, lang=lang)
        letter = html.decision_html(
            decision, ruleset.for_date(dt.date.fromisoformat(case["date"])).ir, case["form"],
            case["date"], case["assessment"], lang=lang)
        report = html.impact_html(result, load(before).ir, load(after).ir, lang=lang)
        for name, text in ((f"decision-letter{suffix}.html", letter),
                           (f"impact-report{suffix}.html", report)):
            path = out / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def shoot_playwright(files: list[Path]) -> bool:
    """Screenshots with Playwright's Chromium; False when it is not installed."""
    try:
        from playwright.sync_api import sync_playwright  # type: ignore[import-not-found]
    except ImportError:
        return False
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch()
            page = browser.new_page(viewport={"width": 1000, "height": 1200})
            for f in files:
                page.goto(f.as_uri())
                page.screenshot(path=str(f.with_suffix(".png")), full_page=True)
                page.emulate_media(media="print")
                page.screenshot(path=str(f.with_suffix(".print.png")), full_page=True)
                page.emulate_media(media="screen")
            browser.close()
    except Exception as exc:  # a Playwright without its browser download
        print(f"playwright is installed but cannot run Chromium: {exc}", file=sys.stderr)
        return False
    return True


def shoot_chromium(files: list[Path]) -> bool:
    """Screenshots with a headless Chromium executable; False when there is none."""
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(n)), None)
    if exe is None:
        return False
    for f in files:
        # No network: without the background-networking flags Chromium keeps trying to
        # reach Google's hosts; a fresh profile each time keeps runs independent.
        with tempfile.TemporaryDirectory() as profile:
            done = subprocess.run(
                [exe, "--headless", "--disable-gpu", "--no-sandbox", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 f"--user-data-dir={profile}", "--window-size=1000,2400",
                 f"--screenshot={f.with_suffix('.png')}", f.as_uri()],
                capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            print(f"{exe} failed: {done.stderr[-500:]}", file=sys.stderr)
            return False
    return True


def main(argv: list[str]) -> int:
    """Write the pages and, with a headless browser, their screenshots."""
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    try:
        files = pages(out)
    except html.HtmlUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    for f in files:
        print(f"wrote {f}")
    if shoot_playwright(files) or shoot_chromium(files):
        for f in files:
            print(f"wrote {f.with_suffix('.png')}")
        return 0
    print("no headless browser found (neither Playwright with Chromium nor a chromium or "
          "google-chrome executable): skipped the screenshots; open the HTML pages above in "
          "a browser instead")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
