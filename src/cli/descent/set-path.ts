/**
 * `--set path=value`: one field of a JSON request changed from the command line. `train` sets
 * JobSpec fields (`optimizer.lr=0.01`); `sweep create|validate` sets fields of the sweep request,
 * whose `space` keys are themselves dotted JobSpec paths, so a `space.…` assignment is read as
 * space key + dimension kind instead of being split at every dot.
 */
import { UsageError } from './args.js';

/** The dimension kinds of a sweep's space (docs/sweeps.md, src/contracts/sweep.ts). */
const DIMENSION_KINDS = new Set(['grid', 'choice', 'uniform', 'logUniform', 'intUniform']);

/** `path=value` split, the value read as JSON when it parses (`0.01`, `[32,16]`), else a string. */
function parseAssignment(assignment: string, command: string): { path: string; value: unknown } {
  const eq = assignment.indexOf('=');
  if (eq <= 0)
    throw new UsageError(`--set takes path=value (e.g. optimizer.lr=0.01); got "${assignment}"`, command);
  const raw = assignment.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    /* a bare string: `adam` */
  }
  return { path: assignment.slice(0, eq), value };
}

/** Set `value` at the dotted `keys` of `target`, creating objects on the way. */
function setAt(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (next === null || typeof next !== 'object') node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

/**
 * Set `path` (dotted, `optimizer.lr`, `model.hidden.0`) in `spec` to the assignment's value, read
 * as JSON when it parses (`0.01`, `true`, `[32,16]`, `"full"`) and as a plain string otherwise.
 */
export function setPath(spec: Record<string, unknown>, assignment: string, command = 'train'): void {
  const { path, value } = parseAssignment(assignment, command);
  setAt(spec, path.split('.'), value);
}

/**
 * `--set` for a sweep request. Outside `space` it is {@link setPath} (`spec.training.epochs=5`,
 * `maxConcurrentTrials=2`). Inside, the key is a dotted JobSpec path itself:
 * `space.optimizer.lr.grid=[0.01,0.1]` replaces the dimension `space["optimizer.lr"]` by
 * `{ grid: [0.01, 0.1] }` (a dimension has exactly one kind), and a path not ending in a kind sets
 * the whole dimension: `space.optimizer.weightDecay={"grid":[0,0.01]}`.
 */
export function setSweepPath(req: Record<string, unknown>, assignment: string, command: string): void {
  const { path, value } = parseAssignment(assignment, command);
  const keys = path.split('.');
  if (keys[0] !== 'space' || keys.length < 2) return setAt(req, keys, value);
  if (req.space === null || typeof req.space !== 'object' || Array.isArray(req.space)) req.space = {};
  const space = req.space as Record<string, unknown>;
  const kind = keys[keys.length - 1];
  if (keys.length > 2 && DIMENSION_KINDS.has(kind)) space[keys.slice(1, -1).join('.')] = { [kind]: value };
  else space[keys.slice(1).join('.')] = value;
}
