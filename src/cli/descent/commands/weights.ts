/** `descent weights <id> [-o file] [--format json|safetensors]`: download a job's trained weights. */
import { writeFileSync } from 'node:fs';
import { UsageError } from '../args.js';
import { str, type Command } from '../command.js';
import { EXIT } from '../output.js';

export const weights: Command = {
  name: 'weights',
  summary: "download a succeeded job's weights (JSON or safetensors)",
  usage: 'descent weights <id> [-o <file>] [--format json|safetensors]',
  details: [
    'The format defaults to safetensors for an -o file ending in .safetensors, JSON otherwise.',
    'Without -o, JSON goes to stdout (safetensors needs -o).',
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o', value: '<file>', description: 'write to this file' },
    format: { type: 'string', value: '<format>', description: 'json | safetensors' },
  },
  positionals: { min: 1, max: 1 },
  async run({ args, out, client }) {
    const file = str(args, 'output');
    const format = str(args, 'format') ?? (file?.endsWith('.safetensors') ? 'safetensors' : 'json');
    if (format !== 'json' && format !== 'safetensors')
      throw new UsageError(`--format is json or safetensors; got "${format}"`, 'weights');
    if (format === 'safetensors' && !file)
      throw new UsageError('safetensors is binary: give a file with -o model.safetensors', 'weights');
    const id = args.positionals[0];
    if (format === 'safetensors') {
      const bytes = await client.jobs.weights(id, { format: 'safetensors' });
      writeFileSync(file!, bytes);
      if (out.json) out.printJson({ file, format, bytes: bytes.length });
      else out.note(`wrote ${file} (${bytes.length} bytes, safetensors)`);
      return EXIT.OK;
    }
    const w = await client.jobs.weights(id);
    if (!file) {
      out.printJson(w);
      return EXIT.OK;
    }
    const text = JSON.stringify(w);
    writeFileSync(file, text);
    if (out.json) out.printJson({ file, format, bytes: Buffer.byteLength(text) });
    else out.note(`wrote ${file} (${Buffer.byteLength(text)} bytes, JSON)`);
    return EXIT.OK;
  },
};
