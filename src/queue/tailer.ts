import type { Redis } from 'ioredis';
import type { StoredEvent } from '../contracts/events.js';
import { entryToEvent } from './job-store.js';

export type EventListener = (ev: StoredEvent) => void;

/** Called when a stream is dropped by this process (its job was deleted): no event will follow. */
export type DropListener = () => void;

/** Compare two stream ids (`ms-seq`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const d = Number(am) - Number(bm);
  return d !== 0 ? Math.sign(d) : Math.sign(Number(as ?? 0) - Number(bs ?? 0));
}

/**
 * One live tail per API process: a single blocking `XREAD` over every stream that has a
 * subscriber, on a connection of its own, fanned out in process. Blocking once per client would
 * tie up one Redis connection each. When the set of streams changes, the blocked read is cut
 * short with `CLIENT UNBLOCK` from the command connection and re-issued with the new keys.
 *
 * Per stream the tailer keeps the id it has delivered up to. A new stream starts at its current
 * last entry (read after the subscription is registered), so a subscriber that registers first and
 * then replays history with XRANGE misses nothing; it drops duplicates by id itself.
 */
export function createTailer(opts: {
  blocking: Redis;
  command: Redis;
  blockMs?: number;
  onError?: (err: unknown) => void;
}) {
  const { blocking, command } = opts;
  const blockMs = opts.blockMs ?? 5000;
  const listeners = new Map<string, Set<EventListener>>();
  const dropListeners = new Map<EventListener, DropListener>();
  const positions = new Map<string, string>();
  const pending = new Map<string, Promise<void>>();
  let clientId: number | null = null;
  let running = true;
  let blocked = false;
  let wake: (() => void) | null = null;
  let loopDone: Promise<void> | null = null;

  async function refreshClientId() {
    try {
      clientId = Number(await blocking.client('ID'));
    } catch {
      clientId = null;
    }
  }
  blocking.on('ready', () => void refreshClientId());

  /** Interrupt the current XREAD so the next one sees the new key set. */
  async function interrupt() {
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
    if (blocked && clientId !== null) {
      try {
        await command.client('UNBLOCK', clientId);
      } catch {
        /* the read ends by its own timeout */
      }
    }
  }

  async function loop() {
    await refreshClientId();
    while (running) {
      const keys = [...positions.keys()];
      if (keys.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      const ids = keys.map((k) => positions.get(k)!);
      type XReadReply = Array<[string, Array<[string, string[]]>]> | null;
      let res: XReadReply = null as XReadReply;
      try {
        blocked = true;
        res = (await blocking.xread(
          'COUNT',
          1000,
          'BLOCK',
          blockMs,
          'STREAMS',
          ...keys,
          ...ids,
        )) as typeof res;
      } catch (err) {
        if (!running) break;
        opts.onError?.(err);
        await new Promise((r) => setTimeout(r, 200));
        continue;
      } finally {
        blocked = false;
      }
      if (!res) continue;
      for (const [key, entries] of res) {
        if (!positions.has(key)) continue; // unsubscribed meanwhile
        for (const entry of entries) {
          // A key re-subscribed while this read was in flight may already be further on.
          const pos = positions.get(key);
          if (pos === undefined) break;
          if (compareIds(entry[0], pos) <= 0) continue;
          positions.set(key, entry[0]);
          const ev = entryToEvent(entry);
          for (const l of listeners.get(key) ?? []) {
            try {
              l(ev);
            } catch (err) {
              opts.onError?.(err);
            }
          }
        }
      }
    }
  }

  return {
    /** Start the read loop (idempotent). */
    start() {
      if (!loopDone) loopDone = loop();
    },

    /**
     * Register a listener on a stream. Resolves once the tail position is fixed: every entry added
     * after that point reaches the listener. `onDrop` is called if the stream is dropped (see
     * `drop`). Returns the unsubscribe function.
     */
    async subscribe(key: string, listener: EventListener, onDrop?: DropListener): Promise<() => void> {
      let set = listeners.get(key);
      const isNew = !set;
      if (!set) {
        set = new Set();
        listeners.set(key, set);
      }
      set.add(listener);
      if (isNew) {
        const fix = (async () => {
          const last = (await command.xrevrange(key, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
          if (listeners.get(key) === set) positions.set(key, last.length ? last[0][0] : '0-0');
          await interrupt();
        })();
        pending.set(key, fix);
        try {
          await fix;
        } catch (err) {
          dropListeners.delete(listener);
          set.delete(listener);
          if (set.size === 0 && listeners.get(key) === set) listeners.delete(key);
          throw err;
        } finally {
          if (pending.get(key) === fix) pending.delete(key);
        }
      } else {
        // A concurrent first subscriber is still fixing the position: wait for it.
        await pending.get(key);
      }
      if (onDrop) dropListeners.set(listener, onDrop);
      this.start();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        dropListeners.delete(listener);
        const s = listeners.get(key);
        if (!s) return;
        s.delete(listener);
        if (s.size === 0) {
          listeners.delete(key);
          positions.delete(key);
        }
      };
    },

    /**
     * The stream is gone for good (its job was deleted): stop following it and tell every
     * subscriber of this process, so an open SSE response ends now rather than pinging for ever.
     */
    drop(key: string): void {
      const set = listeners.get(key);
      if (!set) return;
      listeners.delete(key);
      positions.delete(key);
      for (const l of set) {
        const onDrop = dropListeners.get(l);
        dropListeners.delete(l);
        try {
          onDrop?.();
        } catch (err) {
          opts.onError?.(err);
        }
      }
    },

    /** Number of streams and listeners (metrics, leak tests). */
    stats() {
      let n = 0;
      for (const s of listeners.values()) n += s.size;
      return { streams: listeners.size, listeners: n };
    },

    async stop() {
      running = false;
      await interrupt();
      await loopDone?.catch(() => {});
    },
  };
}

export type Tailer = ReturnType<typeof createTailer>;
