/**
 * Licence allow-list: every runtime dependency — the production tree of package-lock.json,
 * followed transitively, the packages `npm ci --omit=dev` installs and the Docker image ships —
 * declares a licence that licence-allow-list.json accepts. A failure names the package, its
 * version, where it sits in the tree and the licence it declares. Dev dependencies (test and
 * build tools) are not shipped and not checked.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { licenceAccepted, licenceOffenders, readAllowList, type AllowList } from '../helpers/licences.js';
import { installedLicence, productionTree, readLockfile, type Lockfile } from '../helpers/production-tree.js';

const repo = resolve(import.meta.dirname, '../..');

describe('runtime dependency licences', () => {
  it('every package of the production tree has a licence on the allow-list', () => {
    const lock = readLockfile(repo);
    const offenders = licenceOffenders(lock, readAllowList(repo), (path) => installedLicence(repo, path));
    expect(offenders, 'runtime dependencies with a licence outside licence-allow-list.json').toEqual([]);
  });

  it('the walk covers the whole production tree: the lockfile marks every other package dev-only', () => {
    // If the walk missed a branch (an edge kind it does not follow), the licence check above would
    // silently pass over it; npm's own `dev` flags are an independent account of the same set.
    const lock = readLockfile(repo);
    const walked = new Set(productionTree(lock).keys());
    const notDev = Object.entries(lock.packages)
      .filter(([path, e]) => path !== '' && !e.dev)
      .map(([path]) => path);
    expect([...walked].sort()).toEqual(notDev.sort());
    // and it reaches the direct runtime dependencies (a walk that returned nothing would pass the check)
    for (const dep of Object.keys(lock.packages['']!.dependencies ?? {}))
      expect(walked).toContain(`node_modules/${dep}`);
  });

  it('the allow-list is permissive licences only', () => {
    // Copyleft on the list would defeat the check; this pins the list's character, not its length.
    const { allowed } = readAllowList(repo);
    for (const id of allowed)
      expect(id).not.toMatch(/GPL|AGPL|LGPL|SSPL|EUPL|MPL|CDDL|EPL|BUSL|Commons-Clause/i);
  });
});

describe('the licence check itself', () => {
  const list: AllowList = { allowed: ['MIT', 'ISC', 'Apache-2.0'], exceptions: {} };
  const lock = (packages: Lockfile['packages']): Lockfile => ({ lockfileVersion: 3, packages });

  it('names a runtime package deep in the tree with a licence off the list, and its licence', () => {
    const l = lock({
      '': { dependencies: { a: '1.0.0' }, devDependencies: { t: '1' } } as Lockfile['packages'][string],
      'node_modules/a': { version: '1.0.0', license: 'MIT', dependencies: { b: '^2' } },
      'node_modules/a/node_modules/b': {
        version: '2.1.0',
        license: 'GPL-3.0-only',
        dependencies: { c: '*' },
      },
      'node_modules/c': { version: '3.0.0' },
      // a dev-only tool under a copyleft licence is not shipped: not an offender
      'node_modules/t': { version: '1.0.0', license: 'GPL-2.0', dev: true },
    });
    const installed: Record<string, string> = {};
    expect(licenceOffenders(l, list, (p) => installed[p])).toEqual([
      'b@2.1.0 (node_modules/a/node_modules/b): licence "GPL-3.0-only" is not in licence-allow-list.json',
      'c@3.0.0 (node_modules/c): declares no licence',
    ]);
    // the installed manifest supplies a licence the lockfile did not record
    installed['node_modules/c'] = 'ISC';
    expect(licenceOffenders(l, list, (p) => installed[p])).toHaveLength(1);
    // an exception, with its reason, lets one named version through
    expect(
      licenceOffenders(
        l,
        { ...list, exceptions: { 'b@2.1.0': 'dual-licensed by letter' } },
        (p) => installed[p],
      ),
    ).toEqual([]);
  });

  it('reads SPDX expressions: OR needs one side, AND both, parentheses and WITH', () => {
    const ok = new Set(list.allowed);
    expect(licenceAccepted('MIT', ok)).toBe(true);
    expect(licenceAccepted('mit', ok)).toBe(true);
    expect(licenceAccepted('(MIT OR GPL-3.0)', ok)).toBe(true);
    expect(licenceAccepted('MIT AND GPL-3.0', ok)).toBe(false);
    expect(licenceAccepted('(ISC AND (MIT OR GPL-2.0))', ok)).toBe(true);
    expect(licenceAccepted('Apache-2.0 WITH LLVM-exception', ok)).toBe(true);
    expect(licenceAccepted('GPL-2.0 WITH Classpath-exception-2.0', ok)).toBe(false);
    expect(licenceAccepted('UNLICENSED', ok)).toBe(false);
    expect(licenceAccepted('SEE LICENSE IN LICENSE.txt', ok)).toBe(false);
    expect(licenceAccepted('(MIT', ok)).toBe(false);
    expect(licenceAccepted('', ok)).toBe(false);
  });
});
