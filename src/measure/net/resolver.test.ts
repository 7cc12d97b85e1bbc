import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { decodeMessage, encodeResponse, QTYPE, RCODE } from './dns-wire.js';
import { DohResolver, parseResolver, UdpResolver, SystemResolver } from './resolver.js';
import { startDnsServer, type DnsServer } from '../lab/lab.js';

const certs = new URL('../lab/certs/', import.meta.url);
const pem = (f: string) => readFileSync(new URL(f, certs), 'utf8');

const ZONE: Record<string, string> = { 'news.lab.test': '45.20.1.1' };
let udp: DnsServer;
let doh: https.Server;
let dohPort = 0;

function answer(name: string, type: number) {
  const ip = ZONE[name];
  if (!ip) return { rcode: RCODE.NXDOMAIN, answers: [] };
  return { rcode: 0, answers: type === QTYPE.A ? [{ name, type: QTYPE.A, ttl: 60, data: ip }] : [] };
}

beforeAll(async () => {
  udp = await startDnsServer('127.0.0.53', async (q) => answer(q.name, q.type));
  doh = https.createServer({ key: pem('site-key.pem'), cert: pem('site-cert.pem') }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers['content-type'] !== 'application/dns-message') return void res.writeHead(415).end();
      const q = decodeMessage(Buffer.concat(chunks));
      const a = answer(q.questions[0]!.name, q.questions[0]!.type);
      res.writeHead(200, { 'content-type': 'application/dns-message' }).end(encodeResponse(q, a.answers, a.rcode));
    });
  });
  await new Promise<void>((r) => doh.listen(0, '127.0.0.1', r));
  dohPort = (doh.address() as AddressInfo).port;
});
afterAll(async () => {
  await udp.close();
  doh.closeAllConnections();
  await new Promise((r) => doh.close(r));
});

describe('resolvers', () => {
  it('UDP: answers, NXDOMAIN, no answer, timeout', async () => {
    const r = new UdpResolver('127.0.0.53', udp.port);
    expect((await r.lookup('news.lab.test', 'A', 1000)).answers.map((a) => a.data)).toEqual(['45.20.1.1']);
    expect((await r.lookup('gone.lab.test', 'A', 1000)).failure).toBe('dns_nxdomain_error');
    expect((await r.lookup('news.lab.test', 'AAAA', 1000)).failure).toBe('dns_no_answer');
    const silent = new UdpResolver('127.0.0.54', 9); // nothing answers there
    expect((await silent.lookup('news.lab.test', 'A', 200)).failure).toMatch(/generic_timeout_error|unknown_failure/);
  });
  it('DNS-over-HTTPS: answers and NXDOMAIN; an untrusted server fails', async () => {
    const r = new DohResolver(`https://doh.lab.test:${dohPort}/dns-query`, { ca: pem('lab-ca-cert.pem'), connectTo: '127.0.0.1' });
    expect((await r.lookup('news.lab.test', 'A', 2000)).answers.map((a) => a.data)).toEqual(['45.20.1.1']);
    expect((await r.lookup('gone.lab.test', 'A', 2000)).failure).toBe('dns_nxdomain_error');
    const untrusted = new DohResolver(`https://doh.lab.test:${dohPort}/dns-query`, { connectTo: '127.0.0.1' });
    expect((await untrusted.lookup('news.lab.test', 'A', 2000)).failure).toMatch(/^unknown_failure/);
  });
  it('system resolver and the --resolver syntax', async () => {
    expect((await new SystemResolver().lookup('localhost', 'A', 2000)).answers.map((a) => a.data)).toContain('127.0.0.1');
    expect(parseResolver('system').engine).toBe('system');
    expect(parseResolver('udp://9.9.9.9:53').address).toBe('9.9.9.9:53');
    expect(parseResolver('1.1.1.1').address).toBe('1.1.1.1:53');
    expect(parseResolver('https://dns.example/dns-query').engine).toBe('doh');
    expect(() => parseResolver('udp://resolver.example')).toThrow(/expected/);
    expect(() => parseResolver('udp://1.1.1.1:99999')).toThrow(/bad port/);
  });
});
