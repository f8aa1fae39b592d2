import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

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
 *   `Last-Event-ID` — to another instance, or to this one once it is back.
 */
export function registerReliability(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after'))
      reply.header('retry-after', String(UNAVAILABLE_RETRY_SECONDS));
    return payload;
  });

  const streams = new Set<ServerResponse>();
  app.addHook('onRequest', async (req, reply) => {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) return;
    const raw = reply.raw;
    streams.add(raw);
    raw.once('close', () => streams.delete(raw));
  });

  app.addHook('preClose', async () => {
    const flushed: Promise<unknown>[] = [];
    for (const raw of streams) {
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
