/**
 * The API key file (`DESCENT_API_KEYS_FILE`): one key a line, `tenant key [scope]` separated by
 * whitespace, `#` at the start of a word starts a comment (a `#` inside a key is part of it). Pure
 * parsing: reading, watching and reloading are src/api/key-store.ts.
 */

/** What a key may do: `read` GET/HEAD only, `write` everything of its tenant, `admin` also every tenant's jobs. */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** One configured key. */
export interface KeyEntry {
  key: string;
  tenant: string;
  scope: Scope;
}

/** A line the parser refused, 1-based, with why. */
export interface KeyFileProblem {
  line: number;
  message: string;
}

/**
 * Tenant names end up in Redis key names and log lines: letters, digits, `.`, `_`, `-`, at most
 * 64 characters.
 */
export const TENANT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Below this a key can be guessed; above it the `Authorization` header limit (4 KiB) refuses it anyway. */
export const KEY_MIN_LENGTH = 16;
export const KEY_MAX_LENGTH = 4000;

/**
 * Parse a key file. Bad lines are returned as problems (line number and reason) and left out;
 * good lines are kept, so one typo revokes one key rather than all of them. A key given twice is
 * a problem on its second line (which tenant would it be?), and so is a key already in `taken`
 * (the keys of `DESCENT_API_KEYS`).
 */
export function parseKeyFile(
  text: string,
  taken: ReadonlySet<string> = new Set(),
): { entries: KeyEntry[]; problems: KeyFileProblem[] } {
  const entries: KeyEntry[] = [];
  const problems: KeyFileProblem[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const words: string[] = [];
    for (const w of raw.trim().split(/[ \t]+/)) {
      if (w === '') continue;
      if (w.startsWith('#')) break;
      words.push(w);
    }
    if (words.length === 0) return;
    const bad = (message: string) => problems.push({ line, message });
    if (words.length < 2 || words.length > 3)
      return bad(`expected "tenant key [scope]", got ${words.length} word${words.length === 1 ? '' : 's'}`);
    const [tenant, key, scope = 'write'] = words;
    if (!TENANT_NAME.test(tenant))
      return bad(`tenant "${tenant.slice(0, 80)}" must be 1-64 letters, digits, ".", "_" or "-"`);
    if (key.length < KEY_MIN_LENGTH)
      return bad(
        `the key of tenant ${tenant} has ${key.length} characters; the minimum is ${KEY_MIN_LENGTH}`,
      );
    if (key.length > KEY_MAX_LENGTH)
      return bad(`the key of tenant ${tenant} has ${key.length} characters; the limit is ${KEY_MAX_LENGTH}`);
    if (!(SCOPES as readonly string[]).includes(scope))
      return bad(`scope "${scope.slice(0, 80)}" must be one of ${SCOPES.join(', ')}`);
    const first = seen.get(key);
    if (first !== undefined) return bad(`this key is already on line ${first}`);
    if (taken.has(key)) return bad('this key is already in DESCENT_API_KEYS');
    seen.set(key, line);
    entries.push({ key, tenant, scope: scope as Scope });
  });
  return { entries, problems };
}

/** The keys of `DESCENT_API_KEYS` (`tenant:key,…`, key → tenant): scope `write`. */
export function envKeyEntries(apiKeys: ReadonlyMap<string, string>): KeyEntry[] {
  return [...apiKeys].map(([key, tenant]) => ({ key, tenant, scope: 'write' as const }));
}
