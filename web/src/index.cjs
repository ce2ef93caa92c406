// switchyard: the CommonJS entry (require('switchyard') in Node; types in index.d.cts). The
// package is made of ES modules: createSwitchyard loads the Node entry (node.js) with import()
// and is asynchronous anyway. The lower-level exports (createDriver, loadEmscriptenCore,
// openFsTier…) are the ES module's: `await import('switchyard')`.
'use strict';

let entry = null;
function loadEntry() {
  entry ??= import('./node.js');
  return entry;
}

// SwitchyardError is the ES module's class itself where Node can require() an ES module
// (20.19+, 22.12+): instanceof and construction are then exactly the ES entry's. Elsewhere a
// stand-in whose instanceof also recognises the errors the package throws.
let SwitchyardError;
try {
  ({ SwitchyardError } = require('./errors.js'));
} catch {
  let thrown = null; // the ES module's class, once createSwitchyard loaded it
  SwitchyardError = class SwitchyardError extends Error {
    constructor(message, { status = 500, type = 'server_error', code = null, param = null, metadata = {}, headers = {}, cause } = {}) {
      super(message, cause === undefined ? undefined : { cause });
      this.name = 'SwitchyardError';
      Object.assign(this, { status, type, code, param, metadata, headers });
    }

    static [Symbol.hasInstance](value) {
      return (thrown !== null && value instanceof thrown) || Function.prototype[Symbol.hasInstance].call(this, value);
    }

    static _adopt(esmClass) {
      thrown = esmClass;
    }
  };
}

/** SPEC section 5: the same as the ES module's createSwitchyard (options and answers in index.d.ts). */
async function createSwitchyard(options) {
  const esm = await loadEntry();
  if (esm.SwitchyardError !== SwitchyardError) SwitchyardError._adopt(esm.SwitchyardError);
  return esm.createSwitchyard(options);
}

module.exports = { createSwitchyard, SwitchyardError };
