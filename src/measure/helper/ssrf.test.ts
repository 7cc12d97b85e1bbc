import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { controlMeasurement } from './th.js';
import type { LookupResult, Resolver } from '../net/resolver.js';
import { QTYPE } from '../net/dns-wire.js';
import type { Route } from '../net/dial.js';

/**
 * Issue #7.5: the public test helper must not follow a public site's redirect into private space. Every hop is
 * checked after resolution, and the connection goes to the checked address (no second lookup: DNS rebinding).
 * "Public" names resolve (through our own resolver) to public addresses that the route sends to a loopback server.
 */

let internal: http.Server;
let publicSite: http.Server;
let internalPort = 0;
let publicPort = 0;
let internalHits = 0;

const PUBLIC_IP = '93.184.216.34';
const REBIND_PUBLIC_IP = '93.184.216.35';

/** A resolver with a fixed zone; `flip.example` answers a public address once, then loopback (rebinding). */
function zoneResolver(): Resolver {
  let flips = 0;
  const zone: Record<string, string[]> = {
    'public.example': [PUBLIC_IP],
    'rebind.example': ['127.0.0.1'],
    'metadata.example': ['169.254.169.254'],
    'cgnat.example': ['100.64.0.1'],
    'ula.example': ['fd00::1'],
    'mapped.example': ['::ffff:127.0.0.1'],
  };
  return {
    engine: 'udp',
    address: 'zone',
    async lookup(host, qtype): Promise<LookupResult> {
      let addrs = zone[host] ?? [];
      if (host === 'flip.example') addrs = flips++ < 2 ? [REBIND_PUBLIC_IP] : ['127.0.0.1'];
      const want = qtype === 'A' ? QTYPE.A : QTYPE.AAAA;
      const answers = addrs.filter((a) => (want === QTYPE.A ? !a.includes(':') : a.includes(':'))).map((data) => ({ name: host, type: want, ttl: 60, data }));
      const known = host in zone || host === 'flip.example';
      return { answers, failure: !known ? 'dns_nxdomain_error' : answers.length ? null : 'dns_no_answer', rcode: known ? 0 : 3, transactionId: 1 };
    },
  };
}

/** Public addresses reach the "public" loopback site; everything else goes where it says (loopback is loopback). */
const route: Route = (ip, port) => {
  if (ip === PUBLIC_IP || ip === REBIND_PUBLIC_IP) return { host: '127.0.0.1', port: publicPort };
  if (ip === '::ffff:127.0.0.1') return { host: '127.0.0.1', port };
  return { host: ip, port };
};

beforeAll(async () => {
  internal = http.createServer((_req, res) => {
    internalHits++;
    res.writeHead(200, { 'Content-Type': 'text/html', 'X-Internal': 'yes' }).end('<html><head><title>Internal admin panel</title></head><body>secret</body></html>');
  });
  await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
  internalPort = (internal.address() as AddressInfo).port;
  publicSite = http.createServer((req, res) => {
    const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (to) res.writeHead(302, { Location: to.replace('PORT', String(internalPort)) }).end();
    else res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><head><title>Public page</title></head><body>hi</body></html>');
  });
  await new Promise<void>((r) => publicSite.listen(0, '127.0.0.1', r));
  publicPort = (publicSite.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of [internal, publicSite]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const ask = (to: string, allowPrivate = false) =>
  controlMeasurement(
    { http_request: `http://public.example/go?to=${encodeURIComponent(to)}`, http_request_headers: {}, tcp_connect: [] },
    { resolver: zoneResolver(), route, allowPrivate, timeouts: { dnsMs: 1000, tcpMs: 1000, tlsMs: 1000, httpMs: 1000 } },
  );

describe('test helper: redirects into private space', () => {
  it('follows a redirect to a public page (the setup works)', async () => {
    const r = await ask('http://public.example/');
    expect(r.http_request.failure).toBeNull();
    expect(r.http_request.title).toBe('Public page');
  });

  it.each([
    ['a loopback literal', 'http://127.0.0.1:PORT/secret'],
    ['a public-looking name that resolves to 127.0.0.1', 'http://rebind.example:PORT/secret'],
    ['cloud metadata (link-local)', 'http://metadata.example:PORT/latest/meta-data/'],
    ['carrier-grade NAT space', 'http://cgnat.example:PORT/'],
    ['an IPv6 unique-local address', 'http://ula.example:PORT/'],
    ['a v4-mapped IPv6 loopback literal', 'http://[::ffff:127.0.0.1]:PORT/secret'],
    ['a v4-mapped IPv6 loopback by name', 'http://mapped.example:PORT/secret'],
  ])('refuses %s', async (_what, to) => {
    const before = internalHits;
    const r = await ask(to);
    expect(r.http_request.failure).toMatch(/private or reserved/);
    expect(r.http_request.title).toBe('');
    expect(r.http_request.headers).toEqual({});
    expect(internalHits).toBe(before);
  });

  it('connects to the address it checked, not to a second lookup (DNS rebinding)', async () => {
    const before = internalHits;
    const r = await ask(`http://flip.example:${publicPort}/`);
    // the first lookup of flip.example was public: the page fetched is the public one, never the internal one
    expect(internalHits).toBe(before);
    expect(r.http_request.title).not.toBe('Internal admin panel');
  });

  it('with --allow-private (local testing only) the same redirect is followed', async () => {
    const r = await ask('http://rebind.example:PORT/secret', true);
    expect(r.http_request.title).toBe('Internal admin panel');
  });
});
