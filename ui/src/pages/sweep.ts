/**
 * One sweep, live: the leaderboard (trials ranked by the sweep's metric, as GET /v1/sweeps/{id}/trials
 * ranks them), the best-so-far curve, the parallel-coordinates plot of params → metric, and the
 * rungs (per rung the trials that reached it, their value there, and which were promoted). The
 * sweep's SSE stream drives it: each `rung` event is a point of the curve, and after each burst of
 * events the sweep and its leaderboard are read again (the API's ranking is the one shown; the
 * page never re-ranks).
 */
import { api } from '../api.js';
import { h, fmt, section } from '../dom.js';
import { LiveChart } from '../chart.js';
import { followStream } from '../sse.js';
import type { Page } from '../router.js';
import { statusBadge } from '../jobs-common.js';
import { ParallelCoords, type TrialRow } from '../panels/parallel-coords.js';

/** Re-read the sweep at most this often while events arrive. */
const REFRESH_MS = 250;

const showParam = (v: unknown) => (typeof v === 'number' ? fmt(v) : JSON.stringify(v));

/** Whether trial `t` was promoted out of rung `k` (its processed rung is above, or it trains the next one). */
const promotedFrom = (t: TrialRow, k: number) => t.rung !== null && (t.rung > k || (t.rung === k && t.status === 'promoted'));

