/** Small HTTP helpers against the running service (global fetch: undici, keep-alive). */

export async function postJob(base: string, spec: unknown): Promise<{ id: string; status: number }> {
  const res = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  const body = (await res.json()) as { id?: string; detail?: string };
  if (res.status !== 201 || !body.id)
    throw new Error(`POST /v1/jobs answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return { id: body.id, status: res.status };
}

export async function jobStatus(base: string, id: string): Promise<string> {
  const res = await fetch(`${base}/v1/jobs/${id}`);
  return ((await res.json()) as { status: string }).status;
}

export async function cancelJob(base: string, id: string): Promise<number> {
  const res = await fetch(`${base}/v1/jobs/${id}/cancel`, { method: 'POST' });
  await res.arrayBuffer();
  return res.status;
}

/** Every event id of a job, from the JSON pages (`?limit=1000&after=`). */
export async function eventIds(base: string, id: string): Promise<Array<{ id: string; type: string }>> {
  const all: Array<{ id: string; type: string }> = [];
  let after: string | null = null;
  for (;;) {
    const q: string = after ? `&after=${after}` : '';
    const res = await fetch(`${base}/v1/jobs/${id}/events?limit=1000${q}`);
    const page = (await res.json()) as {
      data: Array<{ id: string; type: string }>;
      hasMore: boolean;
      nextCursor: string | null;
    };
    for (const e of page.data) all.push({ id: e.id, type: e.type });
    if (!page.hasMore || !page.nextCursor) return all;
    after = page.nextCursor;
  }
}

/** Check a spec with POST /v1/jobs/validate; throws with the problem's detail when it is refused. */
export async function validateSpec(base: string, spec: unknown): Promise<void> {
  const res = await fetch(`${base}/v1/jobs/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`spec refused (${res.status}): ${body.slice(0, 400)}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` every 50 ms until it returns true or `timeoutMs` passes. */
export async function until(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
