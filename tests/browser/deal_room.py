"""Drives the deal room in headless Chromium (Playwright for Python).

Usage: deal_room.py URL CHROMIUM SCREENSHOT PATH VALUE

Loads the page, records the investors' P(loss), sets the term PATH to
VALUE, waits for P(loss) to change, switches to Spanish, waits for the
Spanish labels, and saves a screenshot. Prints one JSON line: P(loss)
before and after (the raw values the page shows), and the milliseconds
from the change to the updated figure.
"""
import json
import sys
import time

from playwright.sync_api import sync_playwright

url, chromium, shot, path, value = sys.argv[1:6]
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    loss = page.locator('.kpi[data-key="prob_loss"]')
    loss.wait_for(timeout=30000)
    # A page at rest: the starting run's charts are drawn.
    page.wait_for_function("() => document.querySelectorAll('figure[data-chart]').length > 0", timeout=30000)
    before = loss.get_attribute("data-value")
    field = page.locator(f'input[data-path="{path}"]')
    start = time.perf_counter()
    field.fill(value)
    page.wait_for_function(
        "before => { const k = document.querySelector('.kpi[data-key=\"prob_loss\"]');"
        " return k && k.dataset.value !== before; }",
        arg=before,
        timeout=30000,
    )
    ms = (time.perf_counter() - start) * 1000
    page_ms = float(page.locator("#status").get_attribute("data-ms"))
    server_ms = float(page.locator("#status").get_attribute("data-server-ms"))
    simulation_ms = float(page.locator("#status").get_attribute("data-simulation-ms"))
    after = loss.get_attribute("data-value")
    page.select_option("#lang", "es")
    page.wait_for_function(
        "() => document.querySelector('.kpi[data-key=\"prob_loss\"] span').textContent.includes('pierde')",
        timeout=30000,
    )
    page.screenshot(path=shot, full_page=True)
    browser.close()
print(json.dumps({"before": float(before), "after": float(after), "ms": ms,
                  "page_ms": page_ms, "server_ms": server_ms, "simulation_ms": simulation_ms}))
