// checkout-sandbox's stand-in for JustiFi's <justifi-checkout> and <justifi-config-provider>.
//
// The real ones are the @justifi/webcomponents package (6.x on npm; JustiFi's CDN serves it at
// https://cdn.jsdelivr.net/npm/@justifi/webcomponents@latest/dist/webcomponents/webcomponents.esm.js,
// which this path mirrors). Files named below are of its dist/collection/. What this does as
// they do, and where it differs:
//
// <justifi-config-provider api-origin iframe-origin> (components/config-provider/
// justifi-config-provider.js, config-state.js): sets the origin of the API calls and of the
// card iframes; a component waits up to 200 ms for it (waitForConfig). JustiFi's defaults are
// https://wc-proxy.justifi.ai and https://components.justifi.ai; the stand-in's are the origin
// it is served from (the sandbox), so that nothing leaves the sandbox when a page omits it.
//
// <justifi-checkout auth-token checkout-id> (components/checkout/justifi-checkout.js and
// components/modular-checkout/justifi-modular-checkout.js):
// - on load, GET {api origin}/v1/checkouts/{id} (api/services/checkout.service.js
//   fetchCheckout); a checkout already `completed` or `expired` is an error-event
//   (checkout-already-completed, checkout-expired), a failed read an error-event
//   (fetch-error, or not-authenticated for the API's code not_authenticated:
//   api/services/utils.js getErrorCode);
// - every call with a token carries Authorization: Bearer <token>, a fresh 10-character
//   Idempotency-Key, Content-Type: application/json and Justifi-Web-Component-Version
//   (api/Api.js getAuthorizationHeader, utils/utils.js generateId), and no Sub-Account;
// - the card is typed into iframes from {iframe origin}/v2/<field>?tabId=... and tokenized by
//   a postMessage { eventType: 'tokenize', clientId, paymentMethodMetadata, account,
//   componentVersion } to the card number's iframe, whose answer's id is the payment token
//   (card-form.js, ui-components/form/iframe-input.js, utils/frame-comunication-service.js);
//   the sandbox serves such iframes (sandbox/assets/card-field.html);
// - Pay completes the checkout itself: POST {api origin}/v1/checkouts/{id}/complete with
//   { payment_mode: 'ecom', payment_token } (checkout.service.js complete); any 2xx answer,
//   a declined card's 201 included, is a submit-event whose detail is
//   { checkout: <the answer's data, the CheckoutCompletion>, message: 'Checkout completed
//   successfully' } (actions/checkout/checkout-actions.js makeCheckoutComplete); a refused
//   call is an error-event with errorCode complete-checkout-error;
// - error-event's detail is { message, errorCode, severity: 'error' } (api/ComponentError.js);
//   events bubble, are composed and cancelable (justifi-checkout.js `events`).
// Differences: JustiFi's element renders more (a summary, saved methods, bank accounts,
// billing fields, wallets) and sends analytics and an npm version check (api/Analytics.js,
// utils/check-pkg-version.js); the stand-in renders the card fields and a Pay button only. An
// invalid field stops the stand-in with the 'Validation error' event JustiFi's emits first
// (its submitCheckout goes on to tokenize and then emits another). JustiFi's fetch and
// complete error-events read `message` from an object that has none (makeGetCheckout and
// makeCheckoutComplete pass { error, code, severity }, justifi-modular-checkout.js emits
// error.message), so their message is undefined; the stand-in gives the API's message. The
// element declares a `loaded` event (detail { checkout_status }) that 6.x never emits; the
// stand-in does not emit it either. A page should not trust either element's submit-event
// detail: it reads the checkout from its server.
const SCRIPT_ORIGIN = new URL(import.meta.url).origin;
const VERSION = 'checkout-sandbox';
const CARD_FIELDS = ['cardNumber', 'expirationMonth', 'expirationYear', 'CVV'];

const config = { apiOrigin: SCRIPT_ORIGIN, iframeOrigin: SCRIPT_ORIGIN };
let configured;
const configReady = new Promise((resolve) => { configured = resolve; });
const waitForConfig = () => Promise.race([configReady, new Promise((r) => setTimeout(r, 200))]);

class JustifiConfigProvider extends HTMLElement {
  connectedCallback() {
    config.apiOrigin = this.getAttribute('api-origin') || config.apiOrigin;
    config.iframeOrigin = this.getAttribute('iframe-origin') || config.iframeOrigin;
    configured();
  }
}

function generateId(length = 10) {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let id = '';
  for (let i = 0; i < length; i++) id += chars.charAt(Math.floor(Math.random() * chars.length));
  return id;
}

