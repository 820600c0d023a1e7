"""fork() after the client has pooled a connection, as PHP-FPM and gunicorn workers do: the
parent and the child both succeed, the child on a connection of its own."""

import json
import os
import ssl
import urllib.request

from conftest import http


def connections(sandbox_url):
    return http("GET", f"{sandbox_url}/__sandbox/ledger")[1]["connections"]


def test_parent_and_child_succeed_on_separate_connections(justifi, sandbox_url):
    checkout = justifi.create({"amount": 1799, "description": "One Chocolate Donut"})
    before = connections(sandbox_url)
    pid = os.fork()
    if pid == 0:
        try:
            ok = all(justifi.get(checkout["id"])["id"] == checkout["id"] for _ in range(20))
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(2)
    parent_ok = all(justifi.get(checkout["id"])["id"] == checkout["id"] for _ in range(20))
    _, status = os.waitpid(pid, 0)
    assert parent_ok
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the child's calls failed"
    after = connections(sandbox_url)
    assert after - before >= 2, "the child opened its own connection (plus this ledger read)"


def read_in_a_child_then_in_the_parent(config, checkout_id):
    """A forked child reads the checkout with a client made after the fork; then the parent
    reads it with a new client of its own."""
    from storefront_checkout import Client

    pid = os.fork()
    if pid == 0:
        try:
            with Client(config) as child:
                os._exit(0 if child.get(checkout_id)["id"] == checkout_id else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the child's call failed"
    with Client(config) as parent:
        assert parent.get(checkout_id)["id"] == checkout_id


def test_a_child_opens_its_own_connection_for_a_client_made_after_fork(sandbox_url):
    """Clients with equal settings share the process's pool (the PHP-FPM habit of a client
    per request); a client made in a forked child must not use the parent's pooled socket."""
    from conftest import justifi_config
    from storefront_checkout import Client

    config = justifi_config(sandbox_url)
    with Client(config) as warm:
        checkout = warm.create({"amount": 1799, "description": "One Chocolate Donut"})
    before = connections(sandbox_url)
    read_in_a_child_then_in_the_parent(config, checkout["id"])
    after = connections(sandbox_url)
    assert after - before == 2, "the child's own connection and this ledger read; the parent reused its own"


def test_over_https_a_child_opens_and_handshakes_its_own_connection(https_sandbox):
    """The same over HTTPS: the child's client handshakes on a connection of its own; the
    parent's next client reuses the parent's pooled TLS connection (no new handshake)."""
    from conftest import justifi_config
    from storefront_checkout import Client

    url, ca = https_sandbox
    context = ssl.create_default_context(cafile=ca)

    def counters():  # each read is a connection and a full handshake of its own
        with urllib.request.urlopen(f"{url}/__sandbox/counters", context=context) as resp:
            return json.load(resp)

    config = dict(justifi_config(url), ca_bundle_path=ca)
    with Client(config) as warm:
        checkout = warm.create({"amount": 1799, "description": "One Chocolate Donut"})
    before = counters()
    read_in_a_child_then_in_the_parent(config, checkout["id"])
    after = counters()
    assert after["connections"] - before["connections"] == 2, "the child's connection and this read"
    assert after["tls_handshakes"] - before["tls_handshakes"] == 2, "the child's handshake and this read's"


def test_a_child_forked_during_a_token_fetch_fetches_its_own(sandbox_url):
    """A thread of the parent is inside the token fetch (the sandbox holds it for 2 s) when
    the process forks: the child, which has no such thread, must not wait for it forever."""
    import threading
    import time

    from conftest import justifi_config
    from storefront_checkout import Client

    # localhost rather than 127.0.0.1: credentials of an origin no other test has a token for.
    config = dict(justifi_config(sandbox_url.replace("127.0.0.1", "localhost")), deadline_ms=5000)
    http("POST", f"{sandbox_url}/__sandbox/faults", {"route": "POST /oauth/token", "delay_ms": 2000, "times": 1})
    grants = http("GET", f"{sandbox_url}/__sandbox/ledger")[1]["requests"].get("POST /oauth/token", 0)
    parent = Client(config)
    fetching = threading.Thread(target=lambda: parent.create({"amount": 1799, "description": "x"}))
    fetching.start()
    while http("GET", f"{sandbox_url}/__sandbox/ledger")[1]["requests"].get("POST /oauth/token", 0) == grants:
        time.sleep(0.01)
    forked_at = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            checkout = Client(config).create({"amount": 1799, "description": "in the child"})
            os._exit(0 if checkout["status"] == "open" else 1)
        except BaseException:
            os._exit(2)
    deadline = time.monotonic() + 15
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    child_took = time.monotonic() - forked_at
    fetching.join()
    print(f"child forked during a token fetch: its own token and checkout in {child_took * 1000:.0f} ms")
    assert status is not None and os.WIFEXITED(status), "the child hung on the parent's token fetch"
    assert os.WEXITSTATUS(status) == 0, "the child's call failed"
