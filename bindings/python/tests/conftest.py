"""Fixtures: the sandbox binary on a free loopback port, and clients for each provider."""

import functools
import inspect
import json
import os
import subprocess
import urllib.request
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[3]
# The library under test: the one STOREFRONT_CHECKOUT_LIB names (scripts/test exports it), else
# this checkout's debug build. The binding looks nowhere else (SECURITY.md), so the suite says it.
os.environ.setdefault("STOREFRONT_CHECKOUT_LIB", str(REPO / "target" / "debug" / "libstorefront_checkout.so"))

from storefront_checkout import AsyncClient, CheckoutError, Client  # noqa: E402  (after the library's path is set)
SANDBOX_BIN = Path(os.environ.get("CHECKOUT_SANDBOX_BIN", REPO / "target" / "debug" / "checkout-sandbox"))


SCHEMA = json.loads((REPO / "docs" / "contract.schema.json").read_text(encoding="utf-8"))
# Each method of Client and AsyncClient, and the $def of docs/contract.schema.json its result holds.
RESULTS = {
    "create": "checkout", "get": "checkout", "complete": "completion", "redirect_url": "redirect_url",
    "web_component_token": "web_component_token", "refund": "refund", "refunds": "refunds", "void": "void",
    "verify_webhook": "webhook_event",
}
VALIDATED = {name: 0 for name in [*RESULTS.values(), "error"]}


@functools.lru_cache(maxsize=None)
def _validator(definition):
    return jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{definition}"})


def schema_problems(definition, value):
    """What in ``value`` breaks ``$defs/<definition>`` of the contract's schema (none: [])."""
    validator = _validator(definition)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


def check_schema(definition, value):
    problems = schema_problems(definition, value)
    assert not problems, f"{definition} breaks docs/contract.schema.json: {problems} in {value!r}"
    VALIDATED[definition] += 1


def _checked(method, definition):
    if inspect.iscoroutinefunction(method):
        @functools.wraps(method)
        async def checked_async(*args, **kwargs):
            result = await method(*args, **kwargs)
            check_schema(definition, result)
            return result
        return checked_async

    @functools.wraps(method)
    def checked(*args, **kwargs):
        result = method(*args, **kwargs)
        check_schema(definition, result)
        return result
    return checked


@pytest.fixture(scope="session", autouse=True)
def results_hold_the_schema():
    """For the whole run: every result a Client or AsyncClient returns, and every error object
    behind a CheckoutError (the library's, and those the binding makes itself), is checked
    against docs/contract.schema.json; a test whose call gives anything else fails there."""
    patch = pytest.MonkeyPatch()
    for cls in (Client, AsyncClient):
        for method, definition in RESULTS.items():
            patch.setattr(cls, method, _checked(getattr(cls, method), definition))
    init = CheckoutError.__init__

    def checked_init(self, error):
        check_schema("error", {"error": dict(error)})
        init(self, error)
    patch.setattr(CheckoutError, "__init__", checked_init)
    yield VALIDATED
    patch.undo()


@pytest.fixture(scope="session")
def sandbox_url():
    proc = subprocess.Popen([str(SANDBOX_BIN), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("checkout-sandbox listening on "), line
        yield line.rsplit(" ", 1)[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def https_sandbox(tmp_path_factory):
    """The sandbox serving HTTPS (`--tls-ca-out`): its URL and the PEM file of its CA."""
    ca = tmp_path_factory.mktemp("sandbox-tls") / "ca.pem"
    proc = subprocess.Popen([str(SANDBOX_BIN), "--port", "0", "--tls-ca-out", str(ca)], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("checkout-sandbox listening on https://"), line
        yield line.rsplit(" ", 1)[1], str(ca)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Tests talk only to the sandbox: a redirect to a storefront URL is reported, not followed."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(method, url, body=None, token=None, headers=None):
    """A request to the sandbox: the status and the decoded JSON body."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with _opener.open(req) as resp:
            return resp.status, _decode(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, _decode(e.read())


def _decode(raw):
    """JSON answers as values; pages and empty bodies as text."""
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return raw.decode("utf-8", "replace")


def justifi_config(base):
    return {"provider": "justifi", "base_url": base, "hosted_base_url": base,
            "client_id": "test_sandbox_client_id", "client_secret": "test_sandbox_client_secret",
            "sub_account": "acc_5Et9iXrSSAZR2KSouQGAWi"}


@pytest.fixture
def justifi(sandbox_url):
    with Client(justifi_config(sandbox_url)) as client:
        yield client


@pytest.fixture
def recharge(sandbox_url):
    with Client({"provider": "recharge", "base_url": sandbox_url, "hosted_base_url": sandbox_url,
                 "api_token": "test_recharge_token"}) as client:
        yield client


@pytest.fixture
def payfect(sandbox_url):
    with Client({"provider": "payfect", "base_url": sandbox_url, "api_key": "test_payfect_key"}) as client:
        yield client


@pytest.fixture
def tokenize(sandbox_url):
    """Tokenizes a test card, as JustiFi's web component does: ``pm_...``."""
    def make(number="4242424242424242"):
        _, grant = http("POST", f"{sandbox_url}/oauth/token",
                        {"client_id": "test_sandbox_client_id", "client_secret": "test_sandbox_client_secret"})
        status, pm = http("POST", f"{sandbox_url}/v1/payment_methods",
                          {"payment_method": {"card": {"number": number}}}, grant["access_token"],
                          {"Sub-Account": "acc_5Et9iXrSSAZR2KSouQGAWi"})
        assert status == 201, pm
        return pm["data"]["id"]
    return make
