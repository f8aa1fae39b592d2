/**
 * `descent predict <id> <file | ->`: predictions of a succeeded job. The input is JSON: the API's
 * body (`{"inputs": [[…]]}` or `{"records": [{…}]}`), or just the rows — an array of arrays
 * (inputs) or of objects (records).
 */
import type { PredictRequest } from '../../../client/index.js';
import { UsageError } from '../args.js';
import { readJson, type Command } from '../command.js';
import { EXIT, num } from '../output.js';

/** The request body for what the file holds. */
export function predictBody(v: unknown): PredictRequest {
  if (Array.isArray(v)) {
    if (v.every((r) => Array.isArray(r))) return { inputs: v as number[][] } as PredictRequest;
    if (v.every((r) => r && typeof r === 'object')) return { records: v } as PredictRequest;
    if (v.every((r) => typeof r === 'number')) return { inputs: [v as number[]] } as PredictRequest;
  } else if (v && typeof v === 'object' && ('inputs' in v || 'records' in v)) return v as PredictRequest;
  throw new UsageError('predict takes {"inputs": [[…]]}, {"records": [{…}]}, or an array of rows', 'predict');
}

export const predict: Command = {
  name: 'predict',
  summary: 'predictions of a succeeded job for the rows in a JSON file (or - for stdin)',
  usage: 'descent predict <id> <file.json | ->',
  details: ['Example:', `  echo '[[5.1, 3.5, 1.4, 0.2]]' | descent predict job_… -`].join('\n'),
  options: {},
  positionals: { min: 2, max: 2 },
  async run(ctx) {
    const { args, out, client } = ctx;
    const body = predictBody(await readJson(args.positionals[1], ctx, 'predict'));
    const res = await client.jobs.predict(args.positionals[0], body);
    if (out.json) {
      out.printJson(res);
      return EXIT.OK;
    }
    const r = res as { outputs: number[][]; classes?: number[]; labels?: string[] };
    const width = r.outputs[0]?.length ?? 0;
    const header = [
      'ROW',
      ...(r.classes ? ['CLASS'] : []),
      ...(r.labels ? ['LABEL'] : []),
      ...Array.from({ length: width }, (_, k) => `OUT${k}`),
    ];
    out.table(
      header,
      r.outputs.map((o, i) => [
        String(i),
        ...(r.classes ? [String(r.classes[i])] : []),
        ...(r.labels ? [String(r.labels[i])] : []),
        ...o.map((v) => num(v)),
      ]),
    );
    return EXIT.OK;
  },
};
