// A process's CPU time and resident memory from /proc (Linux), for the gateway benchmarks, which
// measure workerd (and Portkey's Node process) from outside.
import fs from 'node:fs';

const TICK_MS = 1000 / 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 10 ms ticks

/** CPU time (user + system, ms) and resident memory (bytes) of process `pid`. */
export function usage(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  return { cpuMs, rss };
}
