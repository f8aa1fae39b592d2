/** What the list and the job page both say about a job. */
import { h, duration, fmt } from './dom.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Job = Record<string, any> & { id: string; status: string };

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export const taskOf = (j: Job): string => j.spec?.task ?? 'supervised';

export const modelOf = (j: Job): string =>
  j.spec?.model?.type ?? (taskOf(j) === 'minimize' ? 'objective' : taskOf(j) === 'reinforce' ? 'policy' : '—');

export const optimizerOf = (j: Job): string => j.spec?.optimizer?.type ?? '—';

/** Wall time from start to finish (or to now while running). */
export function jobDuration(j: Job): string {
  if (!j.startedAt) return '—';
  const end = j.finishedAt ? Date.parse(j.finishedAt) : Date.now();
  return duration(end - Date.parse(j.startedAt));
}

/** The result's headline: a metric (accuracy, r2, …), the minimized value, the mean return, or the loss. */
export function finalMetric(j: Job): string {
  const r = j.result;
  if (!r) return '—';
  if (typeof r.meanReturn100 === 'number') return `mean return ${fmt(r.meanReturn100)}`;
  if (typeof r.value === 'number' && taskOf(j) === 'minimize') return `f = ${fmt(r.value)}`;
  const m = Object.entries(r.metrics ?? {}).find(([, v]) => typeof v === 'number');
  if (m) return `${m[0]} ${fmt(m[1])}`;
  return `loss ${fmt(r.loss)}`;
}

export const statusBadge = (status: string) =>
  h('span', { class: `badge status-${status}`, 'data-status': status, text: status });
