/**
 * Hash routes (`#/jobs/job_…`): the server serves one static page and never needs to know the
 * dashboard's URLs. Each page is a {@link Page}: a pattern, a title, an optional nav label, and a
 * render function given the URL's parts and an AbortSignal that fires when the user leaves (it
 * closes the page's streams and timers). Pages are listed in pages/index.ts.
 */

export interface PageContext {
  /** The pattern's capture groups. */
  params: string[];
  /** The query after `?` in the hash (`#/jobs/new?from=job_…`). */
  query: URLSearchParams;
  /** Aborted when the page is left. */
  signal: AbortSignal;
}

export interface Page {
  /** Matched against the hash without `#` and query, e.g. /^\/jobs\/([^/]+)$/. */
  pattern: RegExp;
  /** Document title (and the page's h1 when it sets none). */
  title: string;
  /** Label in the top navigation, if the page has one; its link is `#${navPath}`. */
  nav?: { label: string; path: string };
  render(root: HTMLElement, ctx: PageContext): void | Promise<void>;
}

/** Split `#/a/b?x=1` into path and query. */
export function parseHash(hash: string): { path: string; query: URLSearchParams } {
  const raw = hash.replace(/^#/, '') || '/jobs';
  const i = raw.indexOf('?');
  return { path: i < 0 ? raw : raw.slice(0, i), query: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
}

/** The first page whose pattern matches `path`, with its captures. */
export function match(pages: readonly Page[], path: string): { page: Page; params: string[] } | null {
  for (const page of pages) {
    const m = page.pattern.exec(path);
    if (m) return { page, params: m.slice(1).map(decodeURIComponent) };
  }
  return null;
}
