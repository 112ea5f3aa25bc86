"""Screenshots of every main page at a desktop and a phone width, in English and Chinese.

Run against a running CRM with demo data (``scripts/run``), e.g.
``.venv/bin/python scripts/screenshots.py --base http://127.0.0.1:8000 --out /tmp/shots``.
Signs in as the demo manager (or ``--user``) and prints, per page, whether it is wider than the
viewport, so a layout that breaks on a phone shows up in the output as well as in the pictures.
"""

import argparse
import os
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = [
    ("my-day", "/"),
    ("pipeline", "/pipeline/"),
    ("deals", "/deals/"),
    ("deal", "first:/deals/"),
    ("customers", "/customers/"),
    ("customer", "first:/customers/"),
    ("activities", "/activities/"),
    ("records", "/sales-records/"),
    ("dashboard", "/dashboard/"),
    ("pipeline-trend", "/dashboard/pipeline-trend/"),
    ("plans", "/plans/"),
    ("won-deal", "first:/deals/?status=won"),
    ("lost-deal", "first:/deals/?status=lost"),
    ("notifications", "/notifications/"),
    ("preferences", "/accounts/preferences/"),
    ("imports", "/imports/"),
]
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
LANGUAGES = ("en", "zh-hans")


def first_link(page, base: str, list_path: str) -> str:
    page.goto(base + list_path)
    pattern = re.compile(re.escape(list_path.split("?")[0]) + r"\d+/$")
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
        if href and pattern.match(href):
            return href
    return list_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--user", default="manager")
    parser.add_argument("--password", default="demo12345")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium)
        for lang in LANGUAGES:
            for size_name, (width, height) in SIZES.items():
                context = browser.new_context(viewport={"width": width, "height": height}, locale=lang)
                page = context.new_page()
                page.goto(args.base + "/accounts/login/")
                page.fill("input[name=username]", args.user)
                page.fill("input[name=password]", args.password)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                for name, path in PAGES:
                    if path.startswith("first:"):
                        path = first_link(page, args.base, path.removeprefix("first:"))
                    page.goto(args.base + path)
                    page.wait_for_load_state("networkidle")
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    flag = "" if wide <= width or name == "pipeline" else f"  WIDER THAN VIEWPORT: {wide}px"
                    file = out / f"{name}-{size_name}-{lang}.png"
                    page.screenshot(path=str(file), full_page=True)
                    print(f"{file}{flag}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
