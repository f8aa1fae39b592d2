/**
 * Validation messages a person can act on, for every zod schema of the contracts (installed once,
 * process-wide, with `z.config`; a schema's own `error:` still wins, so limit messages are untouched):
 *
 * - an unknown key suggests the nearest valid one: `Unknown key "optimiser": did you mean
 *   "optimizer"?`, `"learning_rate"` → `"lr"` (the names PyTorch and Keras users type are aliases);
 *   with no close match it lists the keys that are allowed there;
 * - a missing field says `Required`, with what it expects;
 * - a union that no variant accepts says what each variant expected and what was sent, instead
 *   of zod's bare "Invalid input".
 */
import { z } from 'zod';

/** Names users bring from other libraries, mapped to ours (suggested only where ours is allowed). */
const ALIASES: Record<string, string[]> = {
  learningrate: ['lr'],
  learnrate: ['lr'],
  eta: ['lr'],
  stepsize: ['lr'],
  beta1: ['betas'],
  beta2: ['betas'],
  epsilon: ['eps'],
  numepochs: ['epochs'],
  nepochs: ['epochs'],
  maxepochs: ['epochs'],
  iterations: ['epochs', 'steps'],
  batch: ['batchSize'],
  minibatchsize: ['batchSize'],
  layers: ['hidden'],
  hiddenlayers: ['hidden'],
  hiddensizes: ['hidden'],
  units: ['hidden'],
  activationfn: ['activation'],
  dataset: ['data'],
  optim: ['optimizer'],
  optimiser: ['optimizer'],
  scheduler: ['schedule'],
  lrscheduler: ['schedule'],
  lrschedule: ['schedule'],
  regularisation: ['regularization'],
  penalty: ['regularization'],
  l2penalty: ['l2', 'weightDecay'],
  criterion: ['loss'],
  lossfn: ['loss'],
  objective: ['loss', 'expression'],
  nesterovmomentum: ['nesterov'],
  randomseed: ['seed'],
  randomstate: ['seed'],
  valsplit: ['validationSplit'],
  validationfraction: ['validationSplit'],
};

/** Lower case without separators: `batch_size`, `batch-size` and `BatchSize` all read `batchsize`. */
const norm = (k: string) => k.toLowerCase().replace(/[_\-\s.]/g, '');

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The allowed key a user most likely meant by `key`, or null: the same name spelled another way
 * (`batch_size` → `batchSize`), a known alias (`learning_rate` → `lr`), else the nearest by edit
 * distance when it is close (at most 2 edits, and at most a third of the name).
 */
export function suggestKey(key: string, allowed: readonly string[]): string | null {
  const n = norm(key);
  const same = allowed.find((a) => norm(a) === n);
  if (same) return same;
  const alias = (ALIASES[n] ?? []).find((a) => allowed.includes(a));
  if (alias) return alias;
  let best: string | null = null;
  let bestD = Infinity;
  for (const a of allowed) {
    const dist = editDistance(n, norm(a));
    if (dist < bestD) [best, bestD] = [a, dist];
  }
  return best !== null && bestD <= Math.min(2, Math.ceil(n.length / 3)) ? best : null;
}

/** "; did you mean "adam"?" when `input` is a string close to one of `options`, else "". */
function didYouMean(input: unknown, options: readonly string[]): string {
  if (typeof input !== 'string') return '';
  const hint = suggestKey(input, options);
  return hint && hint !== input ? `; did you mean ${JSON.stringify(hint)}?` : '';
}

/** The keys an object schema allows, or [] when `inst` is not one. */
function shapeKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

/** "string ("cat")", "array", "null": what was sent, briefly. */
export function describeInput(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return `string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)})`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} (${String(v)})`;
  return typeof v;
}

interface BranchIssue {
  code: string;
  path: PropertyKey[];
  expected?: string;
  values?: unknown[];
  message: string;
}

/** "number", "array", "one of "a", "b"": what one union variant wanted at the union's own place. */
function expectedOf(branch: BranchIssue[]): string | null {
  const here = branch.filter((i) => i.path.length === 0);
  if (here.length !== branch.length || here.length === 0) return null;
  const i = here[0];
  if (i.code === 'invalid_type' && i.expected) return i.expected;
  if (i.code === 'invalid_value' && i.values)
    return `one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return null;
}

const messages: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === 'unrecognized_keys') {
    const allowed = shapeKeys(iss.inst);
    const parts = iss.keys.map((k) => {
      const hint = suggestKey(k, allowed);
      if (hint) return `Unknown key ${JSON.stringify(k)}: did you mean ${JSON.stringify(hint)}?`;
      return allowed.length
        ? `Unknown key ${JSON.stringify(k)} (allowed here: ${allowed.join(', ')})`
        : `Unknown key ${JSON.stringify(k)}`;
    });
    return parts.join('; ');
  }
  if (iss.input === undefined && iss.code === 'invalid_type') return `Required: expected ${iss.expected}`;
  if (iss.code === 'invalid_value' && iss.values.every((v) => typeof v === 'string')) {
    const list = iss.values.map((v) => JSON.stringify(v)).join(', ');
    if (iss.input === undefined) return `Required: one of ${list}`;
    return `${describeInput(iss.input)} is not one of ${list}${didYouMean(iss.input, iss.values as string[])}`;
  }
  if (iss.code === 'invalid_union') {
    const disc = (iss as { discriminator?: string }).discriminator;
    if (disc && iss.errors.length === 0) {
      const options = (iss.inst as { _zod?: { propValues?: Record<string, Set<unknown>> } })?._zod
        ?.propValues?.[disc];
      const list = options ? [...options].map((v) => JSON.stringify(v)).join(', ') : '';
      const sent = (iss.input as Record<string, unknown> | undefined)?.[disc];
      // The issue's path ends at the discriminator already (`/optimizer/type`).
      if (sent === undefined) return `Required: one of ${list}`;
      const names = options ? [...options].map(String) : [];
      return `${describeInput(sent)} is not one of ${list}${didYouMean(sent, names)}`;
    }
    const wanted = (iss.errors as BranchIssue[][]).map(expectedOf);
    if (wanted.length && wanted.every((w) => w !== null))
      return `Invalid input: expected ${[...new Set(wanted)].join(' or ')}, received ${describeInput(iss.input)}`;
  }
  return undefined;
};

z.config({ customError: messages });
