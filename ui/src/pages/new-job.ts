/**
 * New job: start from an example or from a previous job's spec, edit the JSON, see it validated as
 * you type by POST /v1/jobs/validate (each error under the field path it names), submit, and land
 * on the live job page.
 */
import { api, ApiProblem } from '../api.js';
import { h } from '../dom.js';
import { EXAMPLES } from '../examples.js';
import type { Page } from '../router.js';

const VALIDATE_DELAY_MS = 400;

export const newJobPage: Page = {
  pattern: /^\/jobs\/new$/,
  title: 'New job',
  nav: { label: 'New job', path: '/jobs/new' },
  async render(root, { query, signal }) {
    const from = query.get('from');
    const exampleSel = h(
      'select',
      { id: 'example' },
      h('option', { value: '', text: '— pick an example —' }),
      ...Object.keys(EXAMPLES).map((name) => h('option', { value: name, text: name })),
    );
    const previous = h('input', { id: 'previous', placeholder: 'job_…', size: 28 });
    const editor = h('textarea', {
      id: 'spec',
      rows: 22,
      cols: 80,
      spellcheck: 'false',
      'aria-describedby': 'validation',
    });
    const validation = h('div', { id: 'validation', role: 'status', 'aria-live': 'polite' });
    const submit = h('button', { type: 'submit', id: 'submit', text: 'Submit job' });

    let timer: ReturnType<typeof setTimeout> | null = null;
    let seq = 0;
    const scheduleValidate = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void validate(), VALIDATE_DELAY_MS);
    };
    signal.addEventListener('abort', () => timer && clearTimeout(timer));

    const parsed = (): unknown => {
      try {
        return JSON.parse(editor.value);
      } catch (err) {
        return new SyntaxError((err as Error).message);
      }
    };

    const showErrors = (title: string, errors: { path: string; message: string }[]) => {
      validation.className = 'error';
      validation.dataset.valid = 'false';
      validation.replaceChildren(
        h('p', { text: title }),
        h(
          'ul',
          { class: 'issues' },
          ...errors.map((e) => h('li', {}, h('code', { class: 'path', text: e.path || '/' }), ' ', e.message)),
        ),
      );
    };

    async function validate(): Promise<boolean> {
      const my = ++seq;
      const spec = parsed();
      if (spec instanceof SyntaxError) {
        showErrors('Not JSON yet:', [{ path: '/', message: spec.message }]);
        return false;
      }
      try {
        const res = await api('/v1/jobs/validate', { method: 'POST', json: spec, signal });
        if (my !== seq) return false;
        validation.className = 'ok';
        validation.dataset.valid = 'true';
        const est = res.estimate ?? {};
        validation.replaceChildren(
          h(
            'p',
            { text: `Valid. ${est.parameters !== undefined ? `${est.parameters} parameters. ` : ''}` },
          ),
        );
        return true;
      } catch (err) {
        if (my !== seq || !(err instanceof ApiProblem)) return false;
        showErrors(err.message, err.errors);
        return false;
      }
    }

    const load = (spec: unknown) => {
      editor.value = JSON.stringify(spec, null, 2);
      void validate();
    };

    exampleSel.addEventListener('change', () => exampleSel.value && load(EXAMPLES[exampleSel.value]));
    editor.addEventListener('input', scheduleValidate);
    const loadPrevious = async (id: string) => {
      try {
        const job = await api(`/v1/jobs/${encodeURIComponent(id)}`, { signal });
        load({ ...job.spec, metadata: { ...(job.spec.metadata ?? {}), clonedFrom: job.id } });
      } catch (err) {
        showErrors(`Could not load ${id}: ${(err as Error).message}`, []);
      }
    };

    const form = h(
      'form',
      {
        class: 'panel',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          if (!(await validate())) return;
          submit.disabled = true;
          try {
            const job = await api('/v1/jobs', { method: 'POST', json: parsed(), signal });
            location.hash = `#/jobs/${job.id}`;
          } catch (err) {
            submit.disabled = false;
            if (err instanceof ApiProblem) showErrors(err.message, err.errors);
          }
        },
      },
      h('label', { for: 'spec', text: 'JobSpec (JSON)' }),
      editor,
      validation,
      submit,
    );
    root.append(
      h('h1', { text: 'New job' }),
      h(
        'div',
        { class: 'panel row' },
        h('label', { for: 'example', text: 'Start from an example' }),
        exampleSel,
        h('label', { for: 'previous', text: 'or a previous job' }),
        previous,
        h('button', { type: 'button', text: 'Load', onclick: () => previous.value && void loadPrevious(previous.value.trim()) }),
      ),
      form,
    );
    if (from) await loadPrevious(from);
    else load(EXAMPLES['iris-mlp-adam']);
  },
};
