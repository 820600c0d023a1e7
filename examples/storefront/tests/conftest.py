"""Fixtures of the browser test: the shop (examples/storefront/run) against checkout-sandbox,
a headless Debian Chromium driven by Selenium, and the shop's order table."""

import base64
import http.server
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
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


class ComponentScripts:
    """The `<justifi-checkout>` script the shop's card page loads (SHOP_COMPONENT_SCRIPT), on a
    loopback port of its own: by default a redirect to the sandbox's stand-in; after
    `use_justifi()`, JustiFi's own package (`@justifi/webcomponents`, installed by
    scripts/browser-test into the directory JUSTIFI_WEBCOMPONENTS names), its lazily loaded
    modules included. Module scripts are fetched in CORS mode: every answer allows any origin."""

    def __init__(self):
        self.sandbox = None
        self.package = None
        scripts = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.split("?")[0].removeprefix("/webcomponents/")
                if scripts.package is None and name == "webcomponents.esm.js" and scripts.sandbox:
                    self.answer(302, b"", {"Location": f"{scripts.sandbox}/webcomponents/webcomponents.esm.js"})
                    return
                path = scripts.package / name if scripts.package and "/" not in name and ".." not in name else None
                if path is None or not path.is_file():
                    self.answer(404, b"not found", {"Content-Type": "text/plain"})
                    return
                self.answer(200, path.read_bytes(), {"Content-Type": "text/javascript; charset=utf-8"})

            def answer(self, status, body, headers):
                self.send_response(status)
                for name, value in {**headers, "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store",
                                    "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webcomponents/webcomponents.esm.js"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def use_justifi(self):
        package = os.environ.get("JUSTIFI_WEBCOMPONENTS")
        assert package, "JUSTIFI_WEBCOMPONENTS names no installed @justifi/webcomponents (scripts/browser-test installs it)"
        self.package = Path(package) / "dist" / "webcomponents"
        assert (self.package / "webcomponents.esm.js").is_file(), f"no JustiFi component script in {self.package}"

    def use_stand_in(self):
        self.package = None

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def component_scripts():
    scripts = ComponentScripts()
    try:
        yield scripts
    finally:
        scripts.close()


@pytest.fixture(scope="session")
def shop(component_scripts):
    # Directly under /tmp: run gives the data directory to the shop's unprivileged pool user,
    # who must be able to reach it (pytest's own temporary directories are private to root).
    data = Path(tempfile.mkdtemp(prefix="storefront-data-"))
    process = subprocess.Popen(
        ["bash", str(ROOT / "examples/storefront/run"), "--port", "0", "--data", str(data)],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, **SECRETS, "SHOP_COMPONENT_SCRIPT": component_scripts.url},
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("storefront listening on "), f"the shop did not start: {line!r}"
        url, sandbox = line.split()[3], line.split()[5].rstrip(")")
        component_scripts.sandbox = sandbox
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

    def wait_until(self, predicate, what, timeout=15):
        """The first true value of `predicate(driver)`, polled."""
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(WebDriverException,)).until(predicate, f"{what} never came")

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
    # The network log, so that tests can see the requests pages make (their headers).
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    marker = request.node.get_closest_marker("page_load_strategy")
    if marker:
        options.page_load_strategy = marker.args[0]
    # Every host name but loopback's fails to resolve: the pages (JustiFi's own component checks
    # npm for a newer version of itself) and the browser reach nothing off this machine.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,800",
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield Shopper(driver, request.node.name.removeprefix("test_"))
    finally:
        driver.quit()
