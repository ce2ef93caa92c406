// The gateway worker with one test route added, for tests/js/state_*.test.js only (never shipped):
// `POST /__state/<object name>` sends its body as one pool operation through `stateClient`, the
// same `host.state` worker/src/index.js hands the driver, and answers the object's JSON text (200),
// or 502 with the error when the client rejected (a non-2xx answer of the object).
// `<any method> /__state_raw/<object name>/<path>` hands the request to the object as it is
// (its answer unchanged: the object's own 400 / 404 / 405). Every other request goes to the gateway.
import gateway, { SwitchyardState } from '../../../worker/src/index.js';
import { stateClient } from '../../../worker/src/state_object.js';

export { SwitchyardState };

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname.startsWith('/__state/')) {
      const name = decodeURIComponent(url.pathname.slice('/__state/'.length));
      try {
        const text = await stateClient(env.SWITCHYARD_STATE)(name, await request.text());
        return new Response(text, { headers: { 'content-type': 'application/json' } });
      } catch (error) {
        return new Response(JSON.stringify({ error: error.message }), { status: 502, headers: { 'content-type': 'application/json' } });
      }
    }
    if (url.pathname.startsWith('/__state_raw/')) {
      const [name, ...rest] = url.pathname.slice('/__state_raw/'.length).split('/');
      const ns = env.SWITCHYARD_STATE;
      return ns.get(ns.idFromName(decodeURIComponent(name))).fetch(`https://state/${rest.join('/')}`, {
        method: request.method,
        body: request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text(),
      });
    }
    return gateway.fetch(request, env, ctx);
  },
};
