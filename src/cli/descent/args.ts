/**
 * Command-line parsing for `descent`: node's own `util.parseArgs` (strict), plus what it lacks —
 * a did-you-mean for a mistyped flag and help text generated from the same option table the
 * parser uses, so the two never disagree.
 */
import { parseArgs } from 'node:util';

/** One flag of a command. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** What it does, for `--help`. */
  description: string;
  /** The value's placeholder in help (`<n>`); strings only. */
  value?: string;
}

/** Flags every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: "print the API's JSON instead of text" },
  url: {
    type: 'string',
    value: '<url>',
    description: 'service URL (default $DESCENT_URL, else http://127.0.0.1:8080)',
  },
  'api-key': { type: 'string', value: '<key>', description: 'API key (default $DESCENT_API_KEY)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** A usage mistake: printed with the command's usage line, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** Parsed flags and positionals. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Levenshtein distance, for suggestions. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** The nearest of `candidates` to `word`, if near enough to be a typo (or a prefix of it). */
export function nearest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 2 ? 0.5 : editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Parse `argv` against a command's flags (and the global ones); throws {@link UsageError}. */
export function parse(argv: string[], options: Record<string, OptionSpec>, command: string): Parsed {
  const all = { ...options, ...GLOBAL_OPTIONS };
  const config = Object.fromEntries(
    Object.entries(all).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: config,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(e.message)?.[1] ?? '';
      const bare = flag.replace(/^-+/, '').split('=')[0];
      const hint = nearest(bare, Object.keys(all));
      throw new UsageError(
        `unknown option ${flag}${hint ? `; did you mean --${hint}?` : ''} (see descent ${command} --help)`,
        command,
      );
    }
    throw new UsageError(e.message.split('\n')[0].replace(/\. To specify a positional.*$/, ''), command);
  }
}

/** The option lines of a help text. */
export function optionHelp(options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`,
    o.description + (o.multiple ? ' (repeatable)' : ''),
  ]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([l, r]) => `  ${l.padEnd(w)}  ${r}`).join('\n');
}
