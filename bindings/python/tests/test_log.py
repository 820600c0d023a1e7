"""The `log` configuration key: one JSON line per HTTP attempt on stderr, with the operation,
method, path, status, milliseconds, attempt, request id and idempotency key; never a secret,
a token or a card number. Off by default."""

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    from storefront_checkout import Client, NotFoundError
    sys.path.insert(0, sys.argv[3])
    from conftest import justifi_config
    config = dict(justifi_config(sys.argv[1]), log=sys.argv[2] == "on")
    with Client(config) as client:
        checkout = client.create({"amount": 1799, "description": "One Chocolate Donut"})
        client.complete({"checkout_id": checkout["id"], "payment_token": sys.argv[4], "idempotency_key": "order-log-" + sys.argv[2]})
        try:
            client.get("cho_missing")
        except NotFoundError:
            pass
""")


def run(sandbox_url, tokenize, mode):
    tests = str(__import__("pathlib").Path(__file__).parent)
    card = tokenize()
    done = subprocess.run([sys.executable, "-c", SCRIPT, sandbox_url, mode, tests, card],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stderr, card


def test_each_attempt_is_one_json_line_without_secrets(sandbox_url, tokenize):
    stderr, card = run(sandbox_url, tokenize, "on")
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert [(l["operation"], l["method"], l["path"], l["status"]) for l in lines] == [
        ("checkout_create", "POST", "/oauth/token", 200),
        ("checkout_create", "POST", "/v1/checkouts", 201),
        ("checkout_complete", "POST", lines[2]["path"], 201),
        ("checkout_get", "GET", "/v1/checkouts/cho_missing", 404),
    ]
    assert lines[2]["path"].endswith("/complete") and lines[2]["idempotency_key"] == "order-log-on"
    assert all(l["storefront_checkout"] == "http_attempt" and l["attempt"] == 1 and l["ms"] >= 0 for l in lines)
    assert lines[3]["request_id"].startswith("req_")
    for secret in ["test_sandbox_client_secret", card, "4242424242424242", "Bearer", "tok_"]:
        assert secret not in stderr, f"{secret} in the log"


def test_logging_is_off_by_default(sandbox_url, tokenize):
    stderr, _ = run(sandbox_url, tokenize, "off")
    assert stderr == ""
