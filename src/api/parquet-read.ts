/**
 * Parquet decoding off the event loop, with a deadline. A corrupted Parquet file can send the
 * decoder into a loop that never ends (found by test/api/tables-fuzz.test.ts: one flipped bit), and a
 * synchronous loop cannot be interrupted, so hyparquet runs in a worker thread that is terminated
 * when it overruns `timeoutMs` or its heap limit; the upload then gets a 400, never a hang.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {} from 'hyparquet';

/** hyparquet's entry, resolved here so the worker (an eval'd script) imports the same copy. */
const HYPARQUET = pathToFileURL(createRequire(import.meta.url).resolve('hyparquet')).href;

// Plain JS: an eval'd worker runs no TypeScript loader. Counts are checked before any data decodes.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.lib).then(async ({ parquetMetadata, parquetRead, parquetSchema }) => {
  try {
    const file = workerData.file;
    const metadata = parquetMetadata(file);
    const names = parquetSchema(metadata).children.map((c) => c.element.name);
    const rows = Number(metadata.num_rows);
    if (rows > workerData.maxRows || names.length > workerData.maxColumns) {
      parentPort.postMessage({ ok: true, names, rows, data: null });
      return;
    }
    let data = [];
    await parquetRead({ file, metadata, rowFormat: 'array', onComplete: (r) => (data = r) });
    parentPort.postMessage({ ok: true, names, rows, data });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String((err && err.message) || err) });
  }
});
`;

/** What the worker read: column names, the row count, and the rows (null when over a limit). */
export type ParquetRead =
  { ok: true; names: string[]; rows: number; data: unknown[][] | null } | { ok: false; message: string };

/**
 * Decode `file` in a worker: at most `timeoutMs` and `maxHeapMb` of heap, else `{ ok: false }`
 * with the reason. Rows and columns over the limits are reported, not decoded.
 */
export function readParquet(
  file: ArrayBuffer,
  limits: { maxRows: number; maxColumns: number },
  timeoutMs = 10_000,
  maxHeapMb = 512,
): Promise<ParquetRead> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { lib: HYPARQUET, file, ...limits },
      transferList: [file],
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
    });
    let done = false;
    const finish = (r: ParquetRead) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(r);
    };
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          message: `decoding did not finish within ${timeoutMs / 1000} s (a corrupted file?)`,
        }),
      timeoutMs,
    );
    worker.once('message', (m: ParquetRead) => finish(m));
    worker.once('error', (err) => finish({ ok: false, message: err.message }));
    worker.once('exit', (code) => finish({ ok: false, message: `the decoder stopped (exit code ${code})` }));
  });
}
