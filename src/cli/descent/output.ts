/**
 * How `descent` talks back: stdout for results (JSON with `--json`), stderr for messages, and
 * the exit codes scripts branch on. A refused request's problem+json is rendered readably: the
 * code and detail, then one line per field (`/optimizer/lr: …`) with the server's own hint.
 */
import { isDescentError, type DescentError } from '../../client/index.js';
import { UsageError } from './args.js';

/** Exit codes: the contract with scripts (documented in docs/clients.md). */
export const EXIT = {
  /** the command worked; a followed job or sweep succeeded */
  OK: 0,
  /** a followed job failed (a sweep: every trial failed), or the service could not be reached / answered 5xx */
  FAILED: 1,
  /** bad input: a usage mistake, or the service refused the request (4xx) */
  BAD_INPUT: 2,
  /** a followed job or sweep was cancelled */
  CANCELLED: 3,
  /** Ctrl-C detached from a followed job or sweep (it keeps running) */
  INTERRUPTED: 130,
} as const;

/** Where a command writes. Tests give their own streams. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
}

/** Printing helpers bound to one invocation's `--json` choice. */
export class Output {
  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {}

  /** A result line on stdout. */
  line(text = ''): void {
    this.io.stdout.write(text + '\n');
  }

  /** A message on stderr (never mixed into `--json` output). */
  note(text: string): void {
    this.io.stderr.write(text + '\n');
  }

  /** A JSON value on stdout, one line (NDJSON-friendly) or pretty for a single answer. */
  printJson(v: unknown, compact = false): void {
    this.io.stdout.write((compact ? JSON.stringify(v) : JSON.stringify(v, null, 2)) + '\n');
  }

  /** An aligned two-column table. */
  pairs(rows: [string, string][]): void {
    const w = Math.max(0, ...rows.map((r) => r[0].length));
    for (const [k, v] of rows) this.line(`${k.padEnd(w)}  ${v}`);
  }

  /** A table with a header row. */
  table(header: string[], rows: string[][]): void {
    const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const fmt = (r: string[]) =>
      r
        .map((c, i) => (c ?? '').padEnd(w[i]))
        .join('  ')
        .trimEnd();
    this.line(fmt(header));
    for (const r of rows) this.line(fmt(r));
  }

  /** Report an error on stderr and answer its exit code. */
  fail(err: unknown): number {
    if (err instanceof UsageError) {
      this.note(`descent: ${err.message}`);
      return EXIT.BAD_INPUT;
    }
    if (isDescentError(err)) {
      if (this.json && err.status) this.io.stderr.write(JSON.stringify(err.problem) + '\n');
      else this.note(renderProblem(err));
      return err.status >= 400 && err.status < 500 ? EXIT.BAD_INPUT : EXIT.FAILED;
    }
    this.note(`descent: ${(err as Error)?.message ?? String(err)}`);
    return EXIT.FAILED;
  }
}

/** `error VALIDATION_ERROR (400): <detail>` and one indented line per field. */
export function renderProblem(err: DescentError): string {
  const p = err.problem;
  const head = err.status
    ? `error ${p.code} (${err.status}${p.title ? ` ${p.title}` : ''}): ${p.detail}`
    : `error: ${p.detail}`;
  const fields = (p.errors ?? []).map((e) => `  ${e.path || '/'}: ${e.message}`);
  return [head, ...fields].join('\n');
}

/** A number for a table cell: 4 significant digits, or `-`. */
export function num(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v === null || v === undefined ? '-' : String(v);
  return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3)
    ? v.toExponential(3)
    : String(Number(v.toPrecision(4)));
}

/** Seconds for humans: `0.4 s`, `1 min 12 s`. */
export function duration(ms: number | null | undefined): string {
  if (typeof ms !== 'number') return '-';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
