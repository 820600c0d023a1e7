"""The example shop is safe to copy (issue 18, item 5), over plain HTTP as a second shopper, an
anonymous visitor or a local user would try it: orders belong to their session, the list of
all orders is behind the admin password, a refund needs the admin and the admin session's
token, reloading an order page cannot spend the provider's rate limit, list fields are
refused, the secrets and the FPM socket are closed to other users and the PHP workers do not
run as root."""

import base64
import grp
import http.cookiejar
import json
import os
import pwd
import re
import stat
import urllib.error
import urllib.parse
import urllib.request

import pytest


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The tests look at the shop's own answers: a redirect is returned, not followed."""

    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    """One browser session over plain HTTP: its own cookie jar."""

    def __init__(self, shop):
        self.shop = shop
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, method, path, form=None, headers=None):
        """The status, headers and body of `method path`; `form` is a dict or a raw
        urlencoded string."""
        data = None
        if form is not None:
            data = (form if isinstance(form, str) else urllib.parse.urlencode(form)).encode()
        request = urllib.request.Request(self.shop.url + path, data, headers or {}, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def order(self, flow, product="chocolate-donut"):
        """Places an order in `flow` from a cart holding `product`: its id (the newest order of
        the flow in the shop's table; the tests run one at a time)."""
        assert self.request("POST", "/cart/add", {"product": product})[0] == 303
        status, _, _ = self.request("POST", "/checkout", {"flow": flow})
        assert status == 303, f"checkout in {flow} answered {status}"
        return self.shop.query("SELECT id FROM orders WHERE flow = ? ORDER BY created_at DESC LIMIT 1", flow)[0]["id"]


def sandbox_json(shop, path, body=None):
    """A request to the sandbox (its admin routes take JSON, from loopback)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(shop.sandbox + path, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def card_token(shop):
    """A JustiFi payment method for the test card, as JustiFi's web component makes one."""
    grant = sandbox_json(shop, "/oauth/token", {"client_id": "test_sandbox_client_id",
                                               "client_secret": "test_sandbox_client_secret"})
    request = urllib.request.Request(
        shop.sandbox + "/v1/payment_methods", json.dumps({"payment_method": {"card": {"number": "4242424242424242"}}}).encode(),
        {"Content-Type": "application/json", "Authorization": "Bearer " + grant["access_token"],
         "Sub-Account": "acc_5Et9iXrSSAZR2KSouQGAWi"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]["id"]


def test_another_session_cannot_see_my_order(shop):
    alice, mallory = Visitor(shop), Visitor(shop)
    order_id = alice.order("justifi_component")
    cookie = next(c for c in alice.jar if c.name == "PHPSESSID")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "Lax"
    assert alice.request("GET", f"/orders/{order_id}")[0] == 200
    assert alice.request("GET", f"/orders/{order_id}/pay")[0] == 200

    assert mallory.request("GET", f"/orders/{order_id}")[0] == 404
    assert mallory.request("GET", f"/orders/{order_id}/pay")[0] == 404
    assert f'href="/orders/{order_id}"' in alice.request("GET", "/my-orders")[2]
    status, _, theirs = mallory.request("GET", "/my-orders")
    assert status == 200 and order_id not in theirs


def test_another_session_cannot_pay_my_order(shop):
    alice, mallory = Visitor(shop), Visitor(shop)
    order_id = alice.order("justifi_component")
    status, _, _ = mallory.request("POST", f"/orders/{order_id}/pay", {"payment_method_id": card_token(shop)})
    assert status == 404
    order = shop.order(order_id)
    assert (order["status"], order["paid_at"]) == ("pending", None)
    ledger = sandbox_json(shop, "/__sandbox/ledger")
    assert ledger["checkouts"][order["checkout_id"]]["completions"] == 0, "another session's POST completed the checkout"


def test_the_list_of_all_orders_needs_the_admin_password(shop):
    visitor = Visitor(shop)
    order_id = visitor.order("justifi_hosted")
    for headers in ({}, {"Authorization": "Basic " + base64.b64encode(b"admin:not-the-password").decode()}):
        status, answer_headers, body = visitor.request("GET", "/orders", headers=headers)
        assert status == 401 and answer_headers["WWW-Authenticate"].startswith("Basic ")
        assert "ord_" not in body
    good = base64.b64encode(f"admin:{shop.secrets['SHOP_ADMIN_PASSWORD']}".encode()).decode()
    status, _, body = Visitor(shop).request("GET", "/orders", headers={"Authorization": "Basic " + good})
    assert status == 200 and order_id in body


def test_a_refund_needs_the_admin_password_and_the_admin_sessions_token(shop):
    """The Refund form's POST: refused without the admin's credentials (401), and with them but
    without the token of the admin's session (403: a page of another site can make the browser
    send the credentials, not read the token); nothing is stored or sent."""
    visitor = Visitor(shop)
    order_id = visitor.order("justifi_hosted")
    form = {"refund_id": "ref_" + "0" * 32, "amount": "1.00"}
    assert visitor.request("POST", f"/orders/{order_id}/refund", {**form, "csrf": "x"})[0] == 401
    good = base64.b64encode(f"admin:{shop.secrets['SHOP_ADMIN_PASSWORD']}".encode()).decode()
    admin = Visitor(shop)
    for token in ({}, {"csrf": ""}, {"csrf": "0" * 64}):
        status, _, body = admin.request("POST", f"/orders/{order_id}/refund", {**form, **token},
                                        headers={"Authorization": "Basic " + good})
        assert status == 403 and "expired" in body, (token, status)
    assert shop.query("SELECT * FROM refunds WHERE order_id = ?", order_id) == []


def test_a_burst_of_order_page_loads_reads_the_provider_once(shop):
    """60 loads of an unpaid ReCharge order's page (what spent ReCharge's rate limit in issue
    18) make one provider read; another shopper's checkout afterwards still works."""
    visitor = Visitor(shop)
    order_id = visitor.order("recharge", "coffee-beans")
    token = shop.order(order_id)["checkout_id"]

    def reads():
        requests = sandbox_json(shop, "/__sandbox/ledger")["requests"]
        return sum(n for route, n in requests.items() if route.startswith("GET ") and token in route)

    before = reads()
    for _ in range(60):
        status, _, body = visitor.request("GET", f"/orders/{order_id}")
        assert status == 200 and "Payment pending" in body
    assert reads() - before == 1
    another = Visitor(shop)
    another.request("POST", "/cart/add", {"product": "coffee-beans"})
    status, headers, _ = another.request("POST", "/checkout", {"flow": "recharge"})
    assert status == 303 and headers["Location"].startswith(shop.sandbox + "/r/checkout/")


@pytest.mark.parametrize("path, form", [
    ("/cart/add", "product[]=chocolate-donut"),
    ("/cart/add", "product[x]=chocolate-donut"),
    ("/checkout", "flow[]=recharge"),
    ("/orders/ord_0000000000000000/pay", "payment_method_id[]=pm_1"),
])
def test_a_field_sent_as_a_list_is_refused_with_400(shop, path, form):
    visitor = Visitor(shop)
    visitor.request("POST", "/cart/add", {"product": "chocolate-donut"})
    assert visitor.request("POST", path, form)[0] == 400
    assert visitor.request("GET", "/cart?product[]=x")[0] == 400


def pool_account():
    """The user the PHP workers should run as: `storefront` when the shop runs as root."""
    return pwd.getpwnam("storefront") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())


def test_the_secrets_and_the_socket_are_closed_to_other_users(shop):
    account = pool_account()
    secrets = shop.server / "secrets.php"
    info = secrets.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o600, account.pw_uid)
    config = (shop.server / "php-fpm.conf").read_text()
    for value in (*shop.secrets.values(), "test_sandbox_client_secret", "test_recharge_token", "test_payfect_key"):
        assert value not in config, "a secret is in php-fpm.conf"
        assert value in secrets.read_text()

    socket = (shop.server / "php-fpm.sock").stat()
    assert stat.S_ISSOCK(socket.st_mode) and stat.S_IMODE(socket.st_mode) == 0o660
    assert socket.st_uid == account.pw_uid
    if os.geteuid() == 0:
        assert socket.st_gid == grp.getgrnam("www-data").gr_gid


def children(pid):
    """The real and effective uids of the processes whose parent is `pid`."""
    uids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = open(f"/proc/{entry}/status").read()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{pid}$", status, re.M):
            real, effective = re.search(r"^Uid:\s+(\d+)\s+(\d+)", status, re.M).groups()
            uids.append((int(real), int(effective)))
    return uids


def test_the_php_workers_do_not_run_as_root(shop):
    workers = children(int((shop.server / "php-fpm.pid").read_text()))
    uid = pool_account().pw_uid
    assert len(workers) == 4 and all(worker == (uid, uid) for worker in workers), workers
    if os.geteuid() == 0:
        assert uid != 0
        www = pwd.getpwnam("www-data").pw_uid
        nginx_workers = children(int((shop.server / "nginx.pid").read_text()))
        assert nginx_workers and all(worker == (www, www) for worker in nginx_workers), nginx_workers
