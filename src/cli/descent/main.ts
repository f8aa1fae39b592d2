/**
 * `descent …`: find the command, parse its flags, build the SDK client from `--url`/`DESCENT_URL`
 * and `--api-key`/`DESCENT_API_KEY`, run it, and turn whatever it throws into a message and an
 * exit code (output.ts).
 */
import { createClient } from '../../client/index.js';
import { GLOBAL_OPTIONS, nearest, optionHelp, parse, UsageError } from './args.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { EXIT, Output, type Io } from './output.js';

/** How main reaches the outside world; the entry point passes the process's. */
export interface Runtime extends Io {
  env: Record<string, string | undefined>;
  /** Subscribe to Ctrl-C presses; answers an unsubscribe. */
  onSigint(fn: () => void): () => void;
}

function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'descent — drive a Descent training service from the terminal',
    '',
    'Usage: descent <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Options for every command:',
    optionHelp(GLOBAL_OPTIONS),
    '',
    'Environment: DESCENT_URL (default http://127.0.0.1:8080), DESCENT_API_KEY.',
    'Exit codes: 0 ok / job or sweep succeeded, 1 it failed or the service is unreachable, 2 bad input, 3 cancelled.',
    'descent <command> --help shows a command’s options.',
  ].join('\n');
}

function commandHelp(c: Command, path: string): string {
  return [
    `${c.summary}`,
    '',
    `Usage: ${c.usage}`,
    ...(c.subcommands
      ? [
          '',
          'Subcommands:',
          ...c.subcommands.map((s) => `  ${s.name.padEnd(8)}  ${s.summary}`),
          '',
          `descent ${path} <subcommand> --help for each.`,
        ]
      : []),
    ...(c.details ? ['', c.details] : []),
    ...(Object.keys(c.options).length ? ['', 'Options:', optionHelp(c.options)] : []),
    '',
    'Global options:',
    optionHelp(GLOBAL_OPTIONS),
  ].join('\n');
}

/** Find `name` among `list` (the subcommands of `parent`), or a usage error that suggests the nearest. */
function pick(list: Command[], name: string, where: string, parent?: string): Command {
  const c = list.find((x) => x.name === name);
  if (c) return c;
  const hint = nearest(
    name,
    list.map((x) => x.name),
  );
  throw new UsageError(
    `unknown ${where} "${name}"${hint ? `; did you mean "${hint}"?` : ''} (descent${parent ? ` ${parent}` : ''} --help lists them)`,
  );
}

/** Run `descent` with `argv` (without node and the script); answers the exit code. */
export async function main(argv: string[], rt: Runtime): Promise<number> {
  const wantsJson = argv.includes('--json');
  const out = new Output(rt, wantsJson);
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      const target = argv[0] === 'help' ? argv[1] : undefined;
      out.line(target ? commandHelp(pick(COMMANDS, target, 'command'), target) : topHelp());
      return argv.length === 0 ? EXIT.BAD_INPUT : EXIT.OK;
    }
    if (argv[0].startsWith('-'))
      throw new UsageError(`the command comes first: descent <command> ${argv[0]} … (descent --help)`);
    let cmd = pick(COMMANDS, argv[0], 'command');
    let path = cmd.name;
    let rest = argv.slice(1);
    if (cmd.subcommands) {
      const sub = rest.find((a) => !a.startsWith('-'));
      if (!sub || rest[0] !== sub) {
        out.line(commandHelp(cmd, path));
        return rest.includes('--help') || rest.includes('-h') ? EXIT.OK : EXIT.BAD_INPUT;
      }
      cmd = pick(cmd.subcommands, sub, 'subcommand', path);
      path = `${path} ${cmd.name}`;
      rest = rest.slice(1);
    }
    const args = parse(rest, cmd.options, path);
    if (args.values.help) {
      out.line(commandHelp(cmd, path));
      return EXIT.OK;
    }
    const n = args.positionals.length;
    if (n < cmd.positionals.min || n > cmd.positionals.max)
      throw new UsageError(
        `${n < cmd.positionals.min ? 'missing arguments' : 'too many arguments'}; usage: ${cmd.usage}`,
      );
    const client = createClient({
      url: (args.values.url as string | undefined) ?? rt.env.DESCENT_URL,
      apiKey: (args.values['api-key'] as string | undefined) ?? rt.env.DESCENT_API_KEY,
    });
    return await cmd.run({
      client,
      out: new Output(rt, Boolean(args.values.json)),
      args,
      onInterrupt: (fn) => rt.onSigint(fn),
    });
  } catch (err) {
    return out.fail(err);
  }
}
