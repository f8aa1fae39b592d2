/**
 * `sweeps.*` of the SDK: one method per `/v1/sweeps` call (docs/sweeps.md), the sweep's events as
 * the same resuming SSE iterator as a job's, and `wait`. Types come from the OpenAPI document.
 */
import type { components, operations } from './api-types.js';
import { streamSweepEvents, type EventsOptions, type StreamedSweepEvent } from './events.js';
import { createWithKey, sleep, type CallOptions, type CreateOptions, type Http } from './http.js';

type Schemas = components['schemas'];

/** A sweep: status, trial counts by state, the best trial so far, the budget. */
export type Sweep = Schemas['Sweep'];
/** The body of `POST /v1/sweeps` and `/v1/sweeps/validate`: a base spec, a space, a searcher. */
export type SweepRequest = operations['createSweep']['requestBody']['content']['application/json'];
export type SweepList = Schemas['SweepList'];
export type ListSweepsQuery = NonNullable<operations['listSweeps']['parameters']['query']>;
/** One row of the leaderboard. */
export type SweepTrial = Schemas['SweepTrial'];
export type SweepTrialList = Schemas['SweepTrialList'];
/** What `validate` answers: the trial count, the rungs, the worst-case epochs. */
export type SweepValidateResponse = Schemas['SweepValidateResponse'];
/** One stored sweep event with its id, as the JSON pages carry it. */
export type StoredSweepEvent = Schemas['StoredSweepEvent'];
export type SweepEventPage = Schemas['SweepEventPage'];

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const enc = encodeURIComponent;

/**
 * Poll `get` until it answers a finished record. The `end` event is appended with the final
 * record, so the first read after it normally sees the final status; the few retries cover a
 * read served before that write is visible.
 */
export async function settled<T extends { status: string }>(
  get: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  for (let i = 0; ; i++) {
    const v = await get();
    if (TERMINAL.has(v.status) || i >= 20) return v;
    await sleep(100, signal);
  }
}

/** The `sweeps` namespace of a client bound to `http`. */
export function sweepsApi(http: Http) {
  const api = {
    /**
     * `POST /v1/sweeps`: plan the sweep (every trial's spec validated) and queue its first trials
     * (201, or 200 with the same sweep for a repeated key). Sends an Idempotency-Key by default and
     * retries a lost answer under it, as `jobs.create` does: a retry never starts a second sweep.
     */
    create: (body: SweepRequest, opts: CreateOptions = {}): Promise<Sweep> =>
      createWithKey<Sweep>(http, '/v1/sweeps', body, opts),
    /** `POST /v1/sweeps/validate`: the trial count, rungs and worst-case epochs; nothing is created. */
    validate: (body: SweepRequest, opts: CallOptions = {}): Promise<SweepValidateResponse> =>
      http.json({ method: 'POST', path: '/v1/sweeps/validate', json: body, signal: opts.signal }),
    /** `GET /v1/sweeps`: one page, newest first (`nextCursor` → `after` for the next). */
    list: (query: ListSweepsQuery = {}, opts: CallOptions = {}): Promise<SweepList> =>
      http.json({ path: '/v1/sweeps', query, signal: opts.signal }),
    /** `GET /v1/sweeps/{id}`. */
    get: (id: string, opts: CallOptions = {}): Promise<Sweep> =>
      http.json({ path: `/v1/sweeps/${enc(id)}`, signal: opts.signal }),
    /** `GET /v1/sweeps/{id}/trials`: the leaderboard, best first (trials without a value last). */
    trials: async (id: string, opts: CallOptions = {}): Promise<SweepTrial[]> =>
      (await http.json<SweepTrialList>({ path: `/v1/sweeps/${enc(id)}/trials`, signal: opts.signal })).data,
    /** `POST /v1/sweeps/{id}/cancel` (idempotent): the sweep, `cancelled` (or as it ended). */
    cancel: (id: string, opts: CallOptions = {}): Promise<Sweep> =>
      http.json({ method: 'POST', path: `/v1/sweeps/${enc(id)}/cancel`, signal: opts.signal }),
    /**
     * The sweep's events (`status`, `trial`, `rung`, `best`, `end`), history first, then live,
     * until `end`; reconnects with `Last-Event-ID` and backoff exactly as `jobs.events` does.
     */
    events: (id: string, opts: EventsOptions = {}): AsyncGenerator<StreamedSweepEvent> =>
      streamSweepEvents(http, id, opts),
    /** `GET /v1/sweeps/{id}/events` as JSON: one page of the events after `after` (no waiting). */
    eventsPage: (
      id: string,
      query: { after?: string; limit?: number } = {},
      opts: CallOptions = {},
    ): Promise<SweepEventPage> =>
      http.json({ path: `/v1/sweeps/${enc(id)}/events`, query, signal: opts.signal }),
    /** Follow the sweep's events until it ends and answer the finished sweep (`onEvent` sees each). */
    wait: async (
      id: string,
      opts: EventsOptions & { onEvent?: (e: StreamedSweepEvent) => void } = {},
    ): Promise<Sweep> => {
      for await (const e of streamSweepEvents(http, id, opts)) opts.onEvent?.(e);
      return settled(() => api.get(id, opts), opts.signal);
    },
  };
  return api;
}

/** The `sweeps` namespace's methods. */
export type SweepsApi = ReturnType<typeof sweepsApi>;
