/**
 * What a finished job reports, as panels: summary numbers, input sensitivity as a ranked bar chart,
 * curvature, confusion matrix and per-class scores, and a minimize job's Hessian eigenvalues and
 * classification.
 */
import { h, svg, fmt, section } from '../dom.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Result = Record<string, any>;

const kv = (rows: [string, unknown][]) =>
  h('dl', { class: 'kv' }, ...rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: fmt(v) })]));

/** Bars of |∂output/∂x_j| per feature, most influential first (the result's `ranking`). */
export function sensitivityChart(s: { features: string[]; output: number[]; ranking: number[] }): HTMLElement {
  const rowH = 24;
  const labelW = 140;
  const barW = 360;
  const max = Math.max(...s.output, 1e-12);
  const g = svg(
    'svg',
    {
      id: 'sensitivity',
      width: labelW + barW + 80,
      height: rowH * s.ranking.length + 8,
      role: 'img',
      'aria-label': `Input sensitivity, most influential first: ${s.ranking.map((i) => s.features[i]).join(', ')}`,
    },
    ...s.ranking.map((f, k) =>
      svg(
        'g',
        { 'data-feature': s.features[f], transform: `translate(0 ${k * rowH + 4})` },
        svg('text', { x: labelW - 8, y: 15, 'text-anchor': 'end', 'font-size': 13, fill: '#222' }, s.features[f]),
        svg('rect', { x: labelW, y: 2, height: rowH - 8, width: Math.max(1, (s.output[f] / max) * barW), fill: '#1f5fbf' }),
        svg('text', { x: labelW + (s.output[f] / max) * barW + 6, y: 15, 'font-size': 12, fill: '#222' }, fmt(s.output[f])),
      ),
    ),
  );
  return h('figure', { class: 'chart' }, h('figcaption', { text: 'Input sensitivity (mean |∂output/∂x|)' }), g as unknown as Node);
}

function confusion(m: number[][], labels: string[]): HTMLElement {
  const name = (i: number) => labels[i] ?? String(i);
  return h(
    'table',
    { class: 'confusion', id: 'confusion' },
    h('caption', { text: 'Confusion matrix (rows: true class, columns: predicted)' }),
    h('thead', {}, h('tr', {}, h('td', {}), ...m.map((_, j) => h('th', { scope: 'col', text: name(j) })))),
    h('tbody', {}, ...m.map((row, i) => h('tr', {}, h('th', { scope: 'row', text: name(i) }), ...row.map((v) => h('td', { text: v }))))),
  );
}

/** Every panel the result has something for. */
export function resultPanels(r: Result, task: string): HTMLElement[] {
  const out: HTMLElement[] = [];
  const summary: [string, unknown][] = [
    ['loss', r.loss],
    ['validation loss', r.valLoss],
    ...Object.entries(r.metrics ?? {}),
    ['parameters', r.parameters],
    ['steps', r.steps],
    ['duration (ms)', r.durationMs],
  ];
  if (task === 'reinforce')
    summary.push(['mean return (100)', r.meanReturn100], ['solved', r.solved], ['solved at episode', r.solvedAtEpisode]);
  out.push(section('Result', kv(summary.filter(([, v]) => v !== undefined))));
  if (task === 'minimize') {
    out.push(
      section(
        'Curvature at the end point',
        kv([
          ...Object.entries(r.point ?? {}).map(([k, v]) => [`point ${k}`, v] as [string, unknown]),
          ['value', r.value],
          ['gradient norm', r.gradNorm],
          ['classification', r.classification],
        ]),
        r.eigenvalues
          ? h('p', { id: 'eigenvalues', text: `Hessian eigenvalues: ${r.eigenvalues.map(fmt).join(', ')}` })
          : '',
      ),
    );
  }
  if (r.sensitivity) out.push(section('Input sensitivity', sensitivityChart(r.sensitivity)));
  if (r.curvature)
    out.push(
      section(
        'Curvature',
        kv([
          ['largest eigenvalue', r.curvature.maxEigenvalue],
          ['smallest eigenvalue', r.curvature.minEigenvalue],
          ['condition number', r.curvature.conditionNumber],
          ['locally convex', r.curvature.locallyConvex],
        ]),
      ),
    );
  const ev = r.validation ?? r.test;
  if (ev?.confusionMatrix) {
    const labels = (ev.perClass ?? []).map((c: { label?: string; class: number }) => c.label ?? String(c.class));
    out.push(
      section(
        'Classification (validation)',
        confusion(ev.confusionMatrix, labels),
        ev.perClass
          ? h(
              'table',
              { id: 'per-class' },
              h('caption', { text: 'Per class' }),
              h('thead', {}, h('tr', {}, ...['Class', 'Precision', 'Recall', 'F1', 'Support'].map((t) => h('th', { scope: 'col', text: t })))),
              h(
                'tbody',
                {},
                ...ev.perClass.map((c: Result) =>
                  h('tr', {}, h('th', { scope: 'row', text: c.label ?? c.class }), ...[c.precision, c.recall, c.f1, c.support].map((v) => h('td', { text: fmt(v) }))),
                ),
              ),
            )
          : '',
      ),
    );
  }
  return out;
}
