import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureCli } from '../platform/testing.js';
import { commands } from './cli.js';

const IRAN = join(__dirname, '..', '..', '..', 'shared', 'data', 'signals', 'monash-irn-2019-11-11.csv');

describe('outages import / link CLI on an embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-outages-'));
  const env = { STACKWATCH_DATA_DIR: dir };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  function run(name: string, argv: string[]) {
    const cmd = commands.find((c) => c.path.join(' ') === `outages ${name}`)!;
    return captureCli((a, c) => cmd.run(a, c), argv, env);
  }

  it('imports a file, refuses a malformed one without writing, links and lists events', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'iso,name_1,time_e_utc,connectivity\nUSA,Texas,1598227200,10\nUSA,Texas,1598230800,ten\n');
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'time,entity,value\n2024-01-01T00:00:00Z,CM,5\n2024-01-01T00:05:00Z,CM,6\n');
    const r1 = await run('import', [good, bad]);
    expect(r1.code).toBe(1);
    expect(r1.err).toMatch(/bad\.csv: line 3: column "connectivity": "ten" is not a number/);
    const r2 = await run('import', [good]);
    expect(r2.code).toBe(0);
    expect(r2.out).toMatch(/good\.csv\s+csv\s+1\s+2\s+1/);
    // good.csv alone was stored: the failed run stored nothing (one series, two points)
    const r3 = await run('link', ['--json', IRAN]);
    expect(r3.code).toBe(0);
    const j = JSON.parse(r3.out) as { events: { entity: string; incidentId: string | null; action: string }[] };
    expect(j.events.find((e) => e.entity === 'IR')!.action).toBe('created');
    const r4 = await run('link', ['--json', IRAN]);
    const j4 = JSON.parse(r4.out) as { events: { new: boolean; action: string }[] };
    expect(j4.events.every((e) => !e.new && e.action === 'unchanged')).toBe(true);
    // an analyst rejects one event; the list shows the decision
    const ir = j.events.find((e) => e.entity === 'IR') as unknown as { id: string };
    expect((await run('review', ['reject', ir.id])).err).toMatch(/--by NAME is required/);
    const rv = await run('review', ['confirm', ir.id, '--by', 'ana', '--note', 'matches STOP']);
    expect(rv.code).toBe(0);
    expect(rv.out).toMatch(/IR 2019-11-16T14:30:00Z: confirmed by ana/);
    const ls = await run('events', ['--country', 'IR', '--confirmed']);
    expect(ls.out).toMatch(/IR\s+outage\s+2019-11-16T14:30:00Z\s+ongoing\s+0\.97\s+[\d.]+\s+confirmed/);
    expect((await run('review', ['confirm', '00000000-0000-0000-0000-000000000000', '--by', 'ana'])).err).toMatch(/Outage event not found/);
  }, 180_000); // several CLI runs, each opening the embedded database: slow on a loaded machine
});
