import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startTestHelper, type RunningHelper } from './th.js';
import { SystemResolver } from '../net/resolver.js';
import { measureUrl } from '../probe/web-connectivity.js';
import { thResponseSchema, type ThResponse } from '../ooni/model.js';
import { parseTestList, parseUrlFile } from '../probe/inputs.js';
import { commands } from '../cli.js';
import { BODY_CAP } from '../net/dial.js';

/** Loopback web server: a normal page, an endless body, a 5 GB content-length that never ends. */
let site: http.Server;
let base = '';
let th: RunningHelper;
const dir = mkdtempSync(join(tmpdir(), 'sw-th-'));

beforeAll(async () => {
  site = http.createServer((req, res) => {
    if (req.url === '/endless' || req.url === '/5gb') {
      res.writeHead(200, { 'Content-Type': 'text/html', ...(req.url === '/5gb' ? { 'Content-Length': String(5 * 1024 ** 3) } : {}) });
      const chunk = Buffer.alloc(64 * 1024, 'z');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html', 'X-Site-Id': 'th-test' }).end('<html><head><title>Loopback test page</title></head><body>hello</body></html>');
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  th = await startTestHelper({ resolver: new SystemResolver(), allowPrivate: true, timeouts: { tcpMs: 2000, tlsMs: 2000, httpMs: 2000, dnsMs: 2000 } });
});
afterAll(async () => {
  await th.close();
  site.closeAllConnections();
  await new Promise((r) => site.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const meta = { cc: 'ZZ', asn: 'AS0', networkName: 'test' };
const fast = { dnsMs: 2000, tcpMs: 2000, tlsMs: 2000, httpMs: 2000, thMs: 5000 };

describe('test helper protocol', () => {
  it('answers the documented request with the documented shape', async () => {
    const port = new URL(base).port;
    const res = await fetch(th.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ http_request: `${base}/`, http_request_headers: { Accept: ['*/*'] }, tcp_connect: [`127.0.0.1:${port}`], x_quic_enabled: false }),
    });
    expect(res.status).toBe(200);
    const json = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['tcp_connect', 'tls_handshake', 'quic_handshake', 'http_request', 'http3_request', 'dns', 'ip_info']));
    const c = thResponseSchema.parse(json);
    expect(c.tcp_connect[`127.0.0.1:${port}`]).toEqual({ status: true, failure: null });
    expect(c.http_request.status_code).toBe(200);
    expect(c.http_request.title).toBe('Loopback test page');
    expect(c.http_request.headers['X-Site-Id']).toBe('th-test');
    expect(c.http_request.body_length).toBeGreaterThan(50);
    expect(c.dns).toEqual({ failure: null, addrs: ['127.0.0.1'] });
    expect(c.ip_info!['127.0.0.1']!.flags & 3).toBe(3);
  });
  it('reports failures with -1 and names bad requests', async () => {
    const closed = await freePort();
    const r = await fetch(th.url, { method: 'POST', body: JSON.stringify({ http_request: `http://127.0.0.1:${closed}/`, tcp_connect: [] }) });
    const c = thResponseSchema.parse(await r.json());
    expect(c.http_request).toMatchObject({ failure: 'connection_refused', status_code: -1, body_length: -1 });
    const bad = await fetch(th.url, { method: 'POST', body: JSON.stringify({ tcp_connect: 'x' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/http_request/);
    expect((await fetch(th.url, { method: 'POST', body: '{nope' })).status).toBe(400);
    expect((await fetch(th.url)).status).toBe(405);
  });
  it('a public helper refuses to connect into private space', async () => {
    const pub = await startTestHelper({ resolver: new SystemResolver() });
    try {
      const r = await fetch(pub.url, { method: 'POST', body: JSON.stringify({ http_request: `${base}/`, tcp_connect: ['127.0.0.1:22'] }) });
      const c = thResponseSchema.parse(await r.json());
      expect(c.tcp_connect['127.0.0.1:22']!.status).toBe(false);
      expect(c.http_request.status_code).toBe(-1);
    } finally {
      await pub.close();
    }
  });
});

describe('probe against our test helper', () => {
  it('measures a reachable loopback site', async () => {
    const m = await measureUrl(`${base}/`, { resolver: new SystemResolver(), thUrl: th.url, meta, timeouts: fast });
    expect(m.test_keys.control_failure).toBeNull();
    expect(m.test_keys.x_stackwatch!.verdict).toBe('ok');
    expect(m.test_keys.blocking).toBe(false);
    expect(m.test_keys.accessible).toBe(true);
    expect(m.test_keys.status_code_match).toBe(true);
    expect(m.probe_ip).toBe('127.0.0.1');
  });
  it('a test helper that does not answer: verdict null with control_failure, no crash', async () => {
    const silent = net.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    try {
      const m = await measureUrl(`${base}/`, { resolver: new SystemResolver(), thUrl: url, meta, timeouts: { ...fast, thMs: 500 } });
      expect(m.test_keys.control_failure).toBe('generic_timeout_error');
      expect(m.test_keys.blocking).toBeNull();
      expect(m.test_keys.accessible).toBeNull();
      const closed = await freePort();
      const m2 = await measureUrl(`${base}/`, { resolver: new SystemResolver(), thUrl: `http://127.0.0.1:${closed}/`, meta, timeouts: fast });
      expect(m2.test_keys.control_failure).toBe('connection_refused');
      expect(m2.test_keys.blocking).toBeNull();
    } finally {
      silent.close();
    }
  });
  it('caps an endless body and a 5 GB body at 512 KiB', async () => {
    for (const path of ['/endless', '/5gb']) {
      const m = await measureUrl(`${base}${path}`, { resolver: new SystemResolver(), thUrl: th.url, meta, timeouts: fast });
      const r = m.test_keys.requests![0]!;
      expect(r.response.body_is_truncated).toBe(true);
      expect(Buffer.byteLength(r.response.body as string)).toBe(BODY_CAP);
      expect((m.test_keys.control as ThResponse).http_request.body_length).toBe(BODY_CAP);
    }
  });
});

describe('bad input', () => {
  it('reports malformed test-list lines and invalid URLs with their line numbers', () => {
    const csv = [
      'url,category_code,category_description,date_added,source,notes',
      'https://example.org/,NEWS,News Media,2020-01-01,citizenlab,',
      'not a url,NEWS,News Media,2020-01-01,citizenlab,',
      'ftp://example.org/,NEWS,News Media,2020-01-01,citizenlab,',
      'https://short.example/,NEWS',
      '"https://quoted.example/",HUMR,"Human Rights, Issues",2020-01-01,citizenlab,"a, b"',
    ].join('\n');
    const r = parseTestList(csv, 'cm.csv');
    expect(r.inputs.map((i) => i.url)).toEqual(['https://example.org/', 'https://quoted.example/']);
    expect(r.problems.map((p) => [p.line, p.message.split(':')[0]])).toEqual([
      [3, 'not a URL'],
      [4, 'unsupported scheme "ftp'],
      [5, 'expected 6 columns, found 2'],
    ]);
    const u = parseUrlFile('# comment\nhttp://a.example/\n\nhttp//broken\n');
    expect(u.inputs).toHaveLength(1);
    expect(u.problems).toEqual([{ source: 'url file', line: 4, message: 'not a URL: "http//broken"' }]);
  });
  it('reads the shipped Citizen Lab lists', () => {
    const r = parseTestList(readFileSync(new URL('../../../seed/measurement/test-lists/cm.csv', import.meta.url), 'utf8'));
    expect(r.inputs.length).toBeGreaterThan(50);
  });
});

describe('probe command', () => {
  it('writes OONI JSONL, resumes without measuring twice and prints the summary', async () => {
    const out = join(dir, 'm.jsonl');
    const list = join(dir, 'urls.txt');
    writeFileSync(list, `${base}/\n${base}/endless\nnot-a-url\n`);
    const cmd = commands.find((c) => c.path.join(' ') === 'probe')!;
    const o = sink();
    const e = sink();
    const args = ['--input', list, '--out', out, '--th', th.url, '--concurrency', '4', '--per-host-gap-ms', '0', '--http-timeout-ms', '2000', '--country', 'cm', '--asn', '30722', '--quiet'];
    expect(await cmd.run(args, { stdout: o.w, stderr: e.w, env: {} })).toBe(0);
    expect(e.text()).toContain('urls.txt:3: not a URL');
    expect(o.text()).toMatch(/reachable\s+2/);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { probe_cc: string; probe_asn: string });
    expect(lines).toHaveLength(2);
    expect(lines[0]!.probe_cc).toBe('CM');
    expect(lines[0]!.probe_asn).toBe('AS30722');
    // second run: nothing new to measure
    const o2 = sink();
    expect(await cmd.run(args, { stdout: o2.w, stderr: sink().w, env: {} })).toBe(0);
    expect(o2.text()).toMatch(/skipped \(already in output\)\s+2/);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  });
  it('rejects bad options by name', async () => {
    const cmd = commands.find((c) => c.path.join(' ') === 'probe')!;
    await expect(cmd.run(['http://a.example/', '--country', 'Cameroon'], { stdout: sink().w, stderr: sink().w, env: {} })).rejects.toThrow(/--country/);
    await expect(cmd.run(['http://a.example/', '--resolver', 'udp://nonsense'], { stdout: sink().w, stderr: sink().w, env: {} })).rejects.toThrow(/--resolver/);
    await expect(cmd.run([], { stdout: sink().w, stderr: sink().w, env: {} })).rejects.toThrow(/no URLs/);
  });
});

function sink() {
  let text = '';
  const w = new Writable({ write(c, _e, cb) { text += String(c); cb(); } });
  return { w, text: () => text };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}
