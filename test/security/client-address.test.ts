/** Which address sign-in throttling and lock-out count against (issue #7: X-Forwarded-For only from a trusted proxy). */
import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { clientAddress } from '../../src/platform/http.js';

function addressOf(remote: string, xff: string | undefined, trusted: string[]): Promise<string> {
  const app = new Hono();
  app.get('/', (c) => c.text(clientAddress(c, trusted)));
  const env = { incoming: { socket: { remoteAddress: remote } } };
  return Promise.resolve(app.request('http://localhost/', { headers: xff ? { 'x-forwarded-for': xff } : {} }, env)).then((r) => r.text());
}

describe('client address', () => {
  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    expect(await addressOf('203.0.113.5', '1.2.3.4', [])).toBe('203.0.113.5');
    expect(await addressOf('203.0.113.5', '1.2.3.4', ['10.0.0.1'])).toBe('203.0.113.5');
  });
  it('takes the right-most untrusted address behind trusted proxies (the left part is the client’s to forge)', async () => {
    expect(await addressOf('10.0.0.1', '1.2.3.4', ['10.0.0.1'])).toBe('1.2.3.4');
    expect(await addressOf('10.0.0.1', 'forged.by.client, 198.51.100.9, 10.0.0.2', ['10.0.0.1', '10.0.0.2'])).toBe('198.51.100.9');
    expect(await addressOf('::ffff:10.0.0.1', '198.51.100.9', ['10.0.0.1'])).toBe('198.51.100.9');
    expect(await addressOf('10.0.0.1', undefined, ['10.0.0.1'])).toBe('10.0.0.1');
  });
});
