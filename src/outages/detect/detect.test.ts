import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureCli } from '../../platform/testing.js';
import { parseMonash } from '../signals/monash.js';
import { detect } from './index.js';
import { configFrom, defaultConfig } from './config.js';
import { SeriesDetector, detectSeries, LEVEL_CRITICAL } from './detector.js';
import { commands } from '../cli.js';

const DATA = join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'signals');
const iran = parseMonash(readFileSync(join(DATA, 'monash-irn-2019-11-11.csv'), 'utf8'));
const laura = parseMonash(readFileSync(join(DATA, 'monash-usa-2020-08-31-hurricane-laura.csv'), 'utf8'));
const T = (iso: string) => Date.parse(iso) / 1000;

function runCli(argv: string[]) {
  const cmd = commands.find((c) => c.path.join(' ') === 'outages detect')!;
  return captureCli((a, c) => cmd.run(a, c), argv);
}

describe('Iran, November 2019 (Monash, 73 counties)', () => {
  const { events } = detect(iran);
  const national = events.filter((e) => e.scope === 'country');

  it('finds one national event starting within 2 hours of 2019-11-16 14:00 UTC', () => {
    expect(national).toHaveLength(1);
    const e = national[0]!;
    expect(e.entity).toBe('IR');
    expect(Math.abs(e.start - T('2019-11-16T14:00:00Z'))).toBeLessThanOrEqual(2 * 3600);
    expect(e.kind).toBe('outage');
    expect(e.depth).toBeGreaterThan(0.75);
    expect(e.end).toBeNull(); // still down when the data ends (20 Nov)
    expect(e.members!.affected).toBeGreaterThanOrEqual(0.8 * 73);
    expect(e.severity).toBeGreaterThan(80);
  });

  it('has no national event in the days before', () => {
    expect(events.filter((e) => e.scope === 'country' && e.start < T('2019-11-16T12:00:00Z'))).toHaveLength(0);
  });

  it('prints the event as JSON from the CLI', async () => {
    const r = await runCli(['--json', join(DATA, 'monash-irn-2019-11-11.csv')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { events: { entity: string; scope: string; start: string; end: string | null; depth: number; severity: number }[] };
    const ir = j.events.filter((e) => e.scope === 'country');
    expect(ir).toHaveLength(1);
    expect(ir[0]).toMatchObject({ entity: 'IR', scope: 'country', start: '2019-11-16T14:30:00Z', end: null });
    expect(ir[0]!.depth).toBeGreaterThan(0.75);
  });
});

describe('Hurricane Laura (Monash, 200 US counties)', () => {
  const { events } = detect(laura);
  it('gives regional events, not a national one', () => {
    expect(events.filter((e) => e.scope === 'country')).toHaveLength(0);
    const regional = events.filter((e) => e.scope === 'region' && e.kind === 'outage');
    expect(regional.length).toBeGreaterThanOrEqual(10);
    // Calcasieu (Lake Charles), where Laura made landfall on 27 Aug, drops that morning
    const calc = regional.find((e) => e.entity === 'US/Louisiana/Calcasieu');
    expect(calc).toBeDefined();
    expect(calc!.start).toBeGreaterThanOrEqual(T('2020-08-27T00:00:00Z'));
    expect(calc!.start).toBeLessThan(T('2020-08-27T12:00:00Z'));
  });
});

describe('detector', () => {
  const p = defaultConfig().signals.generic!;
  const step = 300;
  const day = 288;
  function diurnal(days: number, seed = 1) {
    let s = seed;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    return Float64Array.from({ length: days * day }, (_, i) => 1000 * (1 + 0.4 * Math.sin((2 * Math.PI * i) / day)) * (0.97 + 0.06 * rnd()));
  }

  it('stays quiet on a normal daily cycle and finds an injected drop', () => {
    const v = diurnal(21);
    expect(detectSeries(v, 0, step, p).events).toHaveLength(0);
    for (let i = 15 * day + 100; i < 15 * day + 160; i++) v[i] = v[i]! * 0.05;
    const { events } = detectSeries(v, 0, step, p);
    expect(events).toHaveLength(1);
    expect(events[0]!.start).toBe((15 * day + 100) * step);
    expect(events[0]!.end).toBe((15 * day + 160) * step);
    expect(events[0]!.depth).toBeCloseTo(0.95, 1);
    expect(events[0]!.kind).toBe('outage');
  });

  it('sees a sustained partial drop as throttling', () => {
    const v = diurnal(21, 7);
    for (let i = 16 * day; i < 16 * day + 72; i++) v[i] = v[i]! * 0.65;
    const { events } = detectSeries(v, 0, step, p);
    expect(events).toHaveLength(1);
    expect(events[0]!.kind).toBe('throttling');
    expect(events[0]!.depth).toBeGreaterThan(0.25);
    expect(events[0]!.depth).toBeLessThan(0.45);
  });

  it('is not fooled by an earlier outage in its own history, nor by missing points', () => {
    const v = diurnal(28, 3);
    // a 2-day outage one week before an ordinary day
    for (let i = 14 * day; i < 16 * day; i++) v[i] = 0;
    for (let i = 20 * day; i < 20 * day + 50; i++) v[i] = NaN;
    const { events } = detectSeries(v, 0, step, p);
    expect(events).toHaveLength(1);
    expect(events[0]!.start).toBe(14 * day * step);
  });

  it('updates incrementally with the same result as batch', () => {
    const v = diurnal(15, 5);
    for (let i = 10 * day; i < 10 * day + 40; i++) v[i] = 1;
    const d = new SeriesDetector(0, step, p);
    const opened: number[] = [];
    const closed: number[] = [];
    let crit = 0;
    for (const x of v) {
      const r = d.push(x);
      if (r.level === LEVEL_CRITICAL) crit++;
      if (r.opened) opened.push(r.opened.start);
      if (r.closed) closed.push(r.closed.end!);
    }
    expect(opened).toEqual([10 * day * step]);
    expect(closed).toEqual([(10 * day + 40) * step]);
    expect(crit).toBe(40);
    expect(detectSeries(v, 0, step, p).events.map((e) => e.start)).toEqual(opened);
  });

  it('validates configuration overrides', () => {
    expect(configFrom({ signals: { bgp: { critical: 0.4 } } }).signals.bgp!.critical).toBe(0.4);
    expect(() => configFrom({ signals: { bgp: { critical: 2 } } })).toThrow(/signals\.bgp\.critical/);
    expect(() => configFrom({ signals: { generic: { critical: 0.9, warning: 0.8 } } })).toThrow(/must be below warning/);
    expect(() => configFrom({ fusion: { nationalShare: 0 } })).toThrow(/nationalShare/);
  });
});

describe('outages detect CLI errors', () => {
  it('reports a malformed file with exit code 1', async () => {
    const r = await runCli(['--format', 'monash', join(DATA, 'MONASH-README.md')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/MONASH-README\.md: .*missing column "connectivity"|expected \d+ columns/);
  });
  it('reports usage errors with exit code 2', async () => {
    expect((await runCli(['--format', 'xls', 'x.csv'])).code).toBe(2);
    expect((await runCli([])).err).toMatch(/exactly one signal file/);
  });
});

describe('fusion across signals and networks (IODA raw signals)', () => {
  const from = Date.UTC(2024, 4, 1) / 1000;
  function signal(entityType: string, entityCode: string, datasource: string, step: number, level: number, days: number, cut: [number, number] | null, seed: number) {
    let s = seed;
    const n = (days * 86400) / step;
    const values = Array.from({ length: n }, (_, i) => {
      s = (s * 48271) % 2147483647;
      const t = from + i * step;
      const daily = datasource === 'bgp' ? 1 : 1 + 0.3 * Math.sin((2 * Math.PI * (t % 86400)) / 86400);
      let v = level * daily * (1 + 0.02 * (s / 2147483647 - 0.5));
      if (cut && t >= cut[0] && t < cut[1]) v *= 0.02;
      return Math.round(v);
    });
    return { entityType, entityCode, entityName: entityCode, datasource, subtype: null, from, until: from + n * step, step, nativeStep: step, values };
  }
  const cutNational: [number, number] = [from + 20 * 86400 + 3600 * 10, from + 20 * 86400 + 3600 * 16];
  const cutNetwork: [number, number] = [from + 18 * 86400 + 3600 * 2, from + 18 * 86400 + 3600 * 5];
  const doc = {
    type: 'signals',
    error: null,
    data: [
      [
        signal('country', 'IR', 'bgp', 300, 40000, 22, cutNational, 1),
        signal('country', 'IR', 'ping-slash24', 600, 9000, 22, cutNational, 2),
        signal('asn', '12880', 'ping-slash24', 600, 3000, 22, cutNational, 3),
        signal('asn', '44244', 'ping-slash24', 600, 2000, 22, [cutNational[0], cutNetwork[1] + 86400 * 2 + 3600 * 6], 4),
        signal('asn', '197207', 'ping-slash24', 600, 2500, 22, cutNetwork, 5),
      ],
    ],
  };
  it('merges one country cut seen by two signals and keeps a lone network cut as a network event', async () => {
    const { parseIodaSignals } = await import('../signals/ioda.js');
    const series = parseIodaSignals(doc, { country: 'IR' });
    const { events } = detect(series);
    const national = events.filter((e) => e.scope === 'country');
    expect(national).toHaveLength(1);
    expect(national[0]!.signals).toEqual(['bgp', 'ping-slash24']);
    // BGP's warning level (99 %) lets noise just before the cut join the event: within half an hour
    expect(Math.abs(national[0]!.start - cutNational[0])).toBeLessThanOrEqual(1800);
    expect(Math.abs(national[0]!.end! - cutNational[1])).toBeLessThanOrEqual(1800);
    expect(national[0]!.members!.affected).toBe(2);
    const network = events.filter((e) => e.scope === 'network');
    expect(network.map((e) => e.entity)).toEqual(['AS197207']);
    expect(network[0]!.start).toBe(cutNetwork[0]);
    expect(events).toHaveLength(2);
  });
});
