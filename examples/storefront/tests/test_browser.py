"""Every checkout flow of the example shop, clicked through in headless Chromium as a shopper
would, against checkout-sandbox: what the shopper sees, and what the order table holds.
Screenshots of each step go to target/browser/."""

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request

import pytest
from selenium.webdriver.common.by import By

DECLINED = "4000000000000002"  # JustiFi's generic decline test card, which the sandbox declines


def fill_cart(shopper, shop, *products):
    for product in products:
        shopper.open(shop.url)
        shopper.click(f"#add-{product}")
        shopper.wait_for("#cart")
    shopper.screenshot("cart")


def order_id_in(url):
    match = re.search(r"/orders/(ord_[0-9a-f]{16})", url)
    assert match, f"not an order page: {url}"
    return match.group(1)


def latest_order(shop, flow):
    rows = shop.query("SELECT * FROM orders WHERE flow = ? ORDER BY created_at DESC LIMIT 1", flow)
    assert rows, f"no {flow} order was made"
    return rows[0]


def events_of(shop, order_id):
    return shop.query("SELECT * FROM webhook_events WHERE order_id = ? ORDER BY event_key", order_id)


def wait_for_events(shop, order_id, *types):
    """The order's webhook events once every type in `types` has arrived (JustiFi sends
    `checkout.completed` and `checkout.completion.succeeded` for one completion, docs/events.md)."""
    return shop.wait_for(lambda: {e["type"] for e in events_of(shop, order_id)} >= set(types) and events_of(shop, order_id),
                         f"webhook events {types} of {order_id}")


def sign_justifi(secret, body):
    """JustiFi's webhook signature (docs/providers.md, Webhooks): `JUSTIFI-SIGNATURE` is the hex
    HMAC-SHA256 of `JUSTIFI-TIMESTAMP + "." + body` under the endpoint's secret."""
    timestamp = str(int(time.time()))
    signature = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return {"JUSTIFI-TIMESTAMP": timestamp, "JUSTIFI-SIGNATURE": signature}


def post(url, body, headers):
    """The HTTP status of POSTing `body`."""
    request = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_justifi_hosted_checkout_page(shop, shopper):
    fill_cart(shopper, shop, "chocolate-donut", "coffee-beans")
    assert "$32.49" in shopper.page
    shopper.click("#pay-justifi_hosted")
    shopper.wait_for("input[name=card_number]")
    assert shopper.url.startswith(shop.sandbox + "/hosted-checkout/cho_")
    assert "$32.49" in shopper.page
    shopper.screenshot("justifi-page")
    shopper.click("button[type=submit]")
    shopper.wait_for_text("is paid")
    order_id = order_id_in(shopper.url)
    shopper.screenshot("paid")
    order = shop.order(order_id)
    assert (order["status"], order["amount"], order["currency"]) == ("paid", 3249, "usd")
    assert order["paid_via"] in ("return", "webhook") and order["returned_at"] is not None
    assert "Cart (0)" in shopper.page, "a paid order empties the cart"

    # The webhooks arrive too; a repeated delivery and a second return change nothing.
    events = wait_for_events(shop, order_id, "checkout.completed", "checkout.completion.succeeded")
    before = shop.order(order_id)
    body = events[0]["body"]
    assert post(f"{shop.url}/webhooks/justifi", body, sign_justifi(shop.secrets["JUSTIFI_WEBHOOK_SECRET"], body)) == 200
    shopper.driver.refresh()
    shopper.wait_for_text("is paid")
    assert shop.order(order_id) == before
    assert events_of(shop, order_id) == events

    # A delivery signed with another secret is refused and recorded nowhere.
    assert post(f"{shop.url}/webhooks/justifi", body, sign_justifi("sigk_not_the_secret", body)) == 400
    assert events_of(shop, order_id) == events


def test_justifi_hosted_checkout_page_declined(shop, shopper):
    fill_cart(shopper, shop, "donut-box")
    shopper.click("#pay-justifi_hosted")
    shopper.type("input[name=card_number]", DECLINED)
    shopper.click("button[type=submit]")
    shopper.wait_for_text("Your card was declined.")
    assert "Payment failed" in shopper.page
    shopper.screenshot("declined")
    order = latest_order(shop, "justifi_hosted")
    assert order["amount"] == 2400 and order["paid_at"] is None
    # The shopper leaves JustiFi's page for the shop's: the checkout's latest completion failed,
    # so the order reads as failed and payable again, not as pending.
    shopper.open(f"{shop.url}/orders/{order['id']}")
    shopper.wait_for_text("Payment failed")
    assert shop.order(order["id"])["status"] == "failed"
    shopper.screenshot("order-failed")


