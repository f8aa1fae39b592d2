/** `descent train <spec.json | -> [--follow] [--name] [--set path=value …]`: submit a job. */
import type { JobSpec } from '../../../client/index.js';
import { UsageError } from '../args.js';
import { readJson, str, type Command } from '../command.js';
import { followJob } from '../follow.js';
import { EXIT } from '../output.js';
import { setPath } from '../set-path.js';

export const train: Command = {
  name: 'train',
  summary: 'submit a training job from a JobSpec file (or - for stdin)',
  usage: 'descent train <spec.json | -> [--follow] [--name <name>] [--set <path=value> …]',
  details: [
    'Without --follow, prints the new job id (JOB=$(descent train spec.json)).',
    'With --follow, shows the progress (a bar on a terminal, a line per epoch otherwise) and a',
    'summary; exits 0 succeeded, 1 failed, 2 bad spec, 3 cancelled. Ctrl-C detaches (the job keeps',
    'running) unless --cancel-on-interrupt.',
    '',
    'Examples:',
    '  descent train examples/iris-mlp-adam.json --follow',
    '  descent train examples/iris-mlp-adam.json --set optimizer.lr=0.05 --set training.epochs=200',
  ].join('\n'),
  options: {
    follow: { type: 'boolean', short: 'f', description: 'follow the job to its end' },
    name: { type: 'string', value: '<name>', description: 'a name, stored as metadata.name' },
    set: {
      type: 'string',
      multiple: true,
      value: '<path=value>',
      description: 'override a field of the spec',
    },
    'cancel-on-interrupt': {
      type: 'boolean',
      description: 'with --follow: Ctrl-C cancels the job instead of detaching',
    },
    'idempotency-key': {
      type: 'string',
      value: '<key>',
      description: 'Idempotency-Key header (default: a random one)',
    },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const { args, out, client } = ctx;
    const spec = await readJson(args.positionals[0], ctx, 'train');
    if (!spec || typeof spec !== 'object' || Array.isArray(spec))
      throw new UsageError(
        `a JobSpec is a JSON object; ${args.positionals[0]} holds ${Array.isArray(spec) ? 'an array' : typeof spec}`,
        'train',
      );
    const s = spec as Record<string, unknown>;
    for (const a of (args.values.set as string[] | undefined) ?? []) setPath(s, a);
    const name = str(args, 'name');
    if (name !== undefined) setPath(s, `metadata.name=${JSON.stringify(name)}`);
    const job = await client.jobs.create(s as JobSpec, { idempotencyKey: str(args, 'idempotency-key') });
    if (!args.values.follow) {
      if (out.json) out.printJson(job);
      else {
        out.line(job.id);
        out.note(`submitted ${job.id} (${job.status}); follow it: descent job ${job.id} --follow`);
      }
      return EXIT.OK;
    }
    if (!out.json) out.note(`submitted ${job.id}; following it (Ctrl-C detaches)`);
    return followJob(ctx, job, { cancelOnInterrupt: Boolean(args.values['cancel-on-interrupt']) });
  },
};
