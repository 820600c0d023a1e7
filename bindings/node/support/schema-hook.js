'use strict';
// Loaded into every test process of the Node suite (`node --require ./support/schema-hook.js
// --test`: package.json's test script, scripts/test): every result a Client method returns or
// resolves to, and every CheckoutError one throws or rejects with, is checked against
// docs/contract.schema.json with ajv (a devDependency); a call whose output breaks the schema
// fails its test there. test/schema.test.js proves the hook is loaded and is no rubber stamp.

const fs = require('node:fs');
const path = require('node:path');
const Ajv2020 = require('ajv/dist/2020');
const { Client, CheckoutError } = require('..');

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'contract.schema.json'), 'utf8'));
// Formats (date-time) are checked by tests/schema.rs; ajv checks them only with ajv-formats.
const ajv = new Ajv2020({ allErrors: true, validateFormats: false });
ajv.addKeyword('x-operations');
ajv.addSchema(schema);

/** Each Client method (and its Sync twin) and the $def its result holds. */
const RESULTS = {
  create: 'checkout', get: 'checkout', complete: 'completion', redirectUrl: 'redirect_url',
  webComponentToken: 'web_component_token', refund: 'refund', refunds: 'refunds', void: 'void',
  verifyWebhook: 'webhook_event',
};
const validated = Object.fromEntries([...Object.values(RESULTS), 'error'].map((d) => [d, 0]));

/** Throws unless `value` holds `$defs/<definition>`. */
function check(definition, value) {
  const validate = ajv.getSchema(`${schema.$id}#/$defs/${definition}`);
  if (!validate(value)) {
    throw new Error(`${definition} breaks docs/contract.schema.json: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value)}`);
  }
  validated[definition] += 1;
}

/** The contract's error object behind a CheckoutError (the fields it keeps, unknown ones null). */
function errorObject(e) {
  const error = { status: e.status, code: e.code, message: e.message, retryable: e.retryable };
  const optional = { provider: 'provider', http_status: 'httpStatus', provider_code: 'providerCode',
    request_id: 'requestId', idempotency_key: 'idempotencyKey' };
  for (const [key, field] of Object.entries(optional)) {
    if (e[field] !== null && e[field] !== undefined) error[key] = e[field];
  }
  return { error };
}

function checked(e) {
  if (e instanceof CheckoutError) check('error', errorObject(e));
  return e;
}

for (const [method, definition] of Object.entries(RESULTS)) {
  const promised = Client.prototype[method];
  Client.prototype[method] = function (...args) {
    let pending;
    try {
      pending = promised.apply(this, args);
    } catch (e) {
      throw checked(e);
    }
    return pending.then((result) => { check(definition, result); return result; }, (e) => { throw checked(e); });
  };
  const sync = Client.prototype[`${method}Sync`];
  Client.prototype[`${method}Sync`] = function (...args) {
    let result;
    try {
      result = sync.apply(this, args);
    } catch (e) {
      throw checked(e);
    }
    check(definition, result);
    return result;
  };
}

globalThis[Symbol.for('storefront-checkout.schema-hook')] = { check, errorObject, validated };
