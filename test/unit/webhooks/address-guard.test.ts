import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  parseWebhookUrl,
  resolveWebhookTarget,
  WebhookUrlError,
} from '../../../src/webhooks/address-guard.js';
import { retryDelayMs } from '../../../src/webhooks/backoff.js';
import { signature } from '../../../src/webhooks/signing.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
  ])('%s is %s', (ip, rule) => {
    expect(classifyAddress(ip)?.rule).toBe(rule);
  });
  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (ip) => expect(classifyAddress(ip)).toBeNull(),
  );
});

describe('parseWebhookUrl / resolveWebhookTarget', () => {
  const strict = { allowHttp: false, allowPrivate: false };
  const rule = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return (err as WebhookUrlError).rule;
    }
    return null;
  };
  it('refuses other schemes, http without the flag, and credentials', () => {
    expect(rule(() => parseWebhookUrl('ftp://example.com/', strict))).toBe('scheme');
    expect(rule(() => parseWebhookUrl('http://example.com/', strict))).toBe('https-only');
    expect(rule(() => parseWebhookUrl('https://u:p@example.com/', strict))).toBe('credentials');
    expect(parseWebhookUrl('http://example.com/', { ...strict, allowHttp: true }).host).toBe('example.com');
  });
  it('refuses a name when any of its addresses is not public; never resolves an IP literal', async () => {
    let asked = 0;
    const resolve = async () => {
      asked++;
      return [
        { address: '93.184.215.14', family: 4 as const },
        { address: '10.0.0.1', family: 4 as const },
      ];
    };
    await expect(resolveWebhookTarget(new URL('https://x.example/'), strict, resolve)).rejects.toThrow(
      /private/,
    );
    await expect(resolveWebhookTarget(new URL('https://127.0.0.1/'), strict, resolve)).rejects.toThrow(
      /loopback/,
    );
    expect(asked).toBe(1);
    const ok = await resolveWebhookTarget(
      new URL('https://127.0.0.1/'),
      { ...strict, allowPrivate: true },
      resolve,
    );
    expect(ok.address).toBe('127.0.0.1');
  });
});

describe('backoff and signing', () => {
  it('5 s × 3.25^k with ±20 % jitter: 10 tries span about a day', () => {
    const s = { baseMs: 5000, factor: 3.25 };
    expect(retryDelayMs(s, 1, () => 0.5)).toBe(5000);
    expect(retryDelayMs(s, 1, () => 0)).toBe(4000);
    expect(retryDelayMs(s, 1, () => 0.999)).toBeLessThan(6000);
    let total = 0;
    for (let k = 1; k <= 9; k++) total += retryDelayMs(s, k, () => 0.5);
    expect(total / 3600_000).toBeGreaterThan(20);
    expect(total / 3600_000).toBeLessThan(30);
  });
  it('a known Standard Webhooks vector', () => {
    // from the standard-webhooks reference test suite
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sig = signature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});
