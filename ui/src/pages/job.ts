/**
 * One job, live: its charts fed by the SSE stream (resumed with Last-Event-ID after a dropped
 * connection), status, spec (copy, clone and edit), event log, checkpoints, result panels,
 * weights downloads and a predict box. Minimize jobs get the contour plot with the trajectory,
 * reinforce jobs the return per episode with its 100-episode mean and the solved line.
 */
import { api, download } from '../api.js';
import { h, fmt, section } from '../dom.js';
import { LiveChart } from '../chart.js';
import { SOLVED_COLOR } from '../palette.js';
import { followEvents, type StreamEvent } from '../sse.js';
import type { Page } from '../router.js';
import { TERMINAL, jobDuration, modelOf, optimizerOf, statusBadge, taskOf, type Job } from '../jobs-common.js';
import { ContourPanel } from '../panels/contour.js';
import { resultPanels } from '../panels/results.js';

/** Solved thresholds of the environments that have one (src/rl/envs/*.ts `solvedThreshold`). */
const SOLVED: Record<string, number> = { cartpole: 195 };
const LOG_LINES = 200;

/** The charts of a task, and how a progress / epoch event feeds them. */
interface TaskCharts {
  progress(d: StreamEvent['data']): void;
  epoch?(d: StreamEvent['data']): void;
  destroy(): void;
}

function supervisedCharts(parent: HTMLElement): TaskCharts {
  const loss = new LiveChart(parent, { id: 'chart-loss', title: 'Training loss per step', xLabel: 'step', series: [{ label: 'loss' }] });
  const epochs = new LiveChart(parent, {
    id: 'chart-epoch',
    title: 'Loss per epoch',
    xLabel: 'epoch',
    series: [{ label: 'training' }, { label: 'validation' }],
  });
  const lr = new LiveChart(parent, { id: 'chart-lr', title: 'Learning rate', xLabel: 'step', series: [{ label: 'lr' }] });
  const grad = new LiveChart(parent, {
    id: 'chart-grad',
    title: 'Gradient norm and update ratio (log scale)',
    xLabel: 'step',
    logY: true,
    series: [{ label: '‖g‖' }, { label: '‖Δθ‖/‖θ‖' }],
  });
  let metrics: LiveChart | null = null;
  let names: string[] = [];
  const newton: HTMLTableSectionElement = h('tbody');
  let newtonTable: HTMLElement | null = null;
  return {
    progress(d) {
      loss.push(d.step, [d.loss]);
      lr.push(d.step, [d.lr]);
      grad.push(d.step, [d.gradNorm, d.updateRatio]);
    },
    epoch(d) {
      epochs.push(d.epoch, [d.loss, d.valLoss]);
      if (!metrics && Object.keys(d.metrics ?? {}).length) {
        names = Object.keys(d.metrics);
        metrics = new LiveChart(parent, { id: 'chart-metrics', title: 'Metrics per epoch', xLabel: 'epoch', series: names.map((label) => ({ label })) });
      }
      metrics?.push(d.epoch, names.map((n) => d.metrics[n]));
      if (d.newton) {
        if (!newtonTable) {
          const cols = Object.keys(d.newton);
          newtonTable = h(
            'table',
            { id: 'newton' },
            h('caption', { text: "Newton's method per epoch" }),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'epoch' }), ...cols.map((c) => h('th', { scope: 'col', text: c })))),
            newton,
          );
          parent.append(newtonTable);
        }
        newton.append(h('tr', {}, h('td', { text: d.epoch }), ...Object.values(d.newton).map((v) => h('td', { text: fmt(v) }))));
      }
    },
    destroy() {
      for (const c of [loss, epochs, lr, grad, metrics]) c?.destroy();
    },
  };
}

function minimizeCharts(parent: HTMLElement, job: Job, signal: AbortSignal): TaskCharts {
  const contour = new ContourPanel(job.id, Object.keys(job.spec.start ?? {}), signal);
  const twoVars = Object.keys(job.spec.start ?? {}).length === 2;
  if (twoVars) parent.append(contour.el);
  const value = new LiveChart(parent, { id: 'chart-value', title: 'Objective per step', xLabel: 'step', series: [{ label: 'f' }] });
  const grad = new LiveChart(parent, { id: 'chart-grad', title: 'Gradient norm (log scale)', xLabel: 'step', logY: true, series: [{ label: '‖∇f‖' }] });
  return {
    progress(d) {
      value.push(d.step, [d.value ?? d.loss]);
      grad.push(d.step, [d.gradNorm]);
      if (twoVars && d.point) contour.add(d.point);
    },
    destroy() {
      value.destroy();
      grad.destroy();
    },
  };
}

