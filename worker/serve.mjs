// Runs the edge gateway on workerd: `node worker/serve.mjs` (what `./dev start` ends with).
//
//   SWITCHYARD_CONFIG  path to a config JSON (default worker/default-config.json)
//   SWITCHYARD_PORT    port on 127.0.0.1 (default 8787)
//   SWITCHYARD_HOST    listen address (default 127.0.0.1)
//   SWITCHYARD_WASM    the core to run (default worker/dist/switchyard.wasm)
//   SWITCHYARD_GATEWAY_DIR  where the generated workerd config goes (default build/gateway): one
//                      per process, when several run from one checkout
//   SWITCHYARD_CACHE_DIR  a directory for the persistent cache tier (a KV namespace bound as
//                      SWITCHYARD_CACHE, on workerd's bundled KV worker); unset: L1 only
//   SWITCHYARD_STATE_DIR  where the shared state's Durable Objects (budgets spent, rate and
//                      concurrency pools) are stored (default build/state); set but empty: for
//                      the life of the process only
//   SWITCHYARD_CLUSTER_*  join a workerd cluster sharing those objects through a bucket:
//                      BUCKET, BUCKET_OPTIONS, ADDRESS, ADVERTISE, KEY or KEY_FILE,
//                      STOP_TIMEOUT_MS (worker/gateway.mjs clusterFromEnv; docs/deploy.md)
//
// Keys written as "env:NAME" in the config are read from this process's environment.
// Exits with workerd's exit code; SIGINT / SIGTERM stop workerd first.
import { clusterFromEnv, DEFAULT_STATE_DIR, startGateway, GatewayError } from './gateway.mjs';

const port = Number(process.env.SWITCHYARD_PORT ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`switchyard: SWITCHYARD_PORT must be a port number, got ${JSON.stringify(process.env.SWITCHYARD_PORT)}`);
  process.exit(2);
}
const host = process.env.SWITCHYARD_HOST || '127.0.0.1';

let gateway;
try {
  const stateDir = process.env.SWITCHYARD_STATE_DIR ?? DEFAULT_STATE_DIR;
  gateway = await startGateway({
    configPath: process.env.SWITCHYARD_CONFIG || undefined,
    port,
    host,
    wasmPath: process.env.SWITCHYARD_WASM || undefined,
    outDir: process.env.SWITCHYARD_GATEWAY_DIR || undefined,
    kvDir: process.env.SWITCHYARD_CACHE_DIR || undefined,
    stateDir: stateDir || undefined,
    cluster: clusterFromEnv(process.env) ?? undefined,
    stdio: 'inherit',
    // Joining a cluster waits for the bucket and, after a crash, for the old lease to lapse.
    timeoutMs: 90000,
  });
} catch (error) {
  console.error(`switchyard: ${error instanceof GatewayError ? error.message : error.stack}`);
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => gateway.child.kill(signal));
}
console.log(`Switchyard gateway on ${gateway.url}`);
if (gateway.clusterUrl) console.log(`Cluster instance on ${gateway.clusterUrl} (readiness: GET ${gateway.clusterUrl}/ready)`);
process.exit(await gateway.exited);
