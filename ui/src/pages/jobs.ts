/**
 * The job list: newest first, filtered by status and metadata (`key=value`), a page at a time
 * (cursor paging), with Cancel on unfinished jobs. Status changes arrive live from the tenant's
 * job status feed (`GET /v1/jobs/events`, SSE, resumed with Last-Event-ID after a dropped
 * connection): a row takes the new status at once, then is read again for the rest (duration,
 * result, actions); a job the page does not show yet (a new one) reloads the first page.
 *
 * Never stale: feed events are in order, and every read of a job or of the list that started
 * before the job's latest event is not applied to that job (a newer read follows). A resume point
 * the feed no longer keeps (409) reloads the list and follows the feed afresh.
 */
import { ApiProblem, api } from '../api.js';
import { followStream } from '../sse.js';
import { h } from '../dom.js';
import type { Page } from '../router.js';
import { TERMINAL, finalMetric, jobDuration, modelOf, optimizerOf, statusBadge, taskOf, type Job } from '../jobs-common.js';

const STATUSES = ['', 'queued', 'running', 'paused', 'succeeded', 'failed', 'cancelling', 'cancelled'];
/** A burst of events costs one read: reads wait this long for more. */
const SETTLE_MS = 150;

export const jobsPage: Page = {
  pattern: /^\/jobs\/?$/,
  title: 'Jobs',
  nav: { label: 'Jobs', path: '/jobs' },
  async render(root, { query, signal }) {
    const status = query.get('status') ?? '';
    const meta = query.get('metadata') ?? '';
    const after = query.get('after') ?? '';
    const statusSel = h(
      'select',
      { id: 'f-status', name: 'status' },
      ...STATUSES.map((s) => h('option', { value: s, selected: s === status, text: s || 'any' })),
    );
    const metaIn = h('input', { id: 'f-meta', name: 'metadata', value: meta, placeholder: 'key=value' });
    const filters = h(
      'form',
      {
        class: 'filters',
        role: 'search',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const q = new URLSearchParams();
          if (statusSel.value) q.set('status', statusSel.value);
          if (metaIn.value.trim()) q.set('metadata', metaIn.value.trim());
          location.hash = `#/jobs${q.size ? `?${q}` : ''}`;
        },
      },
      h('label', { for: 'f-status', text: 'Status' }),
      statusSel,
      h('label', { for: 'f-meta', text: 'Metadata' }),
      metaIn,
      h('button', { type: 'submit', text: 'Filter' }),
    );
    const tbody = h('tbody');
    const table = h(
      'table',
      { class: 'jobs', id: 'jobs-table', 'data-feed': 'connecting', 'data-feed-events': '0', 'data-reconnects': '0' },
      h('caption', { text: 'Jobs, newest first' }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Job', 'Status', 'Task', 'Model', 'Optimizer', 'Created', 'Duration', 'Result', 'Actions'].map((t) =>
            h('th', { scope: 'col', text: t }),
          ),
        ),
      ),
      tbody,
    );
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
    const error = h('div', { role: 'status', class: 'muted' });
    root.append(
      h('h1', { text: 'Jobs' }),
      h('p', {}, h('a', { href: '#/jobs/new', class: 'button', text: 'New job' })),
      filters,
      table,
      pager,
      error,
    );

    const params = new URLSearchParams({ limit: '20' });
    if (status) params.set('status', status);
    if (after) params.set('after', after);
    if (meta) {
      const i = meta.indexOf('=');
      if (i > 0) params.set(`metadata.${meta.slice(0, i)}`, meta.slice(i + 1));
    }

    const row = (j: Job) =>
      h(
        'tr',
        { 'data-job': j.id },
        h('td', {}, h('a', { href: `#/jobs/${j.id}`, text: j.id })),
        h('td', {}, statusBadge(j.status)),
        h('td', { text: taskOf(j) }),
        h('td', { text: modelOf(j) }),
        h('td', { text: optimizerOf(j) }),
        h('td', {}, h('time', { datetime: j.createdAt, text: new Date(j.createdAt).toLocaleString() })),
        h('td', { text: jobDuration(j) }),
        h('td', { text: finalMetric(j) }),
        h(
          'td',
          {},
          TERMINAL.has(j.status) || j.status === 'cancelling'
            ? ''
            : h('button', {
                type: 'button',
                class: 'cancel',
                'aria-label': `Cancel ${j.id}`,
                text: 'Cancel',
                onclick: async (e: Event) => {
                  (e.currentTarget as HTMLButtonElement).disabled = true;
                  await api(`/v1/jobs/${j.id}/cancel`, { method: 'POST' }).catch((err) => (error.textContent = err.message));
                  // The feed brings `cancelling` (and the end); read it now too, in case it is slow.
                  refetchSoon(j.id);
                },
              }),
        ),
      );

    /** The rows shown, in the list's order, by job id. */
    let shown: Job[] = [];
    /** Feed events applied so far (a clock), and per job the clock at its latest event. */
    let clock = 0;
    const touched = new Map<string, number>();

    const render = () =>
      tbody.replaceChildren(
        ...(shown.length ? shown.map(row) : [h('tr', {}, h('td', { colspan: 9, class: 'muted', text: 'No jobs.' }))]),
      );

    async function load(): Promise<void> {
      const startedAt = clock;
      const page = await api(`/v1/jobs?${params}`, { signal });
      if (signal.aborted) return;
      const old = new Map(shown.map((j) => [j.id, j]));
      // A job that changed since this read began keeps what its events said; it is read again.
      shown = page.data.map((j: Job) => {
        const seen = old.get(j.id);
        if (seen && (touched.get(j.id) ?? -1) >= startedAt) {
          refetchSoon(j.id);
          return seen;
        }
        return j;
      });
      render();
      pager.replaceChildren(
        after ? h('a', { href: `#/jobs${status ? `?status=${status}` : ''}`, text: 'First page' }) : '',
        ' ',
        page.hasMore && page.nextCursor
          ? h('a', {
              href: `#/jobs?${new URLSearchParams({ ...(status ? { status } : {}), ...(meta ? { metadata: meta } : {}), after: page.nextCursor })}`,
              rel: 'next',
              text: 'Next page',
            })
          : '',
      );
    }

    /** Read one job again, unless another event of it arrives while the read is under way. */
    async function refetch(id: string): Promise<void> {
      const startedAt = clock;
      const j: Job | null = await api(`/v1/jobs/${id}`, { signal }).catch(() => null);
      if (!j || signal.aborted || (touched.get(id) ?? -1) > startedAt) return;
      const i = shown.findIndex((r) => r.id === id);
      if (i < 0) return;
      shown[i] = j;
      render();
    }

    const timers = new Map<string, ReturnType<typeof setTimeout>>();
    function soon(key: string, fn: () => Promise<void>): void {
      if (timers.has(key)) return;
      timers.set(
        key,
        setTimeout(() => {
          timers.delete(key);
          void fn().catch(() => {});
        }, SETTLE_MS),
      );
    }
    const refetchSoon = (id: string) => soon(id, () => refetch(id));
    signal.addEventListener('abort', () => timers.forEach((t) => clearTimeout(t)));

    function onStatus(jobId: string, next: string): void {
      clock++;
      touched.set(jobId, clock);
      const i = shown.findIndex((r) => r.id === jobId);
      if (i >= 0) {
        shown[i] = { ...shown[i], status: next };
        render();
        refetchSoon(jobId);
      } else if (!after && (!status || status === next)) soon('list', load);
    }

    // The first read surfaces a refused key or an unreachable API as the page's error.
    await load();
    // Follow the feed for as long as the page is open; a 409 (resume point gone) starts afresh.
    void (async () => {
      let events = 0;
      while (!signal.aborted) {
        try {
          await followStream('/v1/jobs/events', {
            signal,
            onState(state, reconnects) {
              // Read the list once the feed is connected: a change between the first read and the
              // connection is then in this read or in the feed (which starts at its end).
              if (state === 'live' && reconnects === 0) void load().catch(() => {});
              table.dataset.feed = state;
              table.dataset.reconnects = String(reconnects);
            },
            onEvent({ data: d }) {
              if (d.type !== 'status' || typeof d.jobId !== 'string') return;
              table.dataset.feedEvents = String(++events);
              onStatus(d.jobId, d.status);
            },
          });
          return;
        } catch (err) {
          if (!(err instanceof ApiProblem) || err.status !== 409) {
            table.dataset.feed = 'failed';
            if (err instanceof ApiProblem && err.status !== 401) error.textContent = `Live updates stopped: ${err.message}`;
            return;
          }
          await load().catch(() => {});
        }
      }
    })();
  },
};
