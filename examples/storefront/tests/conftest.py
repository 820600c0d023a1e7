"""Fixtures of the browser test: the shop (examples/storefront/run) against checkout-sandbox,
a headless Debian Chromium driven by Selenium, and the shop's order table."""

import base64
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "target" / "browser"
SECRETS = {
    "JUSTIFI_WEBHOOK_SECRET": "sigk_" + os.urandom(16).hex(),
    "RECHARGE_WEBHOOK_SECRET": os.urandom(16).hex(),
    "PAYFECT_WEBHOOK_SECRET": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "SHOP_ADMIN_PASSWORD": base64.urlsafe_b64encode(os.urandom(12)).decode(),
}
# Where run installs the shop; server/ holds its generated configuration, secrets and socket.
SERVER = ROOT / "target" / "storefront" / "app" / "server"


class Shop:
    """The running shop: its URL, the sandbox's, its SQLite orders, the secrets it was given
    and the directory of its generated server files."""

    def __init__(self, url, sandbox, database):
        self.url = url
        self.sandbox = sandbox
        self.database = database
        self.secrets = SECRETS
        self.server = SERVER

    def query(self, sql, *args):
        with sqlite3.connect(self.database, timeout=5) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql, args)]

    def order(self, order_id):
        rows = self.query("SELECT * FROM orders WHERE id = ?", order_id)
        assert rows, f"no order {order_id}"
        return rows[0]

    def wait_until_paid(self, order_id, by):
        """The order once it is paid (`by` names what should pay it, for the failure message)."""
        return self.wait_for(lambda: (order := self.order(order_id))["status"] == "paid" and order, by)

    def wait_for(self, predicate, what, timeout=15):
        """Polls `predicate` until it returns a true value (a webhook arrives asynchronously)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture(scope="session")
def shop():
    # Directly under /tmp: run gives the data directory to the shop's unprivileged pool user,
    # who must be able to reach it (pytest's own temporary directories are private to root).
    data = Path(tempfile.mkdtemp(prefix="storefront-data-"))
    process = subprocess.Popen(
        ["bash", str(ROOT / "examples/storefront/run"), "--port", "0", "--data", str(data)],
        stdout=subprocess.PIPE, text=True, start_new_session=True, env={**os.environ, **SECRETS},
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("storefront listening on "), f"the shop did not start: {line!r}"
        url, sandbox = line.split()[3], line.split()[5].rstrip(")")
        yield Shop(url, sandbox, data / "shop.sqlite")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        for log in ("php-fpm.log", "nginx-error.log"):
            if (data / log).exists():
                print(f"{log}:\n{(data / log).read_text()[-4000:]}")
        shutil.rmtree(data)


class Shopper:
    """A shopper in a headless Chromium: what they click and what they see, with a
    screenshot of each step in target/browser/<test>-<n>-<step>.png."""

    def __init__(self, driver, test):
        self.driver = driver
        self.test = test
        self.steps = 0

    def open(self, url):
        self.driver.get(url)

    def click(self, css):
        self.wait_for(css).click()

    def type(self, css, text):
        field = self.wait_for(css)
        field.clear()
        field.send_keys(text)

    def wait_for(self, css, timeout=15):
        """The element `css` once it is on the page (pages load and scripts run asynchronously;
        an element of the page being left may vanish under a query, which is then retried)."""
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(WebDriverException,)).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def wait_for_text(self, text, timeout=15):
        WebDriverWait(self.driver, timeout, ignored_exceptions=(WebDriverException,)).until(lambda d: text in d.find_element(By.TAG_NAME, "body").text,
                                                  f"{text!r} never appeared")

    @property
    def page(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    @property
    def url(self):
        return self.driver.current_url

    def screenshot(self, step):
        self.steps += 1
        name = f"{self.test}-{self.steps}-{step}.png"
        self.driver.save_screenshot(str(SCREENSHOTS / name))
        return name


def pytest_configure(config):
    config.addinivalue_line("markers", "page_load_strategy(name): the WebDriver page load strategy of the test's browser")


@pytest.fixture
def shopper(request):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    marker = request.node.get_closest_marker("page_load_strategy")
    if marker:
        options.page_load_strategy = marker.args[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,800"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield Shopper(driver, request.node.name.removeprefix("test_"))
    finally:
        driver.quit()
