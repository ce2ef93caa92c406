// A workerd cluster of gateway instances on loopback for tests (docs/deploy.md): an S3 test
// server in a child process (tests/s3-server) as the bucket, a fresh prefix, a random key, and
// instances started with worker/gateway.mjs, each with its own state directory.
//
//   const cluster = await startCluster({ tmp, configText, main: 'tests/js/state/test_worker.js' });
//   const a = await cluster.start('a');      // → { gw, clusterAddress }: gw.url, gw.clusterUrl…
//   const b = await cluster.start('b');
//   cluster.instances.a.gw.child.kill('SIGKILL');
//   await cluster.start('a');                // the same name: the same state directory again
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

  /** Every instance's workerd output, for a failure message. */
  const logs = () => Object.entries(instances).map(([n, { gw }]) => `${n}'s workerd:\n${gw.logs().slice(-2000)}`).join('\n');

  return { s3, prefix, instances, start, stop, keys, logs };
}
