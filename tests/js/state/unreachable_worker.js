// The gateway worker with its Durable Object made unreachable on demand, for
// tests/js/gateway_state_down.test.js only (never shipped). `POST /__state_mode/<mode>` sets how
// every state op behaves from then on: "up" (the real SWITCHYARD_STATE object), "down" (the
// object answers 500) or "slow" (it never answers: the driver's stateTimeoutMs ends the wait).
// Every other request goes to the gateway, with SWITCHYARD_STATE wrapped accordingly.
import gateway, { SwitchyardState } from '../../../worker/src/index.js';

export { SwitchyardState };

let mode = 'up';

function wrapped(namespace) {
  return {
    idFromName: (name) => namespace.idFromName(name),
    get(id) {
      const stub = namespace.get(id);
      return {
        fetch(input, init) {
          if (mode === 'down') return Promise.resolve(new Response('{"error":"down for a test"}', { status: 500 }));
          if (mode === 'slow') return new Promise(() => {});
          return stub.fetch(input, init);
        },
      };
    },
  };
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname.startsWith('/__state_mode/')) {
      mode = url.pathname.slice('/__state_mode/'.length);
      return new Response(mode);
    }
    return gateway.fetch(request, { ...env, SWITCHYARD_STATE: wrapped(env.SWITCHYARD_STATE) }, ctx);
  },
};