def test_justifi_checkout_session(shop, shopper):
    fill_cart(shopper, shop, "coffee-beans")
    shopper.click("#pay-justifi_session")
    shopper.wait_for("input[name=card_number]")
    assert re.match(re.escape(shop.sandbox) + r"/r/[0-9a-f]+$", shopper.url), shopper.url
    assert "$14.50" in shopper.page
    shopper.screenshot("session-page")
    shopper.click("button[type=submit]")
    shopper.wait_for_text("is paid")
    shopper.screenshot("paid")
    order = shop.order(order_id_in(shopper.url))
    assert order["payment_intent_id"].startswith("pi_") and order["checkout_id"] is None
    assert (order["status"], order["amount"]) == ("paid", 1450)
    events = wait_for_events(shop, order["id"], "payment_intent.succeeded")
    assert [e["type"] for e in events] == ["payment_intent.succeeded"]


def test_justifi_checkout_session_back_to_the_cart(shop, shopper):
    fill_cart(shopper, shop, "chocolate-donut", "chocolate-donut")
    shopper.click("#pay-justifi_session")
    shopper.wait_for("input[name=card_number]")
    shopper.click("a[href$='/cart']")
    shopper.wait_for("#cart")
    assert shopper.url == f"{shop.url}/cart"
    assert "Chocolate Donut" in shopper.page and "$35.98" in shopper.page
    shopper.screenshot("cart-again")
    assert latest_order(shop, "justifi_session")["status"] == "pending"


def type_card_number(shopper, number):
    """Types into the card number field, a page of the component's iframe origin (the sandbox)."""
    frame = shopper.wait_for("justifi-checkout iframe[name=cardNumber]")
    shopper.driver.switch_to.frame(frame)
    try:
        shopper.type("input[name=card_number]", number)
    finally:
        shopper.driver.switch_to.default_content()


def record_submit_event(shopper):
    """Keeps the shape of the next submit-event's detail in the tab's sessionStorage, which
    outlives the page the event leaves."""
    shopper.driver.execute_script("""
        document.addEventListener('submit-event', (event) => sessionStorage.setItem('submit-event', JSON.stringify({
          keys: Object.keys(event.detail).sort(), message: event.detail.message,
          payment_status: event.detail.checkout && event.detail.checkout.payment_status})), true);
    """)


# What JustiFi's component emits for a declined card's 201 completion (@justifi/webcomponents,
# dist/collection/components/modular-checkout/justifi-modular-checkout.js: submitEvent.emit
# of {checkout: <the answer's data>, message}).
DECLINED_SUBMIT_EVENT = {"keys": ["checkout", "message"], "message": "Checkout completed successfully",
                         "payment_status": "failed"}


def recorded_submit_event(shopper):
    return json.loads(shopper.driver.execute_script("return sessionStorage.getItem('submit-event')") or "null")


def component_calls(shopper, shop):
    """The API calls the page's component made to the sandbox since the last look: (method,
    path, headers with lowercase names), from the browser's network log."""
    calls = []
    for entry in shopper.driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        request = message["params"].get("request") if message["method"] == "Network.requestWillBeSent" else None
        if request and request["url"].startswith(shop.sandbox + "/v1/") and request["method"] in ("GET", "POST"):
            headers = {name.lower(): value for name, value in request["headers"].items()}
            calls.append((request["method"], request["url"][len(shop.sandbox):], headers))
    return calls


