/**
 * The keys in force: those of `DESCENT_API_KEYS` plus those of `DESCENT_API_KEYS_FILE`, the file
 * read again on SIGHUP and whenever it changes (polled by stat, which also sees an editor's
 * write-to-temp-then-rename), without a restart.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { envKeyEntries, parseKeyFile, type KeyEntry, type Scope } from './key-file.js';

/** Who a key is. */
export interface Principal {
  tenant: string;
  scope: Scope;
}

/** Checks a presented key against the configured ones without leaking, through timing, how much of it matched. */
export interface KeyRing {
  /** The tenant and scope of this key, or null. */
  verify(presented: string): Principal | null;
  readonly size: number;
  /** Every tenant that has a key. */
  readonly tenants: readonly string[];
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Keys are compared as SHA-256 digests with `crypto.timingSafeEqual`: both sides are always 32
 * bytes (no length leak, no throw), and every configured key is compared on every request (no
 * early exit), so the time taken says nothing about which bytes of which key were right. A Map
 * lookup by the key itself would hash and compare strings in variable time.
 */
export function createKeyRing(keys: readonly KeyEntry[]): KeyRing {
  const entries = keys.map((k) => ({ d: digest(k.key), who: { tenant: k.tenant, scope: k.scope } }));
  return {
    size: entries.length,
    tenants: [...new Set(keys.map((k) => k.tenant))].sort(),
    verify(presented) {
      const d = digest(presented);
      let found: Principal | null = null;
      for (const e of entries) if (timingSafeEqual(d, e.d)) found = e.who;
      return found;
    },
  };
}

/** Where the store reports reloads and refused lines. */
export interface KeyStoreLog {
  info(msg: string): void;
  error(msg: string): void;
}

export interface KeyStore {
  /** The ring in force now (a new object after each reload). */
  ring(): KeyRing;
  /** True when keys are configured at all (the env variable or the file): the API then needs one. */
  readonly enabled: boolean;
  /** Read the file again now; false when it could not be read (the previous keys stay). */
  reload(): boolean;
  /** Stop watching the file and listening for SIGHUP. */
  close(): void;
}

/**
 * Open the key store. A file that cannot be read, or has any bad line, at start is an Error
 * naming the file and each bad line (the API does not start half-configured). Later, a bad line
 * is logged with its number and left out (the other lines apply: a typo revokes one key, never
 * grants one), and a file that cannot be read (mid-rename, deleted) keeps the keys in force.
 */
export function createKeyStore(opts: {
  envKeys: ReadonlyMap<string, string>;
  file: string | null;
  log: KeyStoreLog;
  /** How often the file is stat'ed (ms; default 250); a change is applied within this. 0 = never (SIGHUP only). */
  pollMs?: number;
  /** Reload on SIGHUP (the entry points want it; a test process building many apps may not). */
  sighup?: boolean;
}): KeyStore {
  const base = envKeyEntries(opts.envKeys);
  const taken = new Set(opts.envKeys.keys());
  const file = opts.file;
  let current = createKeyRing(base);
  if (!file) return { ring: () => current, enabled: base.length > 0, reload: () => true, close() {} };

  const where = `DESCENT_API_KEYS_FILE ${file}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(
      `${where} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const first = parseKeyFile(text, taken);
  if (first.problems.length)
    throw new Error(
      `${where} has bad lines: ${first.problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}`,
    );
  current = createKeyRing([...base, ...first.entries]);
  let lastText = text;

  const reload = (why: string): boolean => {
    let t: string;
    try {
      t = readFileSync(file, 'utf8');
    } catch (err) {
      opts.log.error(
        `${where} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}) on ${why}; the keys in force stay`,
      );
      return false;
    }
    if (t === lastText) return true;
    lastText = t;
    const { entries, problems } = parseKeyFile(t, taken);
    for (const p of problems) opts.log.error(`${where} line ${p.line}: ${p.message}; that line is ignored`);
    current = createKeyRing([...base, ...entries]);
    opts.log.info(
      `${where} reloaded on ${why}: ${current.size} keys for ${current.tenants.length} tenants` +
        (problems.length ? ` (${problems.length} bad lines ignored)` : ''),
    );
    return true;
  };

  const onChange = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) reload('file change');
  };
  const pollMs = opts.pollMs ?? 250;
  if (pollMs > 0) watchFile(file, { interval: pollMs, persistent: false }, onChange);
  const onHup = () => void reload('SIGHUP');
  if (opts.sighup) process.on('SIGHUP', onHup);
  return {
    ring: () => current,
    enabled: true,
    reload: () => reload('request'),
    close() {
      if (pollMs > 0) unwatchFile(file, onChange);
      if (opts.sighup) process.off('SIGHUP', onHup);
    },
  };
}
