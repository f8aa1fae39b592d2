/**
 * The streaming upload's memory bound (issue 12, acceptance 5), measured in a child process so the
 * test runner's heap does not count: bench/tables/upload-1m.ts uploads 200,000 mixed rows (11 MB of
 * CSV) over a real socket to a real redis-server and reports the API process's peak RSS above its
 * RSS before the upload. Measured 69 MB (BENCHMARKS.md, "Table uploads"); the bound leaves room for
 * GC timing on a loaded machine, and is far below what holding the body as text twice would add
 * on top of the columns.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const ROWS = 200_000;
const BOUND_MB = 120;

test(`a ${ROWS}-row CSV upload grows the API's RSS by less than ${BOUND_MB} MB`, () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/tables/upload-1m.ts', '--rows', String(ROWS), '--json'],
    { cwd: root, encoding: 'utf8', timeout: 90_000 },
  );
  const r = JSON.parse(out.trim().split('\n').pop()!) as {
    rows: number;
    peakRssGrowthMB: number;
    loadedRows: number;
  };
  expect(r.rows).toBe(ROWS);
  expect(r.loadedRows).toBe(ROWS);
  expect(r.peakRssGrowthMB).toBeLessThan(BOUND_MB);
}, 120_000);
