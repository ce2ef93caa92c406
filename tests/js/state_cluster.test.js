// The shared-state Durable Object across two workerd processes in workerd's cluster mode on
// loopback (docs/deploy.md): both instances share the object through a bucket, here the S3 test
// server of tests/s3-server (workerd refuses a bucket that ignores conditional writes, and no
// bucket server in the registries honours them). Operations through both instances stay exact,
// and `kill -9` of the instance that owns the object loses no acknowledged operation: the other
// takes the object over (unsafeTimeDivisor shortens the 20 s instance lease) with every write
// the object acknowledged. Needs worker/dist/switchyard.wasm.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BUCKET, startCluster } from './state/cluster.js';

const wasmPath = process.env.SWITCHYARD_WASM || undefined;
const TEST_WORKER = 'tests/js/state/test_worker.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cluster-test-'));
let cluster;
let instances; // name → { gw, clusterAddress }

/** One operation through instance `name`: { status, json, text }; a network failure → status 0. */
async function op(name, objectName, body) {
  try {
    const response = await fetch(`${instances[name].gw.url}/__state/${encodeURIComponent(objectName)}`, {
      method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(30000),
    });
    const text = await response.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: response.status, json, text };
  } catch (error) {
    return { status: 0, text: error.cause?.message ?? error.message };
  }
}

async function ok(name, objectName, body) {
  const answer = await op(name, objectName, body);
  if (answer.status !== 200) assert.fail(`${name} answered ${answer.status}: ${answer.text}\n${cluster.logs()}`);
  return answer.json;
}

const lease = (fields) => ({ op: 'lease', window_ms: 0, ttl_ms: 600000, want: 0, min: 0, spent: 0, returned: 0, ...fields });

describe('the shared-state Durable Object in a workerd cluster of two', () => {
  before(async () => {
    cluster = await startCluster({ tmp, main: TEST_WORKER, wasmPath });
    instances = cluster.instances;
    await cluster.start('a');
    await cluster.start('b');
  });
  after(async () => {
    await cluster?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('both instances join: /ready answers 200 on each cluster port, and both are in the bucket', async () => {
    for (const { gw } of Object.values(instances)) {
      const response = await fetch(`${gw.clusterUrl}/ready`, { signal: AbortSignal.timeout(10000) });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    }
    const nodes = (await cluster.keys()).filter((k) => /\/nodes\/[^/]+\.json$/.test(k));
    assert.equal(nodes.length, 2, nodes.join(', '));
  });

  test('200 concurrent ops through both instances stay exact', async () => {
    const objectName = 'key:exact';
    const base = { pool: 'rpm', capacity: 60, window_ms: 600000, min: 1 };
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      ok(i % 2 ? 'b' : 'a', objectName, lease({ ...base, holder: i % 4 < 2 ? 'h-x' : 'h-y', want: 1 + (i % 3) }))));
    const granted = { 'h-x': 0, 'h-y': 0 };
    answers.forEach((a, i) => (granted[i % 4 < 2 ? 'h-x' : 'h-y'] += a.granted));
    assert.equal(granted['h-x'] + granted['h-y'], 60, 'exactly the capacity is leased');
    // Every holder spends what it holds, one op per unit, through both instances at once.
    const spends = [];
    for (const holder of ['h-x', 'h-y']) {
      for (let i = 0; i < granted[holder]; i++) spends.push(ok(i % 2 ? 'a' : 'b', objectName, lease({ ...base, holder, spent: 1, returned: 1 })));
    }
    await Promise.all(spends);
    for (const name of ['a', 'b']) {
      assert.deepEqual(await ok(name, objectName, { op: 'get', pool: 'rpm', capacity: 60, window_ms: 600000 }), { consumed: 60, leased: 0, capacity: 60 });
    }
  });

  test('kill -9 of the owning instance loses no acknowledged op', async (t) => {
    const objectName = 'key:killed';
    const get = { op: 'get', pool: 'budget', capacity: 1e6, window_ms: 0 };
    const known = await cluster.ownershipRecords();
    await ok('a', objectName, get); // claims the object
    const owner = await cluster.ownerSince(known);
    const survivor = owner === 'a' ? 'b' : 'a';

    // Four writers per instance, each sending `spent: 1` ops one after another.
    const tally = { acked: 0, maybe: 0, ackedAfterKill: 0 };
    let killedAt = 0;
    let firstAckAfterKill = 0;
    let stop = false;
    const writer = async (name, holder) => {
      while (!stop) {
        const answer = await op(name, objectName, lease({ pool: 'budget', capacity: 1e6, holder, spent: 1 }));
        if (answer.status === 200) {
          tally.acked++;
          if (killedAt) {
            tally.ackedAfterKill++;
            firstAckAfterKill ||= Date.now();
          }
        } else {
          tally.maybe++; // failed: it may or may not have been applied
          if (name === owner && killedAt) return; // its process is gone
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const writers = [];
    for (let i = 0; i < 4; i++) writers.push(writer('a', `h-a${i}`), writer('b', `h-b${i}`));

    const deadline = Date.now() + 120000;
    while (tally.acked < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(tally.acked >= 40, `ops are acknowledged before the kill (${tally.acked})`);
    instances[owner].gw.child.kill('SIGKILL');
    await instances[owner].gw.exited;
    killedAt = Date.now();
    while (tally.ackedAfterKill < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await Promise.all(writers);
    assert.ok(tally.ackedAfterKill >= 20, `the survivor serves the object after the kill (${tally.ackedAfterKill} acknowledged)`);

    const { consumed } = await ok(survivor, objectName, get);
    assert.ok(consumed >= tally.acked, `every acknowledged op counts: consumed ${consumed}, acknowledged ${tally.acked}`);
    assert.ok(consumed <= tally.acked + tally.maybe, `nothing is counted twice: consumed ${consumed}, at most ${tally.acked + tally.maybe}`);
    const takeoverMs = firstAckAfterKill - killedAt;
    t.diagnostic(`owner ${owner} killed after ${tally.acked - tally.ackedAfterKill} acknowledged ops; the survivor answered again after ${takeoverMs} ms; consumed ${consumed}, acknowledged ${tally.acked}, failed (maybe applied) ${tally.maybe}`);

    // The killed instance, restarted on its own disk, rejoins and sees the same numbers.
    await cluster.start(owner);
    assert.deepEqual(await ok(owner, objectName, get), { consumed, leased: 0, capacity: 1e6 });
  });
});
