// The driver's host.fetchWhole (web/src/driver.js) over fetch(), for the edge worker: a FETCH the
// core does not stream (flags bit0 clear) is answered in one piece, the upstream's body read
// with one arrayBuffer() instead of a reader loop. The core still decides everything: it times
// the attempt out (an abort of `signal` also stops reading the body), retries, caches.
import { headersToText, textToHeaders } from '../../web/src/driver.js';

/**
 * @param {typeof fetch} fetchImpl
 * @returns {(url: string, init: { method: string, headers: string, body?: Uint8Array,
 *   signal: AbortSignal }) => Promise<{ status: number, headers: string, body: Uint8Array }>}
 */
export function createFetchWhole(fetchImpl) {
  return async function fetchWhole(url, { method, headers, body, signal }) {
    const init = { method, headers: textToHeaders(headers), signal };
    if (body !== undefined) init.body = body;
    const response = await fetchImpl(url, init);
    const data = await response.arrayBuffer();
    return { status: response.status, headers: headersToText(response.headers), body: new Uint8Array(data) };
  };
}
