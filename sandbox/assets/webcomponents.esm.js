// checkout-sandbox's stand-in for JustiFi's <justifi-checkout> web component.
//
// The real one is the @justifi/webcomponents package, loaded from
// https://cdn.jsdelivr.net/npm/@justifi/webcomponents@latest/dist/webcomponents/webcomponents.esm.js
// (this path mirrors dist/webcomponents/webcomponents.esm.js). Seed 001 renders it as
//   <justifi-checkout auth-token="<web component token>" checkout-id="cho_..."></justifi-checkout>
// with a token holding write:checkout:{checkout id} and write:tokenize:{sub account}.
//
// Where the stand-in differs, on purpose: it only tokenizes the card (POST /v1/payment_methods
// with the web component token, as the sandbox's tokenizer allows) and hands the payment
// method id to the page, which has the storefront call checkout_complete. JustiFi's component
// tokenizes inside its own iframe and completes the checkout itself. Either way it emits
// `submit-event` (justifi-tech's component examples listen for it; seed 001 names the event
// `submitted`, an older name) and `error-event`; the stand-in's submit-event detail is
// { payment_method_id: "pm_..." }, the real one's is the completion, so a page should read the
// checkout afterwards rather than trust either.
const API_ORIGIN = new URL(import.meta.url).origin;

class JustifiCheckout extends HTMLElement {
  connectedCallback() {
    const expiry = String(new Date().getFullYear() + 3);
    this.innerHTML =
      '<form class="justifi-checkout">' +
      '<label>Card number <input name="card_number" autocomplete="cc-number" inputmode="numeric" ' +
      'value="4242424242424242"></label> ' +
      '<button type="submit">Pay</button>' +
      '<p class="justifi-checkout-error" role="alert"></p></form>';
    const form = this.querySelector('form');
    const alert = this.querySelector('[role=alert]');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button');
      button.disabled = true;
      alert.textContent = '';
      const card = { number: form.card_number.value, month: '12', year: expiry, verification: '123' };
      try {
        const response = await fetch(API_ORIGIN + '/v1/payment_methods', {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Authorization: 'Bearer ' + this.getAttribute('auth-token'),
          },
          body: JSON.stringify({ payment_method: { card } }),
        });
        const body = await response.json();
        if (!response.ok) {
          throw new Error((body.error && body.error.message) || 'The card could not be tokenized.');
        }
        this.dispatchEvent(new CustomEvent('submit-event', {
          bubbles: true,
          detail: { payment_method_id: body.data.id },
        }));
      } catch (error) {
        alert.textContent = error.message;
        button.disabled = false;
        this.dispatchEvent(new CustomEvent('error-event', {
          bubbles: true,
          detail: { message: error.message },
        }));
      }
    });
  }
}

if (!customElements.get('justifi-checkout')) {
  customElements.define('justifi-checkout', JustifiCheckout);
}
