/**
 * Issue 15, acceptance 2 (types current): src/client/api-types.ts is what openapi-typescript
 * makes of the OpenAPI document the app serves today. A route or schema changed without
 * `npm run gen:client` fails here, in `npm test`, so the SDK's types never drift from the API.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { CLIENT_TYPES_FILE, generateClientTypes } from '../../scripts/client-types.js';

test('src/client/api-types.ts is current (else run `npm run gen:client` and commit it)', async () => {
  const now = await generateClientTypes();
  const checkedIn = readFileSync(CLIENT_TYPES_FILE, 'utf8');
  expect(checkedIn === now, 'src/client/api-types.ts is stale: run `npm run gen:client` and commit it').toBe(
    true,
  );
}, 60_000);

test('the generated types name the operations the SDK calls', () => {
  const text = readFileSync(CLIENT_TYPES_FILE, 'utf8');
  for (const op of [
    'createJob',
    'getJob',
    'listJobs',
    'cancelJob',
    'getJobWeights',
    'predict',
    'getJobEvents',
    'uploadDataset',
    'listDatasets',
  ])
    expect(text).toContain(`  ${op}: {`);
});