def assert_calls_as_justifis(calls, checkout_id):
    """What JustiFi's component sends (@justifi/webcomponents, dist/collection/): it reads and
    completes the checkout (api/services/checkout.service.js) with the web component token,
    a fresh 10-character Idempotency-Key on every call (api/Api.js getAuthorizationHeader,
    utils/utils.js generateId) and no Sub-Account."""
    checkout_calls = [c for c in calls if c[1].startswith(f"/v1/checkouts/{checkout_id}")]
    assert ("GET", f"/v1/checkouts/{checkout_id}") in [(m, p) for m, p, _ in checkout_calls], calls
    assert [p for m, p, _ in checkout_calls if m == "POST"] == [f"/v1/checkouts/{checkout_id}/complete"] * 2, calls
    keys = [headers.get("idempotency-key") for _, _, headers in checkout_calls]
    assert all(re.fullmatch(r"[A-Za-z0-9]{10}", k or "") for k in keys) and len(set(keys)) == len(keys), keys
    for _, _, headers in checkout_calls:
        assert headers["authorization"].startswith("Bearer wct_") and "sub-account" not in headers, headers
        assert headers["content-type"] == "application/json" and "justifi-web-component-version" in headers, headers


def completions_of(shop, checkout_id):
    request = urllib.request.Request(f"{shop.sandbox}/__sandbox/ledger")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["checkouts"][checkout_id]["completions"]


def test_justifi_web_component(shop, shopper):
    """The sandbox's stand-in for <justifi-checkout> completes the checkout from the browser, as
    JustiFi's does; the shop reads the checkout on submit-event and shows what it says."""
    fill_cart(shopper, shop, "donut-box")
    shopper.click("#pay-justifi_component")
    shopper.wait_for("justifi-checkout button[type=submit]:enabled")  # the checkout read, the fields loaded
    order_id = order_id_in(shopper.url)
    checkout_id = shop.order(order_id)["checkout_id"]
    assert "$24.00" in shopper.page
    shopper.screenshot("component")

    type_card_number(shopper, DECLINED)
    record_submit_event(shopper)
    shopper.click("justifi-checkout button[type=submit]")
    shopper.wait_for_text("Payment failed: Your card was declined.")
    shopper.screenshot("declined")
    assert recorded_submit_event(shopper) == DECLINED_SUBMIT_EVENT
    declined = shop.order(order_id)
    assert (declined["status"], declined["failure"]) == ("failed", "Your card was declined.")
    assert completions_of(shop, checkout_id) == 1, "the component completed the checkout itself"

    shopper.click("#retry")
    shopper.wait_for("justifi-checkout button[type=submit]:enabled")
    shopper.click("justifi-checkout button[type=submit]")  # the card field's default test card
    shopper.wait_for_text("is paid")
    shopper.screenshot("paid")
    order = shop.order(order_id)
    # The shop's read after submit-event and JustiFi's webhook race to mark it paid.
    assert (order["status"], order["failure"]) == ("paid", None) and order["paid_via"] in ("completion", "webhook")
    assert completions_of(shop, checkout_id) == 2
    assert_calls_as_justifis(component_calls(shopper, shop), checkout_id)


def test_the_component_page_trusts_no_submit_event(shop, shopper):
    """A submit-event the page did not get from a completion (a script on the page, or a
    shopper's console, can dispatch one with any detail) leaves the order as the provider says."""
    fill_cart(shopper, shop, "chocolate-donut")
    shopper.click("#pay-justifi_component")
    shopper.wait_for("justifi-checkout button[type=submit]:enabled")
    order_id = order_id_in(shopper.url)
    shopper.driver.execute_script("""
        document.querySelector('justifi-checkout').dispatchEvent(new CustomEvent('submit-event', {bubbles: true,
          detail: {checkout: {payment_status: 'succeeded', checkout: {status: 'completed'}}, message: 'Checkout completed successfully'}}));
    """)
    shopper.wait_for_text("Payment pending")
    shopper.screenshot("forged-event")
    assert shop.order(order_id)["status"] == "pending"


def test_recharge_hosted_checkout(shop, shopper):
    fill_cart(shopper, shop, "coffee-beans", "coffee-beans")
    shopper.click("#pay-recharge")
    shopper.wait_for("input[name=payment_token]")
    assert shopper.url.startswith(shop.sandbox + "/r/checkout/")
    assert "29.00" in shopper.page
    shopper.screenshot("recharge-page")
    shopper.click("button[type=submit]")
    shopper.wait_for_text("Order placed")  # ReCharge's page: its checkout has no return URL
    shopper.screenshot("order-placed")
    order = latest_order(shop, "recharge")
    paid = shop.wait_until_paid(order["id"], "ReCharge's webhook")
    assert (paid["paid_via"], paid["returned_at"], paid["amount"]) == ("webhook", None, 2900)
    assert [e["type"] for e in events_of(shop, order["id"])] == ["checkout"]
    shopper.open(f"{shop.url}/orders/{order['id']}")
    shopper.wait_for_text("is paid")
    shopper.screenshot("order-page")


