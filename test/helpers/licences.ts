/**
 * The licence check behind test/unit/licences.test.ts: every package of the production tree must
 * declare a licence (an SPDX id or expression) that the allow-list in licence-allow-list.json
 * accepts. An expression is accepted when `A OR B` has one accepted side, `A AND B` both,
 * `A WITH exception` its licence.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { productionTree, type Lockfile } from './production-tree.js';

/** licence-allow-list.json. */
export interface AllowList {
  allowed: string[];
  /** `name@version` → why it is accepted although its licence is not in `allowed`. */
  exceptions: Record<string, string>;
}

/** Reads the repository's licence-allow-list.json. */
export function readAllowList(repo: string): AllowList {
  return JSON.parse(readFileSync(join(repo, 'licence-allow-list.json'), 'utf8')) as AllowList;
}

/**
 * Whether the SPDX expression `expr` is satisfied by the ids in `allowed` (compared without case,
 * as SPDX ids are). A malformed expression is not accepted.
 */
export function licenceAccepted(expr: string, allowed: ReadonlySet<string>): boolean {
  const tokens = expr.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const ok = new Set([...allowed].map((a) => a.toLowerCase()));
  // or := and ('OR' and)* ; and := atom ('AND' atom)* ; atom := '(' or ')' | id ['WITH' id]
  const parseOr = (): boolean => {
    let v = parseAnd();
    while (tokens[i]?.toUpperCase() === 'OR') {
      i++;
      const r = parseAnd();
      v = v || r;
    }
    return v;
  };
  const parseAnd = (): boolean => {
    let v = parseAtom();
    while (tokens[i]?.toUpperCase() === 'AND') {
      i++;
      const r = parseAtom();
      v = v && r;
    }
    return v;
  };
  const parseAtom = (): boolean => {
    const t = tokens[i++];
    if (t === undefined || t === ')') throw new Error('expected a licence');
    if (t === '(') {
      const v = parseOr();
      if (tokens[i++] !== ')') throw new Error('unbalanced parenthesis');
      return v;
    }
    if (tokens[i]?.toUpperCase() === 'WITH') i += 2;
    // `MIT+` means "MIT or later"; MIT itself being accepted is enough.
    return ok.has(t.replace(/\+$/, '').toLowerCase());
  };
  try {
    const v = parseOr();
    return i === tokens.length && v;
  } catch {
    return false;
  }
}

/**
 * Each production-tree package of `lock` whose licence the allow-list does not accept, as
 * `name@version (lockfile path): <why>` — naming the package and the licence it declares.
 * `installedLicence(path)` supplies the licence for an entry whose lockfile record has none.
 */
export function licenceOffenders(
  lock: Lockfile,
  list: AllowList,
  installedLicence: (path: string) => string | undefined,
): string[] {
  const allowed = new Set(list.allowed);
  const out: string[] = [];
  for (const p of productionTree(lock).values()) {
    const id = `${p.name}@${p.version}`;
    if (list.exceptions[id]) continue;
    const licence = p.license ?? installedLicence(p.path);
    if (licence === undefined) out.push(`${id} (${p.path}): declares no licence`);
    else if (!licenceAccepted(licence, allowed))
      out.push(`${id} (${p.path}): licence "${licence}" is not in licence-allow-list.json`);
  }
  return out.sort();
}
