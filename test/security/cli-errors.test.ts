/** The CLI answers bad input with one clear line and exit code 2, never a stack trace (issue #7). Both checks run
 * before the database is opened. */
import { describe, expect, it } from 'vitest';
import { captureCli } from '../../src/platform/testing.js';
import { main } from '../../src/cli.js';

describe('CLI errors', () => {
  const env = { STACKWATCH_DATA_DIR: '/nonexistent/never-opened' };
  it('refuses an impossible --from date, naming the option', async () => {
    for (const from of ['2024-02-30', '0000-01-01', 'yesterday']) {
      const r = await captureCli(main, ['export', 'incidents', '--format', 'csv', '--from', from], env);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/from: must be a real date/);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
  it('refuses an unwritable --out before doing any work', async () => {
    const r = await captureCli(main, ['export', 'incidents', '--format', 'csv', '--out', '/proc/no-such-dir/out.csv'], env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out: cannot write \/proc\/no-such-dir\/out\.csv \(ENOENT\)/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