def test_payfect_payment_page(shop, shopper):
    fill_cart(shopper, shop, "chocolate-donut")
    shopper.click("#pay-payfect")
    shopper.wait_for("button[type=submit]")
    assert shopper.url.startswith(shop.sandbox + "/payfect/checkouts/")
    assert "17.99 USDT" in shopper.page
    shopper.screenshot("payfect-page")
    shopper.click("button[type=submit]")
    shopper.wait_for_text("is paid")
    shopper.screenshot("paid")
    order = shop.order(order_id_in(shopper.url))
    assert (order["status"], order["amount"], order["currency"]) == ("paid", 1799, "usdt")
    wait_for_events(shop, order["id"], "checkout.completed")


@pytest.mark.page_load_strategy("none")  # so that clicking Pay does not wait for the page it leads to
def test_paid_by_webhook_when_the_shopper_never_returns(shop, shopper):
    fill_cart(shopper, shop, "chocolate-donut")
    shopper.click("#pay-justifi_hosted")
    shopper.wait_for("input[name=card_number]")
    order = latest_order(shop, "justifi_hosted")
    # The shopper closes the tab as the payment goes through: the browser holds every request
    # to the shop (the redirect back included) until it is closed.
    shopper.driver.execute_cdp_cmd("Fetch.enable", {"patterns": [{"urlPattern": f"{shop.url}/*"}]})
    shopper.click("button[type=submit]")
    paid = shop.wait_until_paid(order["id"], "JustiFi's webhook")
    shopper.screenshot("tab-closed")
    assert (paid["paid_via"], paid["returned_at"]) == ("webhook", None)
    assert {e["type"] for e in events_of(shop, order["id"])} <= {"checkout.completed", "checkout.completion.succeeded"}


# JustiFi's own <justifi-checkout> (@justifi/webcomponents, dist/collection/ files named):
# justifi-checkout renders justifi-tokenize-payment-method (a shadow root) holding card-form's
# iframe-input iframes (id cardNumber, ...), and a justifi-button (a shadow root) to pay. The
# card form shows its fields (opacity 1) once every iframe has answered iframe-resizer's
# handshake (card-form.js isReady); the Pay button is enabled before, and a click then would
# post to pages not yet listening: the iframe is returned only once the form is ready.
JUSTIFI_CARD_FRAME = """
    const form = document.querySelector('justifi-checkout justifi-tokenize-payment-method');
    const fields = form && form.shadowRoot && form.shadowRoot.querySelector('card-form .container-fluid');
    return fields && fields.style.opacity === '1' && form.shadowRoot.querySelector('iframe#cardNumber');
"""
JUSTIFI_PAY_BUTTON = """
    const button = document.querySelector('justifi-checkout justifi-button');
    return button && button.shadowRoot && button.shadowRoot.querySelector('button:enabled');
"""


def justifi_element(shopper, script, what, timeout=20):
    return shopper.wait_until(lambda d: d.execute_script(script), what, timeout)


def click_justifi_pay(shopper):
    """Clicks JustiFi's Pay button once it is enabled (found again if rendered anew meanwhile)."""
    shopper.wait_until(lambda d: (button := d.execute_script(JUSTIFI_PAY_BUTTON)) and (button.click() or True),
                       "a click on JustiFi's Pay button")


def type_in_justifi_card_number(shopper, number):
    """Types `number` into JustiFi's card number iframe (a page of the sandbox), again until a
    later look finds it there: the component may render its fields anew while it loads."""
    def typed(driver):
        frame = driver.execute_script(JUSTIFI_CARD_FRAME)
        if not frame:
            return False
        driver.switch_to.frame(frame)
        try:
            field = driver.find_element(By.CSS_SELECTOR, "input[name=card_number]")
            if field.get_attribute("value") == number:
                return True
            field.clear()
            field.send_keys(number)
            return False
        finally:
            driver.switch_to.default_content()
    shopper.wait_until(typed, f"{number} in JustiFi's card number field")


