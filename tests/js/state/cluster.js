// A workerd cluster of gateway instances on loopback for tests (docs/deploy.md): an S3 test
// server in a child process (tests/s3-server) as the bucket, a fresh prefix, a random key, and
// instances started with worker/gateway.mjs, each with its own state directory.
//
//   const cluster = await startCluster({ tmp, configText, main: 'tests/js/state/test_worker.js' });
//   const a = await cluster.start('a');      // → { gw, clusterAddress }: gw.url, gw.clusterUrl…
//   const b = await cluster.start('b');
//   cluster.instances.a.gw.child.kill('SIGKILL');
//   await cluster.start('a');                // the same name: the same state directory again
//   const name = await cluster.ownerSince(known);  // the instance that owns an object claimed since
//   await cluster.stop();                    // kills every instance, stops the bucket
import crypto from 'node:crypto';
import path from 'node:path';

import { startGateway } from '../../../worker/gateway.mjs';
import { startS3Process } from '../../s3-server/server.mjs';
import { track } from '../gateway/helpers.js';

export const BUCKET = 'switchyard-test';

/**
 * @param {{ tmp: string, configText?: string, main?: string, wasmPath?: string,
 *           timeDivisor?: number, env?: Record<string,string> }} options
 *   timeDivisor: workerd's unsafeTimeDivisor (default 2: a 10 s instance lease). 5 and 10 made
 *   instances miss their lease renewals and leave the cluster on a 2-core machine under load.
 */
export async function startCluster({ tmp, configText, main, wasmPath, timeDivisor = 2, env = {} }) {
  const s3 = await startS3Process();
  const prefix = `cluster-${crypto.randomBytes(4).toString('hex')}`;
  const key = crypto.randomBytes(32).toString('hex');
  const instances = {};

  const start = async (name) => {
    const gw = await startGateway({
      port: 0,
      configText,
      outDir: path.join(tmp, `gw-${name}`),
      stateDir: path.join(tmp, `state-${name}`),
      wasmPath,
      main,
      env,
      timeoutMs: 90000,
      cluster: {
        bucket: `s3://${BUCKET}/${prefix}`,
        bucketOptions: [`aws_endpoint=${s3.endpoint}`, 'aws_region=us-east-1', 'aws_access_key_id=test', 'aws_secret_access_key=test'],
        address: '127.0.0.1:0', // workerd picks a port and advertises it
        key,
        timeDivisor,
      },
    });
    track(gw.child);
    const clusterAddress = new URL(gw.clusterUrl).host; // what its lease record in the bucket says
    instances[name] = { gw, clusterAddress };
    return instances[name];
  };

  const stop = async () => {
    for (const { gw } of Object.values(instances)) gw.child.kill('SIGKILL');
    await Promise.all(Object.values(instances).map(({ gw }) => gw.exited));
    await s3.close();
  };

  /** The bucket's keys under this cluster's prefix. */
  const keys = () => s3.keys(BUCKET, `${prefix}/`);

  /** The bucket's ownership records (one `…/own.json` per Durable Object claimed so far). */
  const ownershipRecords = async () => (await keys()).filter((k) => k.endsWith('/own.json'));

  /**
   * The name of the instance that owns the one object claimed since `known` (ownershipRecords()
   * before): the object's own.json in the bucket names a node, the node's lease record its
   * address. Throws when not exactly one object was claimed or the owner is not one of ours.
   */
  const ownerSince = async (known) => {
    const read = async (k) => JSON.parse(String(await s3.read(BUCKET, k)));
    const owns = (await ownershipRecords()).filter((k) => !known.includes(k));
    if (owns.length !== 1) throw new Error(`expected one object claimed, found: ${owns.join(', ') || 'none'}`);
    const { node } = await read(owns[0]);
    const record = (await keys()).find((k) => k.endsWith(`/nodes/${node}.json`));
    if (!record) throw new Error(`the owner ${node} has no lease record in the bucket`);
    const { address } = await read(record);
    const name = Object.keys(instances).find((n) => instances[n].clusterAddress === address);
    if (!name) throw new Error(`the owner's address ${address} is none of ours`);
    return name;
  };

  /** Every instance's workerd output, for a failure message. */
  const logs = () => Object.entries(instances).map(([n, { gw }]) => `${n}'s workerd:\n${gw.logs().slice(-2000)}`).join('\n');

  return { s3, prefix, instances, start, stop, keys, ownershipRecords, ownerSince, logs };
}
