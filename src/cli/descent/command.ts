/**
 * What a `descent` subcommand is: its name, help, flags and a `run` that answers an exit code.
 * main.ts dispatches to the commands listed in commands/index.ts; adding one (e.g. `sweep`) is a
 * file exporting a {@link Command} and its line in that list.
 */
import { readFileSync } from 'node:fs';
import type { DescentClient } from '../../client/index.js';
import { UsageError, type OptionSpec, type Parsed } from './args.js';
import type { Output } from './output.js';

/** What a command's `run` gets. */
export interface Context {
  client: DescentClient;
  out: Output;
  args: Parsed;
  /**
   * Take over Ctrl-C (SIGINT): `handler` runs on each press instead of the default (exit 130).
   * Answers a function that gives it back.
   */
  onInterrupt(handler: () => void): () => void;
}

export interface Command {
  name: string;
  /** One line for `descent --help`. */
  summary: string;
  /** `descent train <spec.json | -> [options]` */
  usage: string;
  /** More help text after the usage (examples). */
  details?: string;
  options: Record<string, OptionSpec>;
  /** How many positionals it takes. */
  positionals: { min: number; max: number };
  /** Subcommands (`datasets upload|ls`): dispatched on the first positional. */
  subcommands?: Command[];
  run(ctx: Context): Promise<number>;
}

/** A string flag's value, or undefined. */
export function str(args: Parsed, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A positive integer flag's value; a usage error names the flag and the value otherwise. */
export function int(args: Parsed, name: string, command: string): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} takes a whole number; got "${v}"`, command);
  return Number(v);
}

/** The bytes of a file argument, or of stdin for `-`. A missing file is a usage error. */
export async function readInput(path: string, ctx: Context, command: string): Promise<Buffer> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const c of ctx.out.io.stdin) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks);
  }
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      command,
    );
  }
}

/** Parse JSON from a file argument; bad JSON is a usage error naming the file and the position. */
export async function readJson(path: string, ctx: Context, command: string): Promise<unknown> {
  const text = (await readInput(path, ctx, command)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `${path === '-' ? 'stdin' : path} is not valid JSON: ${(err as Error).message}`,
      command,
    );
  }
}
