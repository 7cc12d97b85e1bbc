/** The desk's command line: escrow key made and shown once, offline recovery of a case with it, the jobs run once. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureCli } from '../platform/testing.js';
import { main } from '../cli.js';
import { openFromEnv } from '../platform/cli.js';
import { firstOrgId } from '../platform/auth.js';
import { submitPlain } from './service.js';

describe('desk command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-desk-cli-'));
  const env = { STACKWATCH_DATA_DIR: join(dir, 'data') };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the escrow key, recovers a case with it, refuses a wrong key; the jobs command checks its clock', async () => {
    const made = await captureCli(main, ['desk', 'escrow-key'], env);
    expect(made.code, made.err).toBe(0);
    const privateKey = made.out.trim().split('\n').at(-1)!;
    expect(privateKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const db = await openFromEnv(env);
    const { ref } = await submitPlain(db, (await firstOrgId(db))!, { category: 'spyware_surveillance', country: 'MX', urgency: 'days', safeNow: 'yes', language: 'es' }, { narrative: 'El teléfono se calienta y envía datos', contact: 'sólo por esta página', contactPreference: 'page_only' }, [{ name: 'log.txt', type: 'text/plain', bytes: new TextEncoder().encode('suspicious process list') }]);
    await db.close();
    // the private key is not in the data directory
    const key = join(dir, 'escrow.key');
    writeFileSync(key, privateKey);
    const out = join(dir, 'recovered');
    const rec = await captureCli(main, ['desk', 'recover', '--ref', String(ref), '--key-file', key, '--out', out], env);
    expect(rec.code, rec.err).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['001-report.json', '002-attachment-log.txt']);
    expect(JSON.parse(readFileSync(join(out, files[0]!), 'utf8')).narrative).toBe('El teléfono se calienta y envía datos');
    expect(readFileSync(join(out, files[1]!), 'utf8')).toBe('suspicious process list');
    writeFileSync(key, Buffer.alloc(32, 1).toString('base64'));
    const wrong = await captureCli(main, ['desk', 'recover', '--ref', String(ref), '--key-file', key, '--out', out], env);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('does not open the case');
    expect((await captureCli(main, ['desk', 'jobs', '--now', 'soon'], env)).code).toBe(2);
  }, 180_000); // five on-disk database opens (migrations each time): slow on a loaded machine
});
