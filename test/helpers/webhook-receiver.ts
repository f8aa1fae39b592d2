/**
 * A webhook receiver for tests: an HTTP server on 127.0.0.1 that records every request (headers,
 * raw body, arrival time) and answers what the test's `respond` says (default 200).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
  at: number;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** TCP connections accepted so far (a refused URL must leave this at 0). */
  connections(): number;
  /** What to answer request number `n` (1-based, counted over all paths). */
  respond: (n: number, req: Received) => Answer;
  /** Resolve once `n` requests have arrived (throws after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  let conns = 0;
  const r: Receiver = {
    url: '',
    port: 0,
    received: [],
    connections: () => conns,
    respond: () => ({ status: 200, body: 'ok' }),
    async waitFor(n, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (r.received.length < n) {
        if (Date.now() > end) throw new Error(`receiver got ${r.received.length} requests, waited for ${n}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      return r.received;
    },
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Received = {
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        path: req.url ?? '/',
        at: Date.now(),
      };
      r.received.push(rec);
      const a = r.respond(r.received.length, rec);
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
      res.end(a.body ?? '');
    });
  });
  server.on('connection', () => conns++);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const addr = server.address();
  r.port = typeof addr === 'object' && addr ? addr.port : 0;
  r.url = `http://127.0.0.1:${r.port}`;
  r.close = () =>
    new Promise<void>((res) => {
      server.closeAllConnections();
      server.close(() => res());
    });
  return r;
}