// api/Api.js makeRequest: the body's error.message (or a string error), else the status.
async function request(method, path, token, body) {
  const response = await fetch(config.apiOrigin + '/v1/' + path, {
    method,
    headers: {
      Authorization: 'Bearer ' + token,
      'Idempotency-Key': generateId(),
      'Content-Type': 'application/json',
      'Justifi-Web-Component-Version': VERSION,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((parsed.error && parsed.error.message)
      || (typeof parsed.error === 'string' ? parsed.error : null)
      || parsed.message || 'Request failed: ' + response.status);
    error.code = parsed.error && parsed.error.code;
    throw error;
  }
  return parsed;
}

// Posts to one iframe and resolves with the data of the first answer of the same eventType.
function ask(frame, eventType, payload) {
  return new Promise((resolve) => {
    const listener = (event) => {
      if (event.source !== frame.contentWindow || !event.data || event.data.eventType !== eventType) return;
      window.removeEventListener('message', listener);
      resolve(event.data.data);
    };
    window.addEventListener('message', listener);
    frame.contentWindow.postMessage(Object.assign({ eventType }, payload), frame.src);
  });
}

class JustifiCheckout extends HTMLElement {
  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, cancelable: true, detail }));
  }

  error(message, errorCode) {
    this.alert.textContent = message || '';
    this.emit('error-event', { message, errorCode, severity: 'error' });
  }

  async connectedCallback() {
    await waitForConfig();
    const tabId = generateId(16);
    this.innerHTML =
      '<form class="justifi-checkout">' +
      CARD_FIELDS.map((f) => '<iframe name="' + f + '" title="' + f + '" style="border:1px solid #999;height:36px;width:100%" src="' +
        config.iframeOrigin + '/v2/' + f + '?tabId=' + tabId + '"></iframe>').join('') +
      '<button type="submit" disabled>Pay</button><p class="justifi-checkout-error" role="alert"></p></form>';
    this.alert = this.querySelector('[role=alert]');
    const form = this.querySelector('form');
    // Pay is enabled once the checkout is read and every field's page has loaded (JustiFi's
    // card form shows its fields once each has loaded, card-form.js isReady).
    const loaded = Promise.all([...form.querySelectorAll('iframe')].map((frame) =>
      new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }))));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.pay(form);
    });
    const token = this.getAttribute('auth-token');
    const checkoutId = this.getAttribute('checkout-id');
    if (!token || !checkoutId) {
      this.error('Not authenticated. Please provide a valid auth token, checkout id, and account id.', 'not-authenticated');
      return;
    }
    try {
      this.checkout = (await request('GET', 'checkouts/' + checkoutId, token)).data;
    } catch (error) {
      this.error(error.message, error.code === 'not_authenticated' ? 'not-authenticated' : 'fetch-error');
      return;
    }
    if (this.checkout.status === 'completed') {
      this.error('Checkout already completed. Please create a new checkout.', 'checkout-already-completed');
    } else if (this.checkout.status === 'expired') {
      this.error('Checkout expired. Please create a new checkout.', 'checkout-expired');
    } else {
      await loaded;
      form.querySelector('button').disabled = false;
    }
  }

  async pay(form) {
    const button = form.querySelector('button');
    if (button.disabled) return;
    button.disabled = true;
    this.alert.textContent = '';
    try {
      const frames = CARD_FIELDS.map((f) => form.querySelector('iframe[name=' + f + ']'));
      for (const frame of frames) {
        if (!(await ask(frame, 'validate')).isValid) {
          this.error('Validation error', 'validation-error');
          return;
        }
      }
      const tokenized = await ask(frames[0], 'tokenize', {
        clientId: this.getAttribute('auth-token'),
        paymentMethodMetadata: { accountId: this.checkout.account_id },
        account: this.checkout.account_id,
        componentVersion: VERSION,
      });
      if (tokenized.error) {
        this.error(tokenized.error.message, 'tokenize-error');
        return;
      }
      let completion;
      try {
        completion = await request('POST', 'checkouts/' + this.getAttribute('checkout-id') + '/complete',
          this.getAttribute('auth-token'), { payment_mode: 'ecom', payment_token: tokenized.id });
      } catch (error) {
        this.error(error.message, 'complete-checkout-error');
        return;
      }
      this.emit('submit-event', { checkout: completion.data, message: 'Checkout completed successfully' });
    } finally {
      button.disabled = false;
    }
  }
}

if (!customElements.get('justifi-config-provider')) {
  customElements.define('justifi-config-provider', JustifiConfigProvider);
}
if (!customElements.get('justifi-checkout')) {
  customElements.define('justifi-checkout', JustifiCheckout);
}