export const sweepPage: Page = {
  pattern: /^\/sweeps\/(swp_[0-9a-z]+)$/,
  title: 'Sweep',
  async render(root, { params: [id], signal }) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let sweep: any = await api(`/v1/sweeps/${id}`, { signal });
    document.title = `${id} · Descent`;
    const keys = Object.keys(sweep.space);
    const better = sweep.mode === 'max' ? (a: number, b: number) => b - a : (a: number, b: number) => a - b;

    const badge = h('span', { id: 'status' }, statusBadge(sweep.status));
    const facts = h('p', { id: 'facts' });
    const streamState = h('span', { id: 'stream-state', class: 'muted', 'data-reconnects': '0' });
    const board = h('tbody');
    const rungsBox = h('div', { id: 'rungs' });
    const charts = h('div', { class: 'charts', id: 'charts', 'data-rung-events': '0' });
    root.append(
      h('h1', {}, `Sweep ${id} `, badge),
      facts,
      streamState,
      section(
        'Leaderboard',
        h(
          'table',
          { id: 'leaderboard' },
          h('caption', { text: `Trials ranked by ${sweep.metric} (${sweep.mode === 'max' ? 'highest' : 'lowest'} first)` }),
          h(
            'thead',
            {},
            h('tr', {}, ...['Rank', 'Trial', ...keys, 'Status', 'Rung', 'Epochs', sweep.metric].map((t) => h('th', { scope: 'col', text: t }))),
          ),
          board,
        ),
      ),
      section('Charts', charts),
      section('Rungs', rungsBox),
    );

    const bestChart = new LiveChart(charts, {
      id: 'chart-best',
      title: `${sweep.metric} per processed result`,
      xLabel: 'result',
      series: [{ label: 'best so far' }, { label: 'this result' }, { label: 'leader now', dash: true }],
    });
    const par = new ParallelCoords(sweep.space, sweep.metric, sweep.mode);
    charts.append(par.el);
    signal.addEventListener('abort', () => bestChart.destroy());

    /** Every processed segment's value, by rung then trial (from the `rung` events). */
    const rungValues = new Map<number, Map<number, number | null>>();
    let rows: TrialRow[] = [];

    const showFacts = () => {
      const c = sweep.counts;
      facts.replaceChildren(
        `${sweep.searcher.type} · ${sweep.metric} (${sweep.mode}) · ${c.total} trials: ${c.running + c.promoted} running, ${c.paused} paused, ${c.succeeded} succeeded, ${c.stopped} stopped, ${c.failed} failed, ${c.pending} pending · epochs ${sweep.budget.epochsUsed} of at most ${sweep.budget.epochsMax}`,
        sweep.best ? ` · best ${fmt(sweep.best.value)} (trial #${rows.find((r) => r.trialId === sweep.best.trialId)?.index ?? '?'})` : '',
      );
    };

    const trialCell = (t: TrialRow) =>
      h('td', {}, t.jobId ? h('a', { href: `#/jobs/${t.jobId}`, text: `#${t.index}`, 'aria-label': `trial ${t.index}, job ${t.jobId}` }) : `#${t.index}`);

    const showBoard = () =>
      board.replaceChildren(
        ...rows.map((t, i) =>
          h(
            'tr',
            { 'data-trial': t.index, 'data-status': t.status },
            h('td', { text: i + 1 }),
            trialCell(t),
            ...keys.map((k) => h('td', { text: showParam(t.params[k]) })),
            h('td', {}, statusBadge(t.status)),
            h('td', { text: t.rung === null ? '—' : `${t.rung} (${sweep.rungs[t.rung]} epochs)` }),
            h('td', { text: t.epochs }),
            h('td', { text: fmt(t.value) }),
          ),
        ),
      );

    const showRungs = () =>
      rungsBox.replaceChildren(
        ...sweep.rungs.map((epochs: number, k: number) => {
          const at = rows.filter((t) => t.rung !== null && t.rung >= k);
          const val = (t: TrialRow) => rungValues.get(k)?.get(t.index) ?? (t.rung === k ? t.value : null);
          at.sort((a, b) => {
            const va = val(a);
            const vb = val(b);
            if (va === null || vb === null) return va === vb ? a.index - b.index : va === null ? 1 : -1;
            return better(va, vb) || a.index - b.index;
          });
          const promoted = at.filter((t) => promotedFrom(t, k)).length;
          const last = k === sweep.rungs.length - 1;
          return h(
            'table',
            { class: 'rung', id: `rung-${k}`, 'data-rung': k, 'data-trials': at.length, 'data-promoted': promoted },
            h('caption', { text: `Rung ${k}: ${epochs} epoch${epochs === 1 ? '' : 's'} · ${at.length} trial${at.length === 1 ? '' : 's'}${last ? '' : ` · ${promoted} promoted`}` }),
            h('thead', {}, h('tr', {}, ...['Trial', ...keys, sweep.metric, last ? 'Status' : 'Promoted'].map((t) => h('th', { scope: 'col', text: t })))),
            h(
              'tbody',
              {},
              ...at.map((t) =>
                h(
                  'tr',
                  { 'data-trial': t.index, 'data-promoted': String(promotedFrom(t, k)) },
                  trialCell(t),
                  ...keys.map((p) => h('td', { text: showParam(t.params[p]) })),
                  h('td', { text: fmt(val(t)) }),
                  h('td', { text: last ? t.status : promotedFrom(t, k) ? 'promoted' : '—' }),
                ),
              ),
            ),
          );
        }),
      );

    const refresh = async () => {
      const [s, trials] = await Promise.all([api(`/v1/sweeps/${id}`, { signal }), api(`/v1/sweeps/${id}/trials`, { signal })]);
      if (signal.aborted) return;
      sweep = s;
      rows = trials.data;
      badge.replaceChildren(statusBadge(sweep.status));
      showFacts();
      showBoard();
      par.update(rows);
      showRungs();
      root.dataset.refreshedAt = String(performance.now());
    };
    await refresh();

    let timer: ReturnType<typeof setTimeout> | null = null;
    const refreshSoon = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void refresh().catch(() => {});
      }, REFRESH_MS);
    };
    signal.addEventListener('abort', () => timer && clearTimeout(timer));

    // The curve: a point per processed result (a `rung` event): the best value of any result so
    // far, this result's, and the leader's current value (the scheduler's `best`: the trial ranked
    // first, whose value is the one at its last rung, so it can drop when the leader's next rung
    // does worse). Drawn once that result's `best` (which follows its `rung` and `trial` events in
    // the same decision) is known.
    let results = 0;
    let leader: number | null = null;
    let bestSoFar: number | null = null;
    let pending: number | null | undefined;
    const flush = () => {
      if (pending === undefined) return;
      results++;
      if (pending !== null && (bestSoFar === null || better(pending, bestSoFar) < 0)) bestSoFar = pending;
      bestChart.push(results, [bestSoFar, pending, leader]);
      charts.dataset.rungEvents = String(results);
      pending = undefined;
    };

    await followStream(`/v1/sweeps/${id}/events`, {
      signal,
      onState(state, reconnects) {
        streamState.dataset.state = state;
        streamState.dataset.reconnects = String(reconnects);
        streamState.textContent = state === 'live' ? 'live' : state === 'reconnecting' ? 'connection lost, reconnecting…' : 'sweep ended';
        if (state === 'ended') {
          flush();
          void refresh().then(() => (streamState.dataset.final = 'true')).catch(() => {});
        }
      },
      onEvent({ data: d }) {
        if (d.type === 'rung') {
          flush();
          pending = d.value;
          if (!rungValues.has(d.rung)) rungValues.set(d.rung, new Map());
          rungValues.get(d.rung)!.set(d.trial, d.value);
        } else if (d.type === 'best') leader = d.value;
        else if (d.type === 'end') flush();
        refreshSoon();
      },
    });
  },
};
