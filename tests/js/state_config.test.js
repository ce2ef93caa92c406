// How worker/gateway.mjs writes the shared state and cluster parts of the workerd config:
// the Durable Object namespace SWITCHYARD_STATE and its storage, the cluster member from
// SWITCHYARD_CLUSTER_* (clusterFromEnv), and a clear error for every bad setting.
// Writes configs only (no workerd); needs worker/dist/switchyard.wasm (the env names).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { clusterFromEnv, GatewayError, writeWorkerdConfig } from '../../worker/gateway.mjs';

const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-state-config-'));
const configText = fs.readFileSync(new URL('../../worker/default-config.json', import.meta.url), 'utf8');
const KEY = 'k'.repeat(64);
let n = 0;

function write(options) {
  const outDir = path.join(tmp, `gw${++n}`);
  const file = writeWorkerdConfig({ configText, outDir, address: '127.0.0.1:0', wasmPath, demosDir: null, ...options });
  return { text: fs.readFileSync(file, 'utf8'), file, outDir };
}

const cluster = (fields = {}) => ({ bucket: 's3://b/p', bucketOptions: ['aws_region=auto'], address: '127.0.0.1:7000', key: KEY, ...fields });

describe('the shared state in the generated workerd config', () => {
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('a state dir: the namespace on a disk service there, bound as SWITCHYARD_STATE', () => {
    const dir = path.join(tmp, 'state');
    const { text } = write({ stateDir: dir });
    assert.match(text, /\(name = "SWITCHYARD_STATE", durableObjectNamespace = \(className = "SwitchyardState", serviceName = "main"\)\)/);
    assert.match(text, /durableObjectNamespaces = \[\(className = "SwitchyardState", uniqueKey = "switchyard-state", enableSql = true\)\]/);
    assert.match(text, /durableObjectStorage = \(localDisk = "state-disk"\)/);
    assert.ok(text.includes(`(name = "state-disk", disk = (path = ${JSON.stringify(dir)}, writable = true))`));
    assert.ok(fs.existsSync(dir));
    assert.doesNotMatch(text, /cluster = \(/);
  });

  test('no state dir: a folder of the output dir, emptied at every start; false: no namespace', () => {
    const first = write({});
    const dir = path.join(first.outDir, 'ephemeral-state');
    assert.ok(first.text.includes(`disk = (path = ${JSON.stringify(dir)}, writable = true)`));
    fs.writeFileSync(path.join(dir, 'left-over'), 'x');
    writeWorkerdConfig({ configText, outDir: first.outDir, address: '127.0.0.1:0', wasmPath, demosDir: null });
    assert.deepEqual(fs.readdirSync(dir), []);
    const none = write({ stateDir: false });
    assert.doesNotMatch(none.text, /SWITCHYARD_STATE|durableObjectNamespaces|state-disk/);
  });

  test('two isolates: a second worker on its own socket binds the first one\'s namespace', () => {
    const { text } = write({ stateDir: path.join(tmp, 'iso'), isolates: 2 });
    assert.match(text, /\(name = "main-2", worker = \.gateway2\)/);
    assert.match(text, /\(name = "http-2", address = "127\.0\.0\.1:0", http = \(\), service = "main-2"\)/);
    assert.equal(text.match(/durableObjectNamespaces/g).length, 1, 'one namespace');
    assert.equal(text.match(/name = "SWITCHYARD_STATE"/g).length, 2, 'bound by both');
  });

  test('a cluster: the cluster member, KV blobs in the bucket, a config only its owner reads', () => {
    const { text, file } = write({ stateDir: path.join(tmp, 'c'), kvDir: path.join(tmp, 'kv'), cluster: cluster({ timeDivisor: 4, stopTimeoutMs: 9000, advertise: '10.0.0.1:7000' }) });
    assert.ok(text.includes(`cluster = (
    bucket = "s3://b/p",
    bucketOptions = ["aws_region=auto"],
    address = "127.0.0.1:7000",
    advertise = "10.0.0.1:7000",
    key = "${KEY}",
    stopTimeoutMs = 9000,
    unsafeTimeDivisor = 4,
  ),`), text);
    assert.match(text, /\(name = "kv-blobs", bucket = \(path = "kv-blobs"\)\)/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  test('bad cluster settings are refused, naming the variable', () => {
    const cases = [
      [{ bucket: 'http://b' }, /SWITCHYARD_CLUSTER_BUCKET\) must be s3:\/\/bucket\/prefix or gs:\/\/bucket\/prefix/],
      [{ address: undefined }, /SWITCHYARD_CLUSTER_ADDRESS.*is missing/],
      [{ key: 'short' }, /SWITCHYARD_CLUSTER_KEY or SWITCHYARD_CLUSTER_KEY_FILE\) must be at least 32 bytes/],
    ];
    for (const [fields, message] of cases) {
      assert.throws(() => write({ stateDir: path.join(tmp, 'bad'), cluster: cluster(fields) }), (e) => e instanceof GatewayError && message.test(e.message));
    }
    assert.throws(() => write({ cluster: cluster() }), /give it a state directory \(SWITCHYARD_STATE_DIR\)/);
  });

  test('clusterFromEnv reads SWITCHYARD_CLUSTER_*', () => {
    assert.equal(clusterFromEnv({}), null);
    const keyFile = path.join(tmp, 'cluster.key');
    fs.writeFileSync(keyFile, `${KEY}\n`);
    assert.deepEqual(clusterFromEnv({
      SWITCHYARD_CLUSTER_BUCKET: 's3://b/p',
      SWITCHYARD_CLUSTER_BUCKET_OPTIONS: 'aws_endpoint=http://127.0.0.1:9000, aws_region=us-east-1,,',
      SWITCHYARD_CLUSTER_ADDRESS: '10.0.0.1:7000',
      SWITCHYARD_CLUSTER_KEY_FILE: keyFile,
      SWITCHYARD_CLUSTER_STOP_TIMEOUT_MS: '12000',
      SWITCHYARD_CLUSTER_TIME_DIVISOR: '5',
    }), {
      bucket: 's3://b/p',
      bucketOptions: ['aws_endpoint=http://127.0.0.1:9000', 'aws_region=us-east-1'],
      address: '10.0.0.1:7000',
      advertise: undefined,
      key: KEY,
      stopTimeoutMs: 12000,
      timeDivisor: 5,
    });
    assert.throws(() => clusterFromEnv({ SWITCHYARD_CLUSTER_ADDRESS: 'x:1', SWITCHYARD_CLUSTER_KEY: KEY }),
      /SWITCHYARD_CLUSTER_ADDRESS, SWITCHYARD_CLUSTER_KEY set without SWITCHYARD_CLUSTER_BUCKET/);
    assert.throws(() => clusterFromEnv({ SWITCHYARD_CLUSTER_BUCKET: 's3://b', SWITCHYARD_CLUSTER_TIME_DIVISOR: '0.5' }),
      /SWITCHYARD_CLUSTER_TIME_DIVISOR must be a whole number >= 1, got "0.5"/);
    assert.throws(() => clusterFromEnv({ SWITCHYARD_CLUSTER_BUCKET: 's3://b', SWITCHYARD_CLUSTER_KEY_FILE: path.join(tmp, 'none') }),
      /cannot read SWITCHYARD_CLUSTER_KEY_FILE .*none: ENOENT/);
  });
});
