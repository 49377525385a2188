"""The web app in a real headless browser (Debian's chromium, driven by Selenium through
chromedriver): what an analyst sees and clicks. A screenshot of each main page is kept in
tests/artifacts/ (or $COMPUTEWATCH_ARTIFACTS)."""
from __future__ import annotations

import os
import shutil
import urllib.parse
from pathlib import Path

import pytest

from crawl_helpers import ROOT
from web_helpers import fill, get_json, served

ARTIFACTS = Path(os.environ.get("COMPUTEWATCH_ARTIFACTS", ROOT / "tests" / "artifacts"))
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'cw.db'}"
    fill(url, tmp)
    with served(url) as (base_url, _proc):
        yield base_url


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver are missing: `make test` installs them")
        pytest.skip("no chromium/chromedriver: `make test` installs them (Debian packages)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_fact_page_shows_its_reports_in_both_languages(base, browser):
    from selenium.webdriver.common.by import By

    facts = get_json(base + "/facts.json?lang=zh&size=500")["rows"]
    fact = next(f for f in facts if f["langs"] == ["en", "zh"])
    browser.get(f"{base}/facts/{fact['fact']}")
    assert f"Fact #{fact['fact']}" in browser.find_element(By.TAG_NAME, "h1").text
    for lang in ("en", "zh"):
        section = browser.find_element(By.CSS_SELECTOR, f"section[data-lang='{lang}']")
        marks = [m.text for m in section.find_elements(By.TAG_NAME, "mark")]
        assert marks and all(m for m in marks), lang
        assert {m for m in marks} <= {c["text"] for c in fact["claims"] if c["lang"] == lang}
        links = section.find_elements(By.CSS_SELECTOR, ".report a")
        assert {a.get_attribute("href") for a in links} <= {c["url"] for c in fact["claims"]}
    shot(browser, "fact")


def test_clicking_a_facet_filters_the_facts(base, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(base + "/facts")
    shot(browser, "facts")
    link = next(a for a in browser.find_elements(By.CSS_SELECTOR, "a[data-facet='kind']") if a.text == "money")
    link.click()
    WebDriverWait(browser, 20).until(lambda d: "kind=money" in d.current_url)
    kinds = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "table.facts tr td:nth-child(3)")]
    assert kinds and set(kinds) == {"money"}
    expected = get_json(base + "/facts.json?kind=money&size=500")["total"]
    assert f"{expected} in all" in browser.find_element(By.CSS_SELECTOR, ".pager").text
    # The active filter shows, and removing it brings every fact back.
    browser.find_element(By.CSS_SELECTOR, ".active a").click()
    WebDriverWait(browser, 20).until(lambda d: "kind=money" not in d.current_url)
    assert f"{get_json(base + '/facts.json')['total']} in all" in browser.find_element(By.CSS_SELECTOR, ".pager").text


def test_the_subject_timeline_chart_renders(base, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{base}/subjects/{urllib.parse.quote('Meta')}")
    imgs = browser.find_elements(By.CSS_SELECTOR, "figure.chart img")
    assert imgs
    WebDriverWait(browser, 90).until(lambda d: all(
        d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i) for i in imgs))
    shot(browser, "subject")


def test_a_hostile_article_shows_its_markup_as_text(base, browser):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    claims = get_json(base + "/claims.json?subject=Meta&size=500")["rows"]
    hostile = next(c for c in claims if "hostile.example" in c["url"])
    browser.get(f"{base}/articles/{hostile['article']}")
    assert "<script>alert('title')</script>" in browser.find_element(By.TAG_NAME, "h1").text
    assert "<script>alert('x')</script>" in browser.find_element(By.CSS_SELECTOR, ".text").text
    assert browser.find_elements(By.CSS_SELECTOR, ".text mark")          # its claims highlighted
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    shot(browser, "article")


def test_overview_claims_and_sources_pages(base, browser):
    from selenium.webdriver.common.by import By

    for name, path in (("index", "/"), ("claims", "/claims?kind=money"), ("sources", "/sources")):
        browser.get(base + path)
        assert browser.find_element(By.TAG_NAME, "h1").text
        assert browser.find_elements(By.CSS_SELECTOR, "table tr td")
        shot(browser, name)
