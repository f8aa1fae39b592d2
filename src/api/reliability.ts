import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './deps.js';

/** Seconds a client is told to wait after a 503 (Redis unreachable, or the server closing). */
export const UNAVAILABLE_RETRY_SECONDS = 1;

/** What an SSE client is told when the server goes away: reconnect after this many ms. */
export const SHUTDOWN_RETRY_MS = 1000;

/**
 * True when the response went out as `text/event-stream`. The SSE route passes its headers to
 * `writeHead`, which leaves them out of `getHeader`; the header block actually sent says it.
 */
function isEventStream(raw: ServerResponse): boolean {
  const type = raw.getHeader('content-type');
  if (type !== undefined) return String(type).startsWith('text/event-stream');
  const sent = (raw as unknown as { _header?: unknown })._header;
  return typeof sent === 'string' && /\r\ncontent-type: text\/event-stream/i.test(sent);
}

/**
 * Service-level reliability hooks of the HTTP app:
 * - every 503 carries `Retry-After` (Redis unreachable answers at once, never hangs; a client
 *   should come back shortly, and the service recovers by itself when Redis does);
 * - on close (SIGTERM), open SSE streams are told to reconnect (`retry:` and a final comment) and
 *   ended cleanly before the sockets are closed, so an EventSource reconnects — with
 *   `Last-Event-ID` — to another instance, or to this one once it is back;
 * - a stream whose job no longer exists (Redis lost its data: restarted without persistence, or
 *   flushed) is ended with a comment saying so, instead of pinging for ever; the client's
 *   reconnect then gets a 404 problem and stops. Checked every `ssePingMs`.
 */
export function registerReliability(app: FastifyInstance, deps: Pick<AppDeps, 'jobs' | 'cfg'>): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after'))
      reply.header('retry-after', String(UNAVAILABLE_RETRY_SECONDS));
    return payload;
  });

  const streams = new Map<ServerResponse, string | null>();
  app.addHook('onRequest', async (req, reply) => {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) return;
    const raw = reply.raw;
    const m = /\/jobs\/([^/?]+)\/events/.exec(req.url);
    streams.set(raw, m ? decodeURIComponent(m[1]) : null);
    raw.once('close', () => streams.delete(raw));
  });

  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      for (const [raw, jobId] of streams) {
        if (!jobId || !raw.headersSent || raw.writableEnded || !isEventStream(raw)) continue;
        let gone = false;
        try {
          gone = (await deps.jobs.status(jobId)) === null;
        } catch {
          return; // Redis unreachable: nothing can be said; the stream waits for it.
        }
        if (gone && !raw.writableEnded) raw.end(`: job ${jobId} no longer exists\n\n`);
      }
    } finally {
      sweeping = false;
    }
  };
  let sweeper: NodeJS.Timeout | null = null;
  app.addHook('onReady', async () => {
    sweeper = setInterval(() => void sweep(), Math.max(100, deps.cfg.ssePingMs));
    sweeper.unref();
  });
  app.addHook('onClose', async () => {
    if (sweeper) clearInterval(sweeper);
  });

  app.addHook('preClose', async () => {
    const flushed: Promise<unknown>[] = [];
    for (const raw of streams.keys()) {
      if (!raw.headersSent || raw.writableEnded || !isEventStream(raw)) continue;
      flushed.push(new Promise((resolve) => raw.once('finish', resolve).once('close', resolve)));
      raw.end(
        `retry: ${SHUTDOWN_RETRY_MS}\n: server shutting down; reconnect with Last-Event-ID to resume\n\n`,
      );
    }
    streams.clear();
    // Let the last frames reach the sockets before they are force-closed (bounded).
    await Promise.race([Promise.all(flushed), new Promise((r) => setTimeout(r, 1000))]);
  });
}
