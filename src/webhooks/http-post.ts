/**
 * One webhook request: POST to the address the SSRF guard checked (the connection goes to that
 * IP; the URL's host name is only the Host header and the TLS server name, so DNS is not asked
 * again), with an overall timeout, no redirects followed, and at most 64 KiB of the response read.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { ResolvedAddress } from './address-guard.js';

/** Response bytes read at most; the rest is not read (the connection is closed). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface PostOutcome {
  /** null when no response came (connection refused, timeout, TLS error). */
  statusCode: number | null;
  /** The first bytes of the response body (≤ MAX_RESPONSE_BYTES), as text. */
  body: string;
  /** True when the body was longer than what was read. */
  truncated: boolean;
  /** Why the attempt failed without a response, or null. */
  error: string | null;
  latencyMs: number;
}

export function postPinned(
  url: URL,
  target: ResolvedAddress,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<PostOutcome> {
  const t0 = performance.now();
  const lib = url.protocol === 'https:' ? https : http;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise<PostOutcome>((resolve) => {
    let done = false;
    const finish = (o: Omit<PostOutcome, 'latencyMs'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...o, latencyMs: Math.round(performance.now() - t0) });
    };
    const req = lib.request({
      method: 'POST',
      host: target.address,
      family: target.family,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      // SNI and certificate check against the name, not the IP (no SNI for an IP literal)
      ...(url.protocol === 'https:' && !isIP(hostname) ? { servername: hostname } : {}),
      headers: {
        host: url.host,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'Descent-Webhooks/1',
        ...headers,
      },
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ statusCode: null, body: '', truncated: false, error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ statusCode: null, body: '', truncated: false, error: err.code ?? err.message }),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let truncated = false;
      const status = res.statusCode ?? null;
      const error =
        status !== null && status >= 300 && status < 400
          ? `redirect (${status}${res.headers.location ? ` to ${res.headers.location}` : ''}) not followed`
          : null;
      const end = () =>
        finish({
          statusCode: status,
          body: Buffer.concat(chunks).toString('utf8'),
          truncated,
          error,
        });
      res.on('data', (c: Buffer) => {
        if (bytes + c.length > MAX_RESPONSE_BYTES) {
          chunks.push(c.subarray(0, MAX_RESPONSE_BYTES - bytes));
          bytes = MAX_RESPONSE_BYTES;
          truncated = true;
          res.destroy();
          end();
          return;
        }
        chunks.push(c);
        bytes += c.length;
      });
      res.on('end', end);
      res.on('error', end);
      res.on('close', end);
    });
    req.end(body);
  });
}
