// The floor of the gateway benchmarks: a workerd worker that forwards every request to one
// upstream and returns its answer untouched (what any worker pays to proxy). Used by
// bench/gateway_bench.mjs and bench/gateway_profile.mjs.
import fs from 'node:fs';
import path from 'node:path';

const WORKER = `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname + url.search, request);
  },
};
`;

/**
 * Writes the bare proxy (bare.js) and its workerd config (bare.capnp, listening on 127.0.0.1:0)
 * into `dir`, forwarding to `upstream` (scheme, host and port: the request's path is appended),
 * with workerd's `v8Flags` (strings, as worker/gateway.mjs gives the gateway). Returns the
 * config's path.
 */
export function writeBareProxy(dir, upstream, v8Flags = []) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'bare.js'), WORKER);
  const file = path.join(dir, 'bare.capnp');
  fs.writeFileSync(
    file,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (${v8Flags.length ? `\n  v8Flags = [${v8Flags.map((f) => JSON.stringify(f)).join(', ')}],` : ''}
  services = [(name = "main", worker = .bare), (name = "upstream", network = (allow = ["local", "private"]))],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const bare :Workerd.Worker = (
  modules = [(name = "bare.js", esModule = embed "bare.js")],
  compatibilityDate = "2025-06-01",
  bindings = [(name = "UPSTREAM", text = ${JSON.stringify(upstream)})],
  globalOutbound = "upstream",
);
`,
  );
  return file;
}