def test_justifi_own_web_component(shop, shopper, component_scripts):
    """JustiFi's own package, from node_modules, on the shop's card page against the sandbox:
    it reads the checkout, takes the card in the sandbox's card iframes (iframe-resizer's
    handshake, then the validate and tokenize postMessages), completes the checkout from the
    browser and emits submit-event, on which the shop reads the checkout."""
    component_scripts.use_justifi()
    try:
        fill_cart(shopper, shop, "coffee-beans")
        shopper.click("#pay-justifi_component")
        shopper.wait_for("justifi-checkout")
        order_id = order_id_in(shopper.url)
        checkout_id = shop.order(order_id)["checkout_id"]
        justifi_element(shopper, JUSTIFI_CARD_FRAME, "JustiFi's card number iframe")
        justifi_element(shopper, JUSTIFI_PAY_BUTTON, "JustiFi's Pay button")
        # The billing form is JustiFi's own (not an iframe); its published fillBillingForm method.
        shopper.driver.execute_script("""
            return document.querySelector('justifi-checkout').fillBillingForm({name: 'Ada Lovelace',
              address_line1: '1 Main St', address_city: 'Chicago', address_state: 'IL', address_postal_code: '60601'});
        """)
        shopper.screenshot("justifi-component")

        type_in_justifi_card_number(shopper, DECLINED)
        record_submit_event(shopper)
        click_justifi_pay(shopper)
        shopper.wait_for_text("Payment failed: Your card was declined.", timeout=20)
        shopper.screenshot("declined")
        assert recorded_submit_event(shopper) == DECLINED_SUBMIT_EVENT
        assert shop.order(order_id)["status"] == "failed"
        assert completions_of(shop, checkout_id) == 1, "JustiFi's component completed the checkout itself"

        shopper.click("#retry")
        justifi_element(shopper, JUSTIFI_CARD_FRAME, "JustiFi's card number iframe")
        shopper.driver.execute_script("""
            return document.querySelector('justifi-checkout').fillBillingForm({name: 'Ada Lovelace',
              address_line1: '1 Main St', address_city: 'Chicago', address_state: 'IL', address_postal_code: '60601'});
        """)
        click_justifi_pay(shopper)  # the field's test card
        shopper.wait_for_text("is paid", timeout=20)
        shopper.screenshot("paid")
        assert shop.order(order_id)["status"] == "paid"
        assert completions_of(shop, checkout_id) == 2
        assert_calls_as_justifis(component_calls(shopper, shop), checkout_id)
    finally:
        component_scripts.use_stand_in()


def as_admin(shopper, shop):
    """From now on every request of the tab carries the admin's basic credentials (as a browser
    does once the admin has typed them into its prompt)."""
    credentials = base64.b64encode(f"admin:{shop.secrets['SHOP_ADMIN_PASSWORD']}".encode()).decode()
    shopper.driver.execute_cdp_cmd("Network.enable", {})
    shopper.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": "Basic " + credentials}})


def ledger(shop):
    with urllib.request.urlopen(f"{shop.sandbox}/__sandbox/ledger", timeout=10) as response:
        return json.loads(response.read())


def refund_in_admin(shopper, order_id, amount):
    """Types `amount` (dollars; "" for all that is left) into the order's Refund form on /orders
    and clicks Refund; returns the form's refund id."""
    shopper.type(f"#refund-amount-{order_id}", amount)
    refund_id = shopper.driver.execute_script(
        f"return document.querySelector('#order-{order_id} input[name=refund_id]').value")
    shopper.click(f"#refund-{order_id}")
    return refund_id


def refunded_cell(shopper, order_id):
    return shopper.wait_for(f"#order-{order_id} td.refunded").text


