/** Datasets: upload a CSV (drag and drop, or pick a file) and see its description; the stored ones listed. */
import { api, apiFetch, problemOf } from '../api.js';
import { h, fmt } from '../dom.js';
import type { Page } from '../router.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function describe(ds: Record<string, any>): HTMLElement {
  const cols = (ds.columns ?? []) as Record<string, unknown>[];
  return h(
    'div',
    { class: 'dataset', 'data-dataset': ds.id },
    h('h3', { text: `${ds.name ?? ds.id} (${ds.id})` }),
    h('p', { text: `${ds.rows} rows · ${ds.features} features · ${ds.targets} targets · ${ds.format ?? ''}` }),
    cols.length
      ? h(
          'table',
          {},
          h('caption', { text: 'Columns' }),
          h(
            'thead',
            {},
            h('tr', {}, ...['Name', 'Type', 'Missing', 'Mean', 'Min', 'Max', 'Distinct'].map((t) => h('th', { scope: 'col', text: t }))),
          ),
          h(
            'tbody',
            {},
            ...cols.map((c) =>
              h(
                'tr',
                {},
                ...[c.name, c.type, c.missing, c.mean, c.min, c.max, c.distinct].map((v) => h('td', { text: fmt(v) })),
              ),
            ),
          ),
        )
      : h('pre', { text: JSON.stringify(ds, null, 2) }),
  );
}

export const datasetsPage: Page = {
  pattern: /^\/datasets$/,
  title: 'Datasets',
  nav: { label: 'Datasets', path: '/datasets' },
  async render(root, { signal }) {
    const target = h('input', { id: 'target', placeholder: 'last column' });
    const file = h('input', { id: 'csv-file', type: 'file', accept: '.csv,text/csv', 'aria-label': 'CSV file' });
    const out = h('div', { id: 'upload-result', role: 'status', 'aria-live': 'polite' });
    const list = h('div', { id: 'dataset-list' });
    const upload = async (f: File) => {
      out.textContent = `Uploading ${f.name}…`;
      const q = new URLSearchParams({ name: f.name.replace(/\.csv$/i, '') });
      if (target.value.trim()) q.set('target', target.value.trim());
      const res = await apiFetch(`/v1/datasets?${q}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: f });
      if (!res.ok) {
        const p = await problemOf(res);
        out.replaceChildren(h('div', { class: 'error', text: p.message }));
        return;
      }
      out.replaceChildren(describe(await res.json()));
      void refresh();
    };
    const drop = h(
      'div',
      { class: 'dropzone', id: 'dropzone', tabindex: 0, 'aria-label': 'Drop a CSV file here' },
      'Drop a CSV file here, or choose one: ',
      file,
    );
    drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      const f = e.dataTransfer?.files[0];
      if (f) void upload(f);
    });
    file.addEventListener('change', () => file.files?.[0] && void upload(file.files[0]));
    async function refresh() {
      const page = await api('/v1/datasets?limit=20', { signal });
      list.replaceChildren(
        ...(page.data.length ? page.data.map(describe) : [h('p', { class: 'muted', text: 'No datasets uploaded.' })]),
      );
    }
    root.append(
      h('h1', { text: 'Datasets' }),
      h('section', { class: 'panel', 'aria-label': 'Upload' }, h('label', { for: 'target', text: 'Target column' }), ' ', target, drop, out),
      h('h2', { text: 'Stored datasets' }),
      list,
    );
    await refresh();
  },
};
