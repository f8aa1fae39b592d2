import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '../../../scripts/build-native.cjs');

describe('scripts/build-native.cjs (the install hook)', () => {
  it('exits 0 with a reason when it cannot build, so npm ci never fails for lack of a compiler', () => {
    const r = spawnSync(process.execPath, [script], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/skipped: no C compiler/);
  });

  it('honours DESCENT_SKIP_NATIVE=1, and --strict turns a skip into a failure', () => {
    const skip = spawnSync(process.execPath, [script], {
      env: { ...process.env, DESCENT_SKIP_NATIVE: '1' },
      encoding: 'utf8',
    });
    expect(skip.status).toBe(0);
    expect(skip.stderr).toMatch(/DESCENT_SKIP_NATIVE/);
    const strict = spawnSync(process.execPath, [script, '--strict'], {
      env: { ...process.env, DESCENT_SKIP_NATIVE: '1' },
      encoding: 'utf8',
    });
    expect(strict.status).toBe(1);
  });
});
