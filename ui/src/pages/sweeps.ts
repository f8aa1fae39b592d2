/** The sweep list: newest first, a page at a time, with each sweep's status, trials and best value. */
import { api } from '../api.js';
import { h, fmt } from '../dom.js';
import type { Page } from '../router.js';
import { statusBadge } from '../jobs-common.js';

export const sweepsPage: Page = {
  pattern: /^\/sweeps\/?$/,
  title: 'Sweeps',
  nav: { label: 'Sweeps', path: '/sweeps' },
  async render(root, { query, signal }) {
    const after = query.get('after') ?? '';
    const params = new URLSearchParams({ limit: '20' });
    if (after) params.set('after', after);
    const page = await api(`/v1/sweeps?${params}`, { signal });
    const tbody = h(
      'tbody',
      {},
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      ...page.data.map((s: any) =>
        h(
          'tr',
          { 'data-sweep': s.id },
          h('td', {}, h('a', { href: `#/sweeps/${s.id}`, text: s.id })),
          h('td', {}, statusBadge(s.status)),
          h('td', { text: s.searcher.type }),
          h('td', { text: `${s.metric} (${s.mode})` }),
          h('td', { text: `${s.counts.total - s.counts.pending} / ${s.counts.total}` }),
          h('td', { text: s.best ? fmt(s.best.value) : '—' }),
          h('td', { text: `${s.budget.epochsUsed} / ${s.budget.epochsMax}` }),
          h('td', {}, h('time', { datetime: s.createdAt, text: new Date(s.createdAt).toLocaleString() })),
        ),
      ),
    );
    if (!page.data.length) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted', text: 'No sweeps. Create one with POST /v1/sweeps (docs/sweeps.md) or `descent sweep`.' })));
    root.append(
      h('h1', { text: 'Sweeps' }),
      h(
        'table',
        { id: 'sweeps-table' },
        h('caption', { text: 'Sweeps, newest first' }),
        h(
          'thead',
          {},
          h('tr', {}, ...['Sweep', 'Status', 'Searcher', 'Metric', 'Launched', 'Best', 'Epochs used / max', 'Created'].map((t) => h('th', { scope: 'col', text: t }))),
        ),
        tbody,
      ),
      h(
        'nav',
        { class: 'pager', 'aria-label': 'Pages' },
        after ? h('a', { href: '#/sweeps', text: 'First page' }) : '',
        page.hasMore && page.nextCursor ? h('a', { href: `#/sweeps?after=${encodeURIComponent(page.nextCursor)}`, rel: 'next', text: 'Next page' }) : '',
      ),
    );
  },
};