def test_admin_refunds_a_justifi_order_partly_then_fully(shop, shopper):
    fill_cart(shopper, shop, "donut-box")
    shopper.click("#pay-justifi_hosted")
    shopper.click("button[type=submit]")
    shopper.wait_for_text("is paid")
    order_id = order_id_in(shopper.url)
    checkout_id = shop.order(order_id)["checkout_id"]

    as_admin(shopper, shop)
    shopper.open(f"{shop.url}/orders")
    shopper.wait_for(f"#refund-{order_id}")
    shopper.screenshot("admin-orders")
    form = shopper.driver.execute_script(
        f"return Object.fromEntries(new FormData(document.querySelector('#order-{order_id} form.refund')))")
    refund_id = refund_in_admin(shopper, order_id, "5.00")
    shopper.wait_for_text("Refunded $5.00.")
    assert shopper.url == f"{shop.url}/orders#order-{order_id}"
    assert refunded_cell(shopper, order_id).startswith("$5.00 partly refunded")
    shopper.screenshot("refunded-part")
    assert [(r["id"], r["amount"], r["status"]) for r in
            shop.query("SELECT * FROM refunds WHERE order_id = ?", order_id)] == [(refund_id, 500, "succeeded")]
    assert shop.order(order_id)["refunded_amount"] == 500

    # The same form posted again (a double click, the browser's resubmission) refunds nothing more.
    status = shopper.driver.execute_script("""
        const body = new URLSearchParams(arguments[0]);
        return fetch(arguments[1], {method: 'POST', body, redirect: 'manual'}).then(r => r.type);
    """, {**form, "amount": "5.00"}, f"{shop.url}/orders/{order_id}/refund")
    assert status == "opaqueredirect"
    shopper.open(f"{shop.url}/orders")
    shopper.wait_for_text("Refunded $5.00.")
    assert len(ledger(shop)["checkouts"][checkout_id]["refunds"]) == 1

    # A form whose CSRF token is not the session's is refused.
    status = shopper.driver.execute_script("""
        const body = new URLSearchParams(arguments[0]);
        return fetch(arguments[1], {method: 'POST', body, redirect: 'manual'}).then(r => r.status);
    """, {**form, "csrf": "0" * 64, "refund_id": "ref_" + "0" * 32}, f"{shop.url}/orders/{order_id}/refund")
    assert status == 403

    shopper.open(f"{shop.url}/orders")
    refund_in_admin(shopper, order_id, "")  # empty: all that is left
    shopper.wait_for_text("Refunded $19.00.")
    assert refunded_cell(shopper, order_id).startswith("$24.00 refunded")
    assert "Refunded in full." in shopper.wait_for(f"#order-{order_id}").text
    assert not shopper.driver.find_elements(By.CSS_SELECTOR, f"#refund-{order_id}")
    shopper.screenshot("refunded-in-full")
    assert shop.order(order_id)["refunded_amount"] == 2400
    refunds = ledger(shop)["checkouts"][checkout_id]["refunds"]
    assert len(refunds) == 2, f"the sandbox made {len(refunds)} refunds of {checkout_id}"
    stored = shop.query("SELECT id FROM refunds WHERE order_id = ? ORDER BY created_at", order_id)
    keys = [f"shop-refund-{order_id}-{r['id']}" for r in stored]
    assert [(r["amount"], r["idempotency_key"]) for r in refunds] == list(zip([500, 1900], keys)), refunds


def test_admin_refunds_a_recharge_order_in_full(shop, shopper):
    fill_cart(shopper, shop, "coffee-beans", "coffee-beans")
    shopper.click("#pay-recharge")
    shopper.click("button[type=submit]")
    shopper.wait_for_text("Order placed")
    order = shop.wait_until_paid(latest_order(shop, "recharge")["id"], "ReCharge's webhook")

    as_admin(shopper, shop)
    shopper.open(f"{shop.url}/orders")
    refund_in_admin(shopper, order["id"], "")
    shopper.wait_for_text("Refunded $29.00.")
    assert refunded_cell(shopper, order["id"]).startswith("$29.00 refunded")
    shopper.screenshot("recharge-refunded")
    charge = ledger(shop)["recharge_checkouts"][order["checkout_id"]]
    assert (charge["refunds"], charge["refund_requests"]) == (["29.00"], 1), charge


def test_admin_sees_why_an_order_has_no_refund_button(shop, shopper):
    fill_cart(shopper, shop, "chocolate-donut")
    shopper.click("#pay-payfect")
    shopper.click("button[type=submit]")
    shopper.wait_for_text("is paid")
    payfect = order_id_in(shopper.url)
    fill_cart(shopper, shop, "chocolate-donut")
    shopper.click("#pay-justifi_session")
    shopper.click("button[type=submit]")
    shopper.wait_for_text("is paid")
    session = order_id_in(shopper.url)

    as_admin(shopper, shop)
    shopper.open(f"{shop.url}/orders")
    assert "Payfect publishes no refund." in shopper.wait_for(f"#order-{payfect}").text
    assert "a payment intent, not a checkout" in shopper.wait_for(f"#order-{session}").text
    for order_id in (payfect, session):
        assert not shopper.driver.find_elements(By.CSS_SELECTOR, f"#refund-{order_id}")
    shopper.screenshot("no-refund")


