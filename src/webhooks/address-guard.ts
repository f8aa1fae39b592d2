/**
 * SSRF guard for webhook URLs: a webhook makes our server send a request to wherever a tenant
 * says, so the URL must not reach our own network. Checked when an endpoint (or a job's own
 * webhook) is created, and again before every attempt, on the address the request then connects
 * to (the check and the connection use the same resolved address: a DNS answer that changes
 * between the two, "DNS rebinding", cannot slip a private address in).
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

/** A resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to its addresses (injectable: tests never touch real DNS). */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

/** The system resolver (getaddrinfo, as a connection would use). */
export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** The deployment's switches (DESCENT_WEBHOOK_ALLOW_HTTP, DESCENT_WEBHOOK_ALLOW_PRIVATE). */
export interface UrlPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

/** Why a URL was refused: `rule` is the stable name, the message says it for a person. */
export class WebhookUrlError extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookUrlError';
  }
}

/** Non-public ranges, each with the rule name a refusal reports. */
const RANGES: [rule: string, cidr: string][] = [
  ['unspecified', '0.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['cgnat', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link-local', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['reserved', '192.0.0.0/24'],
  ['documentation', '192.0.2.0/24'],
  ['private', '192.168.0.0/16'],
  ['reserved', '198.18.0.0/15'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['multicast', '224.0.0.0/4'],
  ['reserved', '240.0.0.0/4'],
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['reserved', '100::/64'],
  ['documentation', '2001:db8::/32'],
  ['unique-local', 'fc00::/7'],
  ['link-local', 'fe80::/10'],
  ['reserved', 'fec0::/10'],
  ['multicast', 'ff00::/8'],
];

/** Cloud metadata services (named apart: the classic SSRF target). */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200']);

const lists = RANGES.map(([rule, cidr]) => {
  const [net, bits] = cidr.split('/');
  const type = net.includes(':') ? 'ipv6' : 'ipv4';
  const b = new BlockList();
  b.addSubnet(net, Number(bits), type);
  return { rule, cidr, b, type };
});

/** The IPv4 address an IPv6 one carries (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96), or null. */
function embeddedV4(ip: string): string | null {
  const m = /^(?:::ffff:|64:ff9b::)(?:0:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (m) return m[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (!hex) return null;
  const hi = parseInt(hex[1], 16);
  const lo = parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * The rule a non-public address breaks (`loopback`, `private`, `link-local`, `metadata`, `cgnat`,
 * `unique-local`, `multicast`, `reserved`, `documentation`, `unspecified`) with its range, or
 * null for a public address. IPv4-mapped and NAT64 IPv6 addresses are judged by the IPv4 address
 * they carry (`::ffff:127.0.0.1` is loopback).
 */
export function classifyAddress(ip: string): { rule: string; range: string } | null {
  const bare = ip.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = isIP(bare) === 6 ? embeddedV4(bare) : null;
  if (v4) {
    const inner = classifyAddress(v4);
    return inner ? { rule: inner.rule, range: `${inner.range} (IPv4-mapped)` } : null;
  }
  if (METADATA.has(bare)) return { rule: 'metadata', range: `${bare} (cloud metadata service)` };
  const type = isIP(bare) === 6 ? 'ipv6' : 'ipv4';
  for (const l of lists) if (l.type === type && l.b.check(bare, type)) return { rule: l.rule, range: l.cidr };
  return null;
}

/**
 * Parse and check what can be checked without DNS: an absolute http(s) URL (https only unless
 * allowed), no user:password part. Throws {@link WebhookUrlError}.
 */
export function parseWebhookUrl(raw: string, policy: UrlPolicy): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new WebhookUrlError('url', `${raw} is not an absolute URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new WebhookUrlError('scheme', `${u.protocol} URLs are refused; webhook URLs are https`);
  if (u.protocol === 'http:' && !policy.allowHttp)
    throw new WebhookUrlError(
      'https-only',
      `http URLs are refused (${u.origin}); webhook URLs must be https (DESCENT_WEBHOOK_ALLOW_HTTP=1 allows http)`,
    );
  if (u.username || u.password)
    throw new WebhookUrlError('credentials', 'URLs with a user name or password are refused');
  return u;
}

/**
 * Resolve the URL's host and check every address it resolves to (one bad address refuses it: a
 * name with a public and a private address could be steered to the private one). Returns the
 * address to connect to. Throws {@link WebhookUrlError} (`resolution` when the name does not
 * resolve). An IP literal is checked as is, without DNS.
 */
export async function resolveWebhookTarget(
  u: URL,
  policy: UrlPolicy,
  resolve: Resolver,
): Promise<ResolvedAddress> {
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let addrs: ResolvedAddress[];
  if (isIP(host)) addrs = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  else {
    try {
      addrs = await resolve(host);
    } catch (err) {
      throw new WebhookUrlError(
        'resolution',
        `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    if (!addrs.length) throw new WebhookUrlError('resolution', `${host} resolves to no address`);
  }
  if (!policy.allowPrivate)
    for (const a of addrs) {
      const bad = classifyAddress(a.address);
      if (bad)
        throw new WebhookUrlError(
          bad.rule,
          `${host === a.address ? host : `${host} resolves to ${a.address}, which`} is a ${bad.rule} address (${bad.range}); webhook URLs must reach public addresses (DESCENT_WEBHOOK_ALLOW_PRIVATE=1 allows this)`,
        );
    }
  return addrs[0];
}

/** Both checks: the URL's syntax and scheme, then its addresses. */
export async function checkWebhookUrl(
  raw: string,
  policy: UrlPolicy,
  resolve: Resolver,
): Promise<{ url: URL; target: ResolvedAddress }> {
  const url = parseWebhookUrl(raw, policy);
  return { url, target: await resolveWebhookTarget(url, policy, resolve) };
}
