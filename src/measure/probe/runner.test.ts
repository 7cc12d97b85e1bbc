import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProbe } from './runner.js';
import { SystemResolver } from '../net/resolver.js';

let server: http.Server;
let base = '';
let inFlight = 0;
let maxInFlight = 0;
const dir = mkdtempSync(join(tmpdir(), 'sw-runner-'));

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      res.end('<html><title>x</title></html>');
    }, 60);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const opts = { resolver: new SystemResolver(), thUrl: null, meta: { cc: 'ZZ', asn: 'AS0', networkName: '' }, timeouts: { httpMs: 2000, tcpMs: 2000 } };

describe('runner', () => {
  it('never measures one host twice at once, and keeps the per-host gap', async () => {
    maxInFlight = 0;
    const urls = [1, 2, 3, 4].map((i) => `${base}/p${i}`);
    const t0 = Date.now();
    const r = await runProbe(urls, { ...opts, concurrency: 4, perHostGapMs: 100 });
    expect(r.results).toHaveLength(4);
    expect(maxInFlight).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 100 + 4 * 60);
    // without a control the verdict is "could not tell", never a guess
    expect(r.counts).toEqual({ unknown: 4 });
  });
  it('resumes: drops a half-written last line and measures only what is missing', async () => {
    const out = join(dir, 'resume.jsonl');
    const urls = [`${base}/a`, `${base}/b`, `${base}/c`];
    await runProbe(urls.slice(0, 2), { ...opts, concurrency: 2, out });
    const before = readFileSync(out, 'utf8');
    writeFileSync(out, before + '{"input":"' + urls[2] + '","test_keys":{"trunc'); // killed mid-write
    const r = await runProbe(urls, { ...opts, concurrency: 2, out });
    expect(r.skipped).toBe(2);
    expect(r.results.map((x) => x.input)).toEqual([urls[2]]);
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => (JSON.parse(l) as { input: string }).input).sort()).toEqual(urls);
  });
});