function reinforceCharts(parent: HTMLElement, job: Job): TaskCharts {
  const threshold = SOLVED[job.spec.env?.type as string];
  const ret = new LiveChart(parent, {
    id: 'chart-return',
    title: 'Return per episode',
    xLabel: 'episode',
    height: 260,
    series: [
      { label: 'return' },
      { label: 'mean of last 100' },
      ...(threshold !== undefined ? [{ label: `solved (${threshold})`, color: SOLVED_COLOR, dash: true }] : []),
    ],
  });
  const entropy = new LiveChart(parent, { id: 'chart-entropy', title: 'Policy entropy', xLabel: 'episode', series: [{ label: 'entropy (nats)' }] });
  return {
    progress(d) {
      const ep = d.episode ?? d.step;
      ret.push(ep, [d.return, d.meanReturn100, ...(threshold !== undefined ? [threshold] : [])]);
      entropy.push(ep, [d.entropy]);
    },
    destroy() {
      ret.destroy();
      entropy.destroy();
    },
  };
}

export const jobPage: Page = {
  pattern: /^\/jobs\/(job_[0-9a-z]+)$/,
  title: 'Job',
  async render(root, { params: [id], signal }) {
    let job: Job = await api(`/v1/jobs/${id}`, { signal });
    const task = taskOf(job);
    document.title = `${id} · Descent`;

    const badge = h('span', { id: 'status' }, statusBadge(job.status));
    const streamState = h('span', { id: 'stream-state', class: 'muted', 'data-reconnects': '0', 'data-connections': '0' });
    // Connections made so far: a resume that replays straight to `end` is 'live' for a moment only,
    // too short to watch for, but it still counts here.
    let connections = 0;
    const facts = h('p', { id: 'facts' });
    const actions = h('div', { class: 'actions' });
    const charts = h('div', { class: 'charts', id: 'charts', 'data-progress-events': '0' });
    const results = h('div', { id: 'results' });
    const logList = h('ol', { id: 'event-log', class: 'log', tabindex: 0, 'aria-label': 'Events of this job' });
    const checkpoints = h('tbody');
    const downloads = h('div', { id: 'downloads' });
    const predictOut = h('pre', { id: 'predict-out', 'aria-live': 'polite' });

    const showFacts = () =>
      facts.replaceChildren(
        `${task} · ${modelOf(job)} · ${optimizerOf(job)} · created ${new Date(job.createdAt).toLocaleString()} · duration ${jobDuration(job)} · attempt ${job.attempt}`,
        job.error ? h('span', { class: 'error', text: ` · ${job.error.code}: ${job.error.message}` }) : '',
      );
    const showActions = () => {
      actions.replaceChildren(
        TERMINAL.has(job.status) || job.status === 'cancelling'
          ? ''
          : h('button', {
              type: 'button',
              id: 'cancel',
              text: 'Cancel job',
              onclick: () => void api(`/v1/jobs/${id}/cancel`, { method: 'POST' }).catch(() => {}),
            }),
        h('a', { class: 'button', href: `#/jobs/new?from=${id}`, text: 'Clone and edit' }),
      );
      downloads.replaceChildren();
      if (job.status === 'succeeded' && task === 'supervised')
        downloads.append(
          h('button', { type: 'button', id: 'dl-json', text: 'Weights (JSON)', onclick: () => void download(`/v1/jobs/${id}/weights?format=json`, `${id}.json`) }),
          ' ',
          h('button', {
            type: 'button',
            id: 'dl-safetensors',
            text: 'Weights (safetensors)',
            onclick: () => void download(`/v1/jobs/${id}/weights?format=safetensors`, `${id}.safetensors`),
          }),
        );
    };

    const specText = JSON.stringify(job.spec, null, 2);
    const copyState = h('span', { role: 'status', class: 'muted' });
    const predictIn = h('textarea', { id: 'predict-in', rows: 3, cols: 60, spellcheck: 'false' });
    predictIn.value = '[[5.1, 3.5, 1.4, 0.2]]';
    root.append(
      h('h1', {}, `Job ${id} `, badge),
      facts,
      actions,
      streamState,
      section('Charts', charts),
      results,
      section(
        'Spec',
        h('button', {
          type: 'button',
          text: 'Copy',
          onclick: () =>
            navigator.clipboard.writeText(specText).then(
              () => (copyState.textContent = ' copied'),
              () => (copyState.textContent = ' copy failed (clipboard not allowed here)'),
            ),
        }),
        copyState,
        h('pre', { id: 'spec-json', tabindex: 0, text: specText }),
      ),
      section(
        'Checkpoints',
        h('table', {}, h('thead', {}, h('tr', {}, ...['Step', 'Epoch', 'Saved'].map((t) => h('th', { scope: 'col', text: t })))), checkpoints),
      ),
      task === 'supervised'
        ? section(
            'Weights and predictions',
            downloads,
            h('label', { for: 'predict-in', text: 'Inputs (JSON rows)' }),
            predictIn,
            h('button', {
              type: 'button',
              id: 'predict',
              text: 'Predict',
              onclick: async () => {
                try {
                  const res = await api(`/v1/jobs/${id}/predict`, { method: 'POST', json: { inputs: JSON.parse(predictIn.value) } });
                  predictOut.textContent = JSON.stringify(res, null, 2);
                } catch (err) {
                  predictOut.textContent = (err as Error).message;
                }
              },
            }),
            predictOut,
          )
        : '',
      section('Event log', logList),
    );
    showFacts();
    showActions();

    const taskCharts =
      task === 'minimize' ? minimizeCharts(charts, job, signal) : task === 'reinforce' ? reinforceCharts(charts, job) : supervisedCharts(charts);
    signal.addEventListener('abort', () => taskCharts.destroy());

    let ckTimer: ReturnType<typeof setTimeout> | null = null;
    const loadCheckpoints = async () => {
      ckTimer = null;
      const list = await api(`/v1/jobs/${id}/checkpoints`, { signal }).catch(() => null);
      if (!list) return;
      checkpoints.replaceChildren(
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        ...list.data.map((c: any) => h('tr', {}, h('td', { text: c.step }), h('td', { text: c.epoch }), h('td', { text: c.savedAt ?? c.time ?? '' }))),
      );
    };
    void loadCheckpoints();

    const refreshJob = async () => {
      job = await api(`/v1/jobs/${id}`, { signal });
      badge.replaceChildren(statusBadge(job.status));
      showFacts();
      showActions();
      if (job.result) results.replaceChildren(...resultPanels(job.result, task));
    };
    if (job.result) results.replaceChildren(...resultPanels(job.result, task));

    let progressEvents = 0;
    const log = (ev: StreamEvent) => {
      const d = ev.data;
      const what =
        d.type === 'status' || d.type === 'end'
          ? `${d.type}: ${d.status}`
          : d.type === 'epoch'
            ? `epoch ${d.epoch}: loss ${fmt(d.loss)}, validation ${fmt(d.valLoss)}`
            : d.type === 'checkpoint'
              ? `checkpoint at step ${d.step}`
              : d.type === 'log'
                ? `${d.level}: ${d.message}`
                : d.type;
      logList.append(h('li', {}, h('time', { datetime: d.time, text: new Date(d.time).toLocaleTimeString() }), ` ${what}`));
      while (logList.childElementCount > LOG_LINES) logList.firstElementChild!.remove();
    };

    await followEvents(id, {
      signal,
      onState(state, reconnects) {
        if (state === 'live') streamState.dataset.connections = String(++connections);
        streamState.dataset.state = state;
        streamState.dataset.reconnects = String(reconnects);
        streamState.textContent = state === 'live' ? 'live' : state === 'reconnecting' ? 'connection lost, reconnecting…' : 'stream ended';
      },
      onEvent(ev) {
        const d = ev.data;
        if (d.type === 'progress') {
          progressEvents++;
          charts.dataset.progressEvents = String(progressEvents);
          taskCharts.progress(d);
          return;
        }
        log(ev);
        if (d.type === 'epoch') taskCharts.epoch?.(d);
        else if (d.type === 'status') {
          job = { ...job, status: d.status };
          badge.replaceChildren(statusBadge(d.status));
          showActions();
        } else if (d.type === 'checkpoint' && !ckTimer) ckTimer = setTimeout(() => void loadCheckpoints(), 1000);
        else if (d.type === 'end') void refreshJob().then(loadCheckpoints).catch(() => {});
      },
    });
  },
};
