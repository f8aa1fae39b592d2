/** `descent cancel <id>`: cancel a queued or running job (idempotent). */
import type { Command } from '../command.js';
import { EXIT } from '../output.js';

export const cancel: Command = {
  name: 'cancel',
  summary: 'cancel a queued or running job',
  usage: 'descent cancel <id>',
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ args, out, client }) {
    const job = await client.jobs.cancel(args.positionals[0]);
    if (out.json) out.printJson(job);
    else out.line(`${job.id} ${job.status}`);
    return EXIT.OK;
  },
};
