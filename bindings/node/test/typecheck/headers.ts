// Type-checked by scripts/typecheck (tsc --strict), never run: a webhook endpoint on Node's own
// http server passes `req.headers` (IncomingHttpHeaders, values possibly undefined) as it is,
// and a handler reads the generated event type; a typo'd key in either would not compile.
import { createServer } from 'node:http';
import { Client, WebhookEvent, WebhookEventType } from 'storefront-checkout';

const client = new Client({ provider: 'justifi', webhook_secrets: ['sigk_test'] });

function paid(event: WebhookEvent): string | null {
  const kinds: WebhookEventType[] = ['payment.succeeded', 'checkout.completed'];
  return kinds.includes(event.type) ? event.checkout_id ?? event.object_id : null;
}

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    client
      .verifyWebhook(req.headers, Buffer.concat(chunks))
      .then((event) => res.end(paid(event) ?? event.refund?.payment_id ?? ''))
      .catch(() => {
        res.statusCode = 400;
        res.end();
      });
  });
});

const sync: WebhookEvent = client.verifyWebhookSync(req(), '{}');
function req(): import('node:http').IncomingHttpHeaders {
  return { 'justifi-signature': 'ab', 'set-cookie': ['a', 'b'] };
}
console.log(sync.provider_type);
