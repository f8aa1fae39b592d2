/**
 * CPU time of the processes under test, from /proc (Linux): where the time went during a phase —
 * the API process, the worker processes and their sandboxed trainers, Redis, and this client.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks = 0;
function clockTicks(): number {
  if (!ticks) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** utime + stime (s) and process group of one process; null when it is gone. */
function stat(pid: number): { cpu: number; pgrp: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name `(…)`, which may contain spaces: state is field 3.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(f[11]) + Number(f[12])) / clockTicks(), pgrp: Number(f[2]) };
  } catch {
    return null;
  }
}

export interface CpuSample {
  api: number;
  /** Every other live process in the service's group: workers and sandboxed trainers. */
  workers: number;
  redis: number;
  client: number;
  wall: number;
}

/** CPU seconds so far of the service (its process is the API; its group holds the workers), Redis and us. */
export function sampleCpu(servicePid: number, redisPid: number): CpuSample {
  const api = stat(servicePid)?.cpu ?? NaN;
  let group = 0;
  if (process.platform === 'linux') {
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === servicePid) continue;
      const s = stat(pid);
      if (s && s.pgrp === servicePid) group += s.cpu;
    }
  }
  const me = process.cpuUsage();
  return {
    api,
    workers: group,
    redis: stat(redisPid)?.cpu ?? NaN,
    client: (me.user + me.system) / 1e6,
    wall: performance.now() / 1000,
  };
}

/** CPU seconds spent between two samples (workers: live processes only, so a trainer that exited is missed). */
export function cpuBetween(a: CpuSample, b: CpuSample): CpuSample {
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    api: r(b.api - a.api),
    workers: r(b.workers - a.workers),
    redis: r(b.redis - a.redis),
    client: r(b.client - a.client),
    wall: r(b.wall - a.wall),
  };
}
