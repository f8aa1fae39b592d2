/**
 * `npm run bench:tables`: a 1,000,000-row, 10-column mixed CSV (5 numeric, 2 categorical, 2 boolean,
 * a numeric target; ~3% missing cells) streamed over a real HTTP socket (chunked, generated on the
 * fly so the client holds no body) to the API, which parses it as it arrives and stores it in
 * column chunks in a real redis-server. Prints time, throughput and the API process's peak RSS
 * (sampled every 10 ms) above its RSS before the upload.
 *
 *   npm run bench:tables -- [--rows 1000000] [--json]
 * `--json` prints one JSON line (test/api/tables-rss.test.ts reads it).
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../src/api/app.js';
import { createDeps } from '../../src/api/deps.js';
import { DEFAULT_LIMITS } from '../../src/contracts/limits.js';
import { loadConfig } from '../../src/queue/config.js';
import { startRedis, uniquePrefix } from '../../test/helpers/redis.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const ROWS = Number(arg('rows', '1000000'));
const JSON_OUT = process.argv.includes('--json');
const HEADER = 'age,income,score,tenure,balance,plan,region,member,paperless,target\n';
const PLANS = ['basic', 'premium', 'pro', 'family'];
const REGIONS = ['north', 'south', 'east', 'west', 'central', '"north, east"'];

/** Row `i` of the table (deterministic: an LCG, so every run uploads the same bytes). */
function rowText(i: number, s: { x: number }): string {
  const next = () => (s.x = (s.x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const miss = (v: string) => (next() < 0.03 ? '' : v);
  return (
    [
      miss(String(18 + Math.floor(next() * 60))),
      miss((next() * 1e5).toFixed(2)),
      (next() * 10 - 5).toFixed(4),
      String(i % 120),
      miss((next() * 2e4 - 1e4).toFixed(1)),
      PLANS[Math.floor(next() * PLANS.length)],
      miss(REGIONS[Math.floor(next() * REGIONS.length)]),
      next() < 0.5 ? 'yes' : 'no',
      next() < 0.5 ? 'true' : 'FALSE',
      (next() * 100).toFixed(3),
    ].join(',') + '\n'
  );
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const cfg = {
    ...loadConfig({}),
    redisUrl: redis.url,
    prefix: uniquePrefix('bench-tables'),
    datasetBodyLimit: 64 * 1024 * 1024,
  };
  const deps = await createDeps(cfg, DEFAULT_LIMITS, { predict: () => ({ outputs: [] }) } as never);
  const app = await buildApp(deps);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  let bytes = 0;
  const t0 = performance.now();
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/datasets?target=target',
        headers: { 'content-type': 'text/csv' },
      },
      (r) => {
        let body = '';
        r.on('data', (c) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    const s = { x: 42 };
    let i = 0;
    const pump = () => {
      let ok = true;
      while (ok && i <= ROWS) {
        let chunk = i === 0 ? HEADER : '';
        if (i === 0) i = 1;
        for (let k = 0; k < 2000 && i <= ROWS; k++, i++) chunk += rowText(i, s);
        bytes += Buffer.byteLength(chunk);
        ok = req.write(chunk);
      }
      if (i > ROWS) req.end();
      else req.once('drain', pump);
    };
    pump();
  });
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${res.body.slice(0, 500)}`);
  const d = JSON.parse(res.body) as {
    id: string;
    rows: number;
    columns: { name: string; type: string; missing: number }[];
  };
  const t1 = performance.now();
  const table = await deps.datasets.loadTable(d.id);
  const loadMs = performance.now() - t1;
  const out = {
    rows: d.rows,
    columns: d.columns.map((c) => `${c.name}:${c.type}`).join(','),
    bodyMB: +(bytes / 2 ** 20).toFixed(1),
    uploadSeconds: +(ms / 1000).toFixed(2),
    rowsPerSecond: Math.round(d.rows / (ms / 1000)),
    rssBeforeMB: +(rss0 / 2 ** 20).toFixed(0),
    peakRssMB: +(peak / 2 ** 20).toFixed(0),
    peakRssGrowthMB: +((peak - rss0) / 2 ** 20).toFixed(0),
    loadTableSeconds: +(loadMs / 1000).toFixed(2),
    loadedRows: table?.rows ?? 0,
  };
  if (JSON_OUT) console.log(JSON.stringify(out));
  else console.table(out);
  await app.close();
  await deps.close();
  await redis.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
