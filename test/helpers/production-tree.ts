/**
 * The runtime dependency tree as package-lock.json describes it: every package a production
 * install (`npm ci --omit=dev`) puts on disk, found by walking from the root's `dependencies`
 * (and optional / peer dependencies) with Node's resolution rule over the lockfile's
 * `node_modules/…` paths. The licence test and the SBOM test both read it, so the SBOM is checked
 * against a tree computed independently of the tool that wrote it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One `packages` entry of a lockfile (v2/v3), the fields this walk reads. */
export interface LockEntry {
  name?: string;
  version?: string;
  license?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** A lockfile, as far as this walk needs it. */
export interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** A package of the production tree. */
export interface TreePackage {
  /** The lockfile key, e.g. `node_modules/fastify` or `node_modules/a/node_modules/b`. */
  path: string;
  /** The package's own name (an aliased install keeps its real name here). */
  name: string;
  version: string;
  /** The `license` the lockfile recorded, if it recorded one. */
  license?: string;
}

/** The name a lockfile key installs: what follows its last `node_modules/`. */
function nameOfPath(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/**
 * Where `dep`, required by the package at `from`, resolves: `from/node_modules/dep`, then the
 * same under each enclosing `node_modules` up to the root's — as Node's `require` looks.
 */
function resolve(lock: Lockfile, from: string, dep: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${dep}` : `${base}/node_modules/${dep}`;
    if (lock.packages[candidate]) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

/**
 * Every package a production install of `lock` contains, by lockfile path. A required
 * dependency that does not resolve throws (the lockfile would be broken); an optional one that
 * does not resolve is skipped (a platform package npm did not lock, or an optional peer).
 */
export function productionTree(lock: Lockfile): Map<string, TreePackage> {
  if (lock.lockfileVersion < 2) throw new Error(`lockfileVersion ${lock.lockfileVersion}: need 2 or 3`);
  const root = lock.packages[''];
  if (!root) throw new Error('the lockfile has no root package ("")');
  const found = new Map<string, TreePackage>();
  const queue: string[] = [''];
  while (queue.length > 0) {
    const at = queue.shift()!;
    const entry = lock.packages[at]!;
    const edges: Array<[string, boolean]> = [
      ...Object.keys(entry.dependencies ?? {}).map((d): [string, boolean] => [d, false]),
      ...Object.keys(entry.optionalDependencies ?? {}).map((d): [string, boolean] => [d, true]),
      // npm 7+ installs peer dependencies; an optional peer is installed only if something else asks for it.
      ...Object.keys(entry.peerDependencies ?? {}).map((d): [string, boolean] => [
        d,
        entry.peerDependenciesMeta?.[d]?.optional === true,
      ]),
    ];
    for (const [dep, optional] of edges) {
      let path = resolve(lock, at, dep);
      if (!path) {
        if (optional) continue;
        throw new Error(`${at || 'the root'} needs ${dep}, which the lockfile does not resolve`);
      }
      // A workspace or `file:` link points at the folder that holds the package.
      const target = lock.packages[path]!;
      if (target.link && target.resolved) path = target.resolved;
      if (found.has(path) || !lock.packages[path]) continue;
      const e = lock.packages[path]!;
      found.set(path, {
        path,
        name: e.name ?? nameOfPath(path),
        version: e.version ?? '',
        license: e.license,
      });
      queue.push(path);
    }
  }
  return found;
}

/** Reads the repository's package-lock.json. */
export function readLockfile(repo: string): Lockfile {
  return JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as Lockfile;
}

/**
 * The licence a package declares in its installed package.json, for the few whose lockfile
 * entry has none (npm copies only a string `license`; old manifests use `licenses: [{type}]` or
 * `license: {type}`). Undefined when it is not installed or declares none.
 */
export function installedLicence(repo: string, path: string): string | undefined {
  const manifest = join(repo, path, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as {
    license?: string | { type?: string };
    licenses?: Array<{ type?: string }> | string;
  };
  if (typeof m.license === 'string') return m.license;
  if (m.license && typeof m.license.type === 'string') return m.license.type;
  if (typeof m.licenses === 'string') return m.licenses;
  if (Array.isArray(m.licenses) && m.licenses.length > 0) {
    const types = m.licenses.map((l) => l.type).filter((t): t is string => typeof t === 'string');
    // Several entries in the old array form meant the user may choose among them.
    if (types.length > 0) return types.length === 1 ? types[0] : `(${types.join(' OR ')})`;
  }
  return undefined;
}
