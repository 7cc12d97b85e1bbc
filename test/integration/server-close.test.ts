/**
 * Stopping the server (Ctrl-C, SIGTERM, a test's teardown) must not wait on a client: a request that never finishes
 * sending its headers keeps its connection busy, and without a bound Node waits for it up to its headers timeout.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/server.js';

describe('stopping the server', () => {
  it('answers the requests it has, then cuts a client that never finishes its request after the grace period', async () => {
    const srv = await startServer({ port: 0, dataDir: 'memory://', quiet: true, loadHistory: false, jobs: false, cliSocket: false, closeGraceMs: 500 });
    const ok = await fetch(`${srv.url}/api/health`);
    expect(ok.status).toBe(200);
    // A client that starts a request and stalls: the header block is never ended.
    const sock = connect(srv.port, '127.0.0.1');
    await new Promise<void>((res) => sock.once('connect', () => res()));
    sock.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const closedBy = new Promise<void>((res) => sock.once('close', () => res()));
    const t0 = performance.now();
    const stopped = await Promise.race([srv.close().then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 10_000))]);
    expect(stopped).toBe(true);
    await closedBy;
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(400); // it did wait for the request first
    expect(ms).toBeLessThan(5_000);
  }, 30_000);
});
