/**
 * A contained job's thread (see contained-trainer.ts): runs the real trainer on each job it is
 * sent, one at a time, relays events and checkpoints to its parent, and watches its own memory.
 */
import { parentPort } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import type { TaskCheckpoint } from '../src/train/index.js';
import { realTrainer } from './trainer.js';
import {
  OOM_EXIT_CODE,
  type FromThread,
  type ThreadInput,
  type ToThread,
} from './trainer-thread-protocol.js';

/** How often the watchdog reads heap + external memory (ms). The training loop yields every ~20 ms. */
const WATCH_MS = 25;

const MB = 1024 * 1024;

function serve(port: NonNullable<typeof parentPort>): void {
  const post = (m: FromThread) => port.postMessage(m);
  let controller: AbortController | null = null;
  const acks = new Map<number, (error?: string) => void>();
  let nextId = 0;

  async function run(input: ThreadInput): Promise<void> {
    controller = new AbortController();
    // Typed arrays (tensor storage) live outside the V8 heap, so the heap limit alone does not
    // see them: two readings in a row over the limit end the thread (one could be garbage a GC
    // is about to free).
    let strikes = 0;
    const watch = setInterval(() => {
      const h = getHeapStatistics();
      const external = (h as { external_memory?: number }).external_memory ?? 0;
      strikes = h.used_heap_size + external > input.limitBytes ? strikes + 1 : 0;
      if (strikes >= 2) {
        post({
          type: 'over',
          what: `${(h.used_heap_size / MB).toFixed(0)} MB of heap and ${(external / MB).toFixed(0)} MB of typed arrays passed it`,
        });
        process.exit(OOM_EXIT_CODE);
      }
    }, WATCH_MS);
    try {
      const outcome = await realTrainer.run(input.spec, input.data, {
        ...input.opts,
        signal: controller.signal,
        onEvent: (event) => post({ type: 'event', event }),
        onCheckpoint: (checkpoint: TaskCheckpoint) =>
          new Promise<void>((resolve, reject) => {
            const id = nextId++;
            acks.set(id, (error) => (error ? reject(new Error(error)) : resolve()));
            post({ type: 'checkpoint', id, checkpoint });
          }),
      });
      post({ type: 'done', outcome });
    } catch (err) {
      post({ type: 'crash', message: (err as Error).message });
    } finally {
      clearInterval(watch);
      controller = null;
    }
  }

  port.on('message', (m: ToThread) => {
    if (m.type === 'run') void run(m.input);
    else if (m.type === 'abort') controller?.abort();
    else if (m.type === 'ack') {
      acks.get(m.id)?.(m.error);
      acks.delete(m.id);
    }
  });
}

if (parentPort) serve(parentPort);
