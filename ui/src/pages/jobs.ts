/**
 * The job list: newest first, filtered by status and metadata (`key=value`), a page at a time
 * (cursor paging), refreshed every 2 s so status changes show up, with Cancel on unfinished jobs.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import type { Page } from '../router.js';
import { TERMINAL, finalMetric, jobDuration, modelOf, optimizerOf, statusBadge, taskOf, type Job } from '../jobs-common.js';

const STATUSES = ['', 'queued', 'running', 'succeeded', 'failed', 'cancelling', 'cancelled'];
const REFRESH_MS = 2000;

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
      { class: 'jobs', id: 'jobs-table' },
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
                  void load();
                },
              }),
        ),
      );

    async function load(): Promise<void> {
      const page = await api(`/v1/jobs?${params}`, { signal });
      if (signal.aborted) return;
      tbody.replaceChildren(
        ...(page.data.length
          ? page.data.map(row)
          : [h('tr', {}, h('td', { colspan: 9, class: 'muted', text: 'No jobs.' }))]),
      );
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
    await load();
    const timer = setInterval(() => void load().catch(() => {}), REFRESH_MS);
    signal.addEventListener('abort', () => clearInterval(timer));
  },
};