def sandbox_post(shop, path, body, headers=None):
    request = urllib.request.Request(f"{shop.sandbox}{path}", json.dumps(body).encode(),
                                     {"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_admin_retries_a_pending_justifi_refund_under_its_key(shop, shopper):
    """JustiFi answers every try of the refund 503 (not processed): the library reads the payment,
    sees no refund and answers pending; the order offers Retry instead of a new refund, and the
    retry sends the same key and amount: one refund."""
    fill_cart(shopper, shop, "chocolate-donut")
    shopper.click("#pay-justifi_hosted")
    shopper.click("button[type=submit]")
    shopper.wait_for_text("is paid")
    order_id = order_id_in(shopper.url)
    checkout_id = shop.order(order_id)["checkout_id"]

    route = "POST /v1/checkouts/{id}/refunds"
    sandbox_post(shop, "/__sandbox/faults", {"route": route, "status": 503, "times": 10})
    as_admin(shopper, shop)
    shopper.open(f"{shop.url}/orders")
    refund_id = refund_in_admin(shopper, order_id, "5")
    shopper.wait_for_text("The refund of $5.00 is pending", timeout=60)
    shopper.screenshot("pending")
    assert shop.query("SELECT status FROM refunds WHERE id = ?", refund_id) == [{"status": "pending"}]
    assert not shopper.driver.find_elements(By.CSS_SELECTOR, f"#refund-{order_id}"), "one unsettled refund at a time"
    assert ledger(shop)["checkouts"][checkout_id]["refunds"] == []

    sandbox_post(shop, "/__sandbox/faults", {"route": route, "status": 503, "times": 0})
    shopper.click(f"#retry-refund-{order_id}")
    shopper.wait_for_text("Refunded $5.00.")
    shopper.screenshot("retried")
    refunds = ledger(shop)["checkouts"][checkout_id]["refunds"]
    assert [(r["amount"], r["idempotency_key"]) for r in refunds] == [(500, f"shop-refund-{order_id}-{refund_id}")]
    assert shop.order(order_id)["refunded_amount"] == 500


def test_admin_retries_a_pending_recharge_refund_reading_the_charge_first(shop, shopper):
    """ReCharge takes no key: a pending refund's retry reads the charge and sends nothing when
    the charge shows the refund (here made behind the shop's back, as a lost answer would
    leave it), and sends it when the charge does not."""
    orders = []
    for _ in range(2):
        fill_cart(shopper, shop, "coffee-beans")
        shopper.click("#pay-recharge")
        shopper.click("button[type=submit]")
        shopper.wait_for_text("Order placed")
        orders.append(shop.wait_until_paid(latest_order(shop, "recharge")["id"], "ReCharge's webhook"))
    route = "POST /charges/{id}/refund"
    as_admin(shopper, shop)
    for arrived, order in zip((True, False), orders):
        sandbox_post(shop, "/__sandbox/faults", {"route": route, "status": 503})
        shopper.open(f"{shop.url}/orders")
        refund_in_admin(shopper, order["id"], "4.50")
        shopper.wait_for_text("The refund of $4.50 is pending", timeout=60)
        charge_id = ledger(shop)["recharge_checkouts"][order["checkout_id"]]["charge_id"]
        if arrived:
            sandbox_post(shop, f"/charges/{charge_id}/refund", {"amount": "4.50"},
                         {"X-Recharge-Access-Token": "test_recharge_token"})
        shopper.click(f"#retry-refund-{order['id']}")
        shopper.wait_for_text("Refunded $4.50.")
        charge = ledger(shop)["recharge_checkouts"][order["checkout_id"]]
        # The faulted request, then the one made behind the shop's back or the retry's.
        assert (charge["refunds"], charge["refund_requests"]) == (["4.50"], 2), (arrived, charge)
        assert refunded_cell(shopper, order["id"]).startswith("$4.50 partly refunded")
    shopper.screenshot("retried")
