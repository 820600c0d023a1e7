"""fork() after the client has pooled a connection, as PHP-FPM and gunicorn workers do: the
parent and the child both succeed, the child on a connection of its own."""

import os

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
