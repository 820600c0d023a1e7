"""A storefront's webhook endpoint in Python: receives provider deliveries, verifies them
through the library, and prints the events it trusts.

    python3 examples/webhook_endpoint.py PORT JUSTIFI_SECRET RECHARGE_SECRET PAYFECT_FERNET_KEY

POST /justifi, /recharge and /payfect; answers 200 for a verified event (printing
``verified <provider> <type> <object_id> <payment_status>``) and 400 otherwise (printing
``rejected <provider> <reason>``). Prints ``listening on http://127.0.0.1:PORT`` first."""

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from storefront_checkout import Client, SignatureError

port, justifi_secret, recharge_secret, payfect_key = int(sys.argv[1]), *sys.argv[2:5]
NOWHERE = "http://127.0.0.1:9"
clients = {
    "justifi": Client({"provider": "justifi", "base_url": NOWHERE, "client_id": "-", "client_secret": "-",
                       "sub_account": "-", "webhook_secrets": [justifi_secret]}),
    "recharge": Client({"provider": "recharge", "base_url": NOWHERE, "api_token": "-",
                        "webhook_secrets": [recharge_secret]}),
    "payfect": Client({"provider": "payfect", "base_url": NOWHERE, "api_key": "-", "webhook_secrets": [payfect_key]}),
}

_output = threading.Lock()


def say(line):
    """One line to stdout; deliveries are handled on threads of their own, so lines must not interleave."""
    with _output:
        print(line, flush=True)


class Webhooks(BaseHTTPRequestHandler):
    def do_POST(self):
        provider = self.path.strip("/")
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        client = clients.get(provider)
        try:
            if client is None:
                raise SignatureError({"status": 14, "message": f"no endpoint /{provider}"})
            event = client.verify_webhook(dict(self.headers.items()), body)
        except SignatureError as e:
            say(f"rejected {provider} {e.message}")
            self.send_response(400)
        else:
            say(f"verified {provider} {event['type']} {event['object_id']} {event['payment_status']}")
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Webhooks)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
