/**
 * A task's event as the job's stream stores it. The worker adds only the envelope (jobId, attempt,
 * time): stored event = `storedEvent(e, envelope)`, in the shape of src/contracts/events.ts.
 */
import type { JobEvent } from '../contracts/events.js';
import type { TaskEvent } from './tasks/index.js';

/** The fields the worker adds to every event of an attempt. */
type EventEnvelope = 'jobId' | 'attempt' | 'time';

type WithoutEnvelope<E> = E extends unknown ? Omit<E, EventEnvelope> : never;

/** The events a task produces, as stored in the job stream less their envelope. */
export type StreamEvent = WithoutEnvelope<Extract<JobEvent, { type: 'progress' | 'epoch' | 'log' }>>;

/** JSON has no NaN or Infinity: a number that is not finite is stored as null. */
const finite = (v: number | null | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

/**
 * The stream form of a task event: non-finite numbers become null; an RL episode becomes a
 * progress event at step = epoch = episode with its own fields; the supervised progress event's
 * run totals (epochs, totalSteps) stay out (the job's progress record has them). Key order is
 * the stored order.
 */
export function toStreamEvent(e: TaskEvent): StreamEvent {
  switch (e.type) {
    case 'episode':
      return {
        type: 'progress',
        step: e.episode,
        epoch: e.episode,
        loss: null,
        lr: null,
        gradNorm: null,
        episode: e.episode,
        return: e.return,
        length: e.length,
        entropy: e.entropy,
        meanReturn100: e.meanReturn100,
      };
    case 'progress': {
      const common = {
        type: 'progress' as const,
        step: e.step,
        epoch: e.epoch,
        loss: finite(e.loss),
        lr: finite(e.lr),
        gradNorm: finite(e.gradNorm),
      };
      return 'point' in e
        ? { ...common, point: e.point, value: e.value }
        : { ...common, updateRatio: finite(e.updateRatio) };
    }
    case 'epoch': {
      const metrics: Record<string, number | null> = {};
      for (const [k, v] of Object.entries(e.metrics)) metrics[k] = finite(v);
      const ev = {
        type: 'epoch' as const,
        epoch: e.epoch,
        loss: finite(e.loss),
        valLoss: finite(e.valLoss),
        metrics,
      };
      return e.newton ? { ...ev, newton: e.newton } : ev;
    }
    case 'log':
      return { type: 'log', level: e.level, message: e.message };
  }
}

/**
 * The event as the job stream stores it: the task event's stream form in `envelope`. Key order
 * as stored: type, then the envelope, then the event's own fields.
 */
export function storedEvent(e: TaskEvent, envelope: Pick<JobEvent, EventEnvelope>): JobEvent {
  const s = toStreamEvent(e);
  return Object.assign({ type: s.type, ...envelope }, s);
}
