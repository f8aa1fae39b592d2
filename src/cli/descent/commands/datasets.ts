/** `descent datasets upload <file> [--target y]` and `descent datasets ls`. */
import { extname } from 'node:path';
import { int, readInput, str, type Command } from '../command.js';
import { EXIT } from '../output.js';

const CONTENT_TYPES: Record<string, string> = {
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.parquet': 'application/vnd.apache.parquet',
};

const upload: Command = {
  name: 'upload',
  summary: 'upload a table (CSV with a header, JSON, Parquet); prints its id',
  usage:
    'descent datasets upload <file.csv | -> [--target <column>] [--types col:categorical,…] [--name <name>]',
  options: {
    target: {
      type: 'string',
      value: '<column>',
      description: 'target column(s), comma-separated (default: the last)',
    },
    types: {
      type: 'string',
      value: '<col:type,…>',
      description: 'declared column types (numeric|categorical|boolean)',
    },
    name: { type: 'string', value: '<name>', description: 'a name to remember it by' },
    'content-type': {
      type: 'string',
      value: '<type>',
      description: 'override the type read off the extension',
    },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const { args, out, client } = ctx;
    const file = args.positionals[0];
    const body = await readInput(file, ctx, 'datasets upload');
    const ds = await client.datasets.upload(new Uint8Array(body), {
      contentType: str(args, 'content-type') ?? CONTENT_TYPES[extname(file).toLowerCase()] ?? 'text/csv',
      target: str(args, 'target'),
      types: str(args, 'types'),
      name: str(args, 'name'),
    });
    if (out.json) out.printJson(ds);
    else {
      out.line(ds.id);
      const cols = (ds as { columns?: { name: string; type: string }[] }).columns ?? [];
      out.note(
        `uploaded ${ds.id}: ${ds.rows} rows, ${ds.features} features, ${ds.targets} target(s)` +
          (cols.length ? ` — ${cols.map((c) => `${c.name}:${c.type}`).join(', ')}` : ''),
      );
    }
    return EXIT.OK;
  },
};

const ls: Command = {
  name: 'ls',
  summary: 'list your uploaded datasets, newest first',
  usage: 'descent datasets ls [--limit <n>] [--after <cursor>]',
  options: {
    limit: { type: 'string', value: '<n>', description: 'datasets per page (default 20)' },
    after: { type: 'string', value: '<cursor>', description: "the previous page's nextCursor" },
  },
  positionals: { min: 0, max: 0 },
  async run({ args, out, client }) {
    const page = await client.datasets.list({
      limit: int(args, 'limit', 'datasets ls'),
      after: str(args, 'after'),
    });
    if (out.json) {
      out.printJson(page);
      return EXIT.OK;
    }
    out.table(
      ['ID', 'ROWS', 'FEATURES', 'TARGETS', 'CREATED', 'NAME'],
      page.data.map((d) => {
        const x = d as typeof d & { name?: string | null };
        return [d.id, String(d.rows), String(d.features), String(d.targets), d.createdAt, x.name ?? ''];
      }),
    );
    if (page.hasMore) out.note(`more: descent datasets ls --after ${page.nextCursor}`);
    return EXIT.OK;
  },
};

export const datasets: Command = {
  name: 'datasets',
  summary: 'upload and list datasets (datasets upload | datasets ls)',
  usage: 'descent datasets <upload | ls> …',
  options: {},
  positionals: { min: 1, max: Infinity },
  subcommands: [upload, ls],
  run: async () => EXIT.BAD_INPUT, // main.ts dispatches to a subcommand
};
