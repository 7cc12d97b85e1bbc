/**
 * Issue #10: the published files as published, short windows, hourly noise, missing rows, malformed input, and an
 * evaluation that does not flatter.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureCli } from '../platform/testing.js';
import { commands } from './cli.js';
import { detect } from './detect/index.js';
import { defaultConfig } from './detect/config.js';
import { detectSeries } from './detect/detector.js';
import { parseSignalText, readSignalFile } from './signals/index.js';
import { parseIodaSignals } from './signals/ioda.js';
import { coverageOf, evaluate } from './evaluate/evaluate.js';
import { IRAN_DIURNAL, realisticRun, withMembers } from './evaluate/realistic.js';
import type { LabelledEvent, OutageEvent } from './model.js';

const DATA = join(__dirname, '..', '..', '..', 'shared', 'data', 'signals');
const VEN = join(DATA, 'monash-ven-2019-07-22-blackout.csv');
const T = (iso: string) => Date.parse(iso) / 1000;
const dir = mkdtempSync(join(tmpdir(), 'sw-messy-'));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const run = (argv: string[]) => {
  const cmd = commands.find((c) => c.path.join(' ') === 'outages detect')!;
  return captureCli((a, c) => cmd.run(a, c), argv);
};

describe('Venezuela blackout, 22 July 2019, the file exactly as Monash publishes it', () => {
  const parsed = readSignalFile(VEN);
  const d = detect(parsed.series);
  const national = d.events.filter((e) => e.scope === 'country');
  // the power failed at 16:40–16:45 local time (UTC−4)
  const failure = T('2019-07-22T20:40:00Z');

  it('reads the -1 sentinel as a missing reading and says so', () => {
    expect(parsed.series).toHaveLength(13);
    const tachira = parsed.series.find((s) => s.entity.code === 'VE/Táchira')!;
    const k = (T('2019-07-22T22:00:00Z') - tachira.start) / tachira.step; // 18:00 local
    expect(Number.isNaN(tachira.values[k]!)).toBe(true);
    expect(parsed.report.notes.join('\n')).toMatch(/1 connectivity value of -1 \(the missing-reading sentinel\) read as missing \(first on line 1311\)/);
  });

  it('finds one national event starting within 2 h of the power failure, and no other', () => {
    expect(national).toHaveLength(1);
    const e = national[0]!;
    expect(e.kind).toBe('outage');
    expect(Math.abs(e.start - failure)).toBeLessThanOrEqual(2 * 3600);
    expect(e.members!.affected).toBeGreaterThanOrEqual(10);
    // causal: announced after the data showed it, not when the regions began
    expect(e.firstAlertAt).toBeGreaterThan(e.start);
  });

  it('reports the states that stayed out longest with their own end times', () => {
    const e = national[0]!;
    const ends = new Map(e.memberEvents!.map((m) => [m.entity, m.end]));
    for (const [state, hours] of [['VE/Barinas', 12], ['VE/Zulia', 6], ['VE/Táchira', 5], ['VE/Mérida', 4]] as const) {
      const end = ends.get(state);
      expect(end, state).toBeTruthy();
      expect(end! - e.end!, state).toBeGreaterThanOrEqual(hours * 3600);
    }
  });

  it('prints the notes, and the long-lasting states under the national event', async () => {
    const r = await run([VEN]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/note: 1 connectivity value of -1/);
    expect(r.out).toMatch(/└ VE\/Barinas\s+region\s+outage\s+\S+\s+2019-07-24T/);
  });

  it('with its first 36 hours removed, still finds the blackout and warns that the history is short', () => {
    const text = readFileSync(VEN, 'utf8').split('\n');
    const t0 = Math.min(...text.slice(1).filter(Boolean).map((l) => Number(l.split(',')[3])));
    const cut = [text[0]!, ...text.slice(1).filter((l) => l && Number(l.split(',')[3]) >= t0 + 36 * 3600)].join('\n');
    const p = parseSignalText(cut);
    const d2 = detect(p.series);
    const nat = d2.events.filter((e) => e.scope === 'country');
    expect(d2.warnings.join('\n')).toMatch(/VE: short history/);
    expect(nat).toHaveLength(1);
    expect(Math.abs(nat[0]!.start - failure)).toBeLessThanOrEqual(2 * 3600);
  });

  it('a file too short for any baseline gives a "cannot judge" warning, never silence', () => {
    const lines = readFileSync(VEN, 'utf8').split('\n');
    const short = [lines[0], ...lines.slice(1).filter((l) => /22-Jul-2019 1[6-7]:/.test(l))].join('\n');
    const d3 = detect(parseSignalText(short).series);
    expect(d3.events).toHaveLength(0);
    expect(d3.warnings.join('\n')).toMatch(/cannot judge VE: 13 of 13 series/);
  });
});

describe('malformed inputs: a clear error naming the line', () => {
  const head = 'time,entity,value\n';
  it.each([
    ['2024-13-03', /line 3: column "time": "2024-13-03T00:00:00Z" is not a date \(month 13\)/],
    ['2024-02-30', /line 3: column "time": "2024-02-30T00:00:00Z" is not a date \(day 30 of a 29-day month\)/],
  ])('refuses the impossible date %s instead of moving it', (date, re) => {
    expect(() => parseSignalText(`${head}2024-01-01T00:00:00Z,CM,5\n${date}T00:00:00Z,CM,6\n`)).toThrow(re);
  });
  it('refuses impossible Monash dates too', () => {
    expect(() => parseSignalText('iso,name_1,time_e_str,time_local,timezone_offset,connectivity\nUKR,Kiev,x,30-Feb-2021 05:00:00,2,100\n', { format: 'monash' })).toThrow(/line 2: .*not a date \(day 30/);
  });
  it('refuses duplicate column names', () => {
    expect(() => parseSignalText('time,entity,value,Value\n2024-01-01T00:00:00Z,CM,5,6\n')).toThrow(/line 1: duplicate column name "Value" \(columns 3 and 4\)/);
  });
  it('refuses text that is not UTF-8, naming the line', () => {
    const p = file('latin1.csv', Buffer.concat([Buffer.from('iso,name_1,time_e_utc,connectivity\nVEN,Zulia,1563580800,100\nVEN,T'), Buffer.from([0xe1]), Buffer.from('chira,1563580800,90\n')]));
    expect(() => readSignalFile(p)).toThrow(/latin1\.csv: line 3: the file is not UTF-8 text \(byte 0xe1/);
  });
  it('refuses a step that changes part-way (mixed step sizes) and warns when series differ', () => {
    const rows = [head.trim()];
    for (let i = 0; i < 30; i++) rows.push(`${new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString()},CM,5`);
    for (let i = 0; i < 14; i++) rows.push(`${new Date(Date.UTC(2024, 0, 2) + i * 3_600_000).toISOString()},CM,5`);
    expect(() => parseSignalText(rows.join('\n'))).toThrow(/line 3[0-9]: series CM: mixed step sizes — points are 300 s apart, but from .* they are 3600 s apart/);
    const two = [head.trim(), ...Array.from({ length: 5 }, (_, i) => `${new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString()},CM,5`), ...Array.from({ length: 5 }, (_, i) => `${new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString()},TD,5`)];
    expect(parseSignalText(two.join('\n')).report.warnings.join()).toMatch(/mixed step sizes across series: 1 series at 300 s, 1 series at 3600 s/);
  });
  it('handles negative values the same in every path: -1 is a missing reading, any other negative an error', () => {
    const g = parseSignalText(`${head}2024-01-01T00:00:00Z,CM,5\n2024-01-01T01:00:00Z,CM,-1\n2024-01-01T02:00:00Z,CM,4\n`);
    expect(Number.isNaN(g.series[0]!.values[1]!)).toBe(true);
    expect(g.report.notes.join()).toMatch(/1 value value of -1/);
    expect(() => parseSignalText(`${head}2024-01-01T00:00:00Z,CM,5\n2024-01-01T01:00:00Z,CM,-3\n`)).toThrow(/line 3: column "value": negative value -3/);
    expect(() => parseSignalText('iso,name_1,time_e_utc,connectivity\nUSA,Texas,1598227200,-2\n')).toThrow(/line 2: column "connectivity": negative value -2/);
    const ioda = (v: number) => ({ data: [[{ entityType: 'country', entityCode: 'CM', datasource: 'bgp', from: 0, until: 600, step: 300, values: [5, v] }]] });
    expect(Number.isNaN(parseIodaSignals(ioda(-1))[0]!.values[1]!)).toBe(true);
    expect(() => parseIodaSignals(ioda(-7))).toThrow(/negative value -7/);
  });
  it('fails cleanly on an input over the row limit', () => {
    const rows = [head.trim(), ...Array.from({ length: 50 }, (_, i) => `${new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString()},CM,5`)];
    const p = file('big.csv', rows.join('\n'));
    expect(() => readSignalFile(p, { maxRows: 20 })).toThrow(/big\.csv: line 22: more than 20 data rows: the file is too large/);
  });
});

describe('Monash layouts as published', () => {
  it('aggregates raw per-address pings into responsive addresses per place and hour, with zero hours', () => {
    // the published Bago layout (IP Observatory index entry 4), local time UTC+6:30; 6 addresses answer every
    // hour, except at night 01:00–05:00 local from the third night on, when no row exists at all
    const rows = ['ip_hash,iso,name_0,name_1,name_2,isp_name,owner_name,time_local_str,time_local_hr,rtt'];
    for (let h = 0; h < 6 * 24; h++) {
      const day = Math.floor(h / 24);
      const hr = h % 24;
      if (day >= 2 && hr >= 1 && hr < 5) continue;
      for (let ip = 0; ip < 6; ip++) {
        if ((h * 7 + ip) % 11 === 0) continue; // an address that did not answer this hour
        const ts = `2021-02-${String(9 + day).padStart(2, '0')} ${String(hr).padStart(2, '0')}:${String(10 + ip).padStart(2, '0')}:00.000`;
        rows.push(`${String(ip).padStart(3, '0')},MMR,Myanmar,Bago,Pegu,Myanma Post Telecommunication,KDDI Summit Global Myanmar,${ts},${hr},${ip === 5 && hr === 12 ? '' : 300 + ip}`);
      }
    }
    const p = parseSignalText(rows.join('\n'));
    expect(p.format).toBe('monash');
    expect(p.series).toHaveLength(1);
    const s = p.series[0]!;
    expect(s.signal).toBe('monash-pings');
    expect(s.entity.code).toBe('MM/Bago/Pegu');
    expect(s.step).toBe(3600);
    expect(s.start).toBe(T('2021-02-08T17:30:00Z')); // 00:00 local
    expect(s.values.length).toBe(6 * 24);
    expect(Array.from(s.values).filter((v) => v === 0)).toHaveLength(4 * 4); // four silent nights × 4 hours
    expect(p.report.notes.join()).toMatch(/aggregated into the number of responsive addresses per place and local hour \(MM UTC\+6\.5\): 1 series × 144 hours; 16 place-hours with no response written as 0/);
    const d = detect(p.series);
    const nights = d.events.filter((e) => e.kind === 'outage');
    expect(nights.length).toBeGreaterThanOrEqual(3);
    for (const e of nights) expect(e.firstAlertAt).toBeGreaterThan(e.start);
  });

  it('reads a latency index as a degradation signal (throttling, never an outage)', () => {
    const rows = ['country_iso_three_char_code,country_iso_name,adm1_name,adm1_unique_identifier,timezone_offset,timezone_name,time_local,latency_indx'];
    for (let k = 0; k < 8 * 6; k++) {
      const t = new Date(Date.UTC(2021, 11, 1, 6) + k * 3 * 3_600_000);
      const stamp = `${String(t.getUTCDate()).padStart(2, '0')}-Dec-2021 ${String(t.getUTCHours()).padStart(2, '0')}:00:00`;
      const bad = k >= 30 && k < 36;
      rows.push(`UKR,Ukraine,Kiev City,UKR-11,2,Europe/Kiev,${stamp},${bad ? 260 + k : 100 + (k % 3) * 2.5}`);
    }
    const p = parseSignalText(rows.join('\n'));
    expect(p.series[0]!.signal).toBe('monash-latency');
    expect(p.report.notes.join()).toMatch(/latency index .* read as a degradation signal/);
    const d = detect(p.series);
    expect(d.events.length).toBe(1);
    expect(d.events[0]!.kind).toBe('throttling');
    expect(d.events[0]!.entity).toBe('UA/Kiev City');
  });
});

describe('detection on low-frequency noisy series', () => {
  const p = defaultConfig().signals.monash!;
  const base = () => Float64Array.from({ length: 24 * 5 }, (_, i) => [100, 90, 100, 100, 90][i % 5]!);
  it('an hour alone is not an event; two consecutive critical hours are', () => {
    const v = base();
    v[80] = 10;
    expect(detectSeries(v, 0, 3600, p).events).toHaveLength(0);
    v[81] = 20;
    const { events } = detectSeries(v, 0, 3600, p);
    expect(events).toHaveLength(1);
    expect(events[0]!.start).toBe(80 * 3600);
    expect(events[0]!.firstAlertAt).toBe(82 * 3600); // known once the second hour has passed
  });
  it('does not chain isolated noisy hours into a long event', () => {
    const v = base();
    for (const k of [60, 61, 62]) v[k] = 10; // a real 3-hour event
    for (const k of [64, 66, 68, 70, 72]) v[k] = 60; // then lone warning hours, each after a normal one
    const { events } = detectSeries(v, 0, 3600, p);
    expect(events).toHaveLength(1);
    expect(events[0]!.end).toBe(63 * 3600);
  });
});

describe('evaluation that does not flatter', () => {
  const det = (entity: string, kind: 'outage' | 'throttling', start: number, end: number, firstAlertAt = start + 600): OutageEvent => ({
    entity, scope: 'country', country: entity, kind, start, end, firstAlertAt, depth: 1, minRatio: 0, severity: 1, confidence: 1, signals: ['x'], points: 2,
  });
  const lab = (entity: string, kind: 'full' | 'partial', start: number, end: number): LabelledEvent => ({ entity, scope: 'country', country: entity, kind, start, end, source: 't' });
  it('gives n/a for recall with no labels and for precision with no detections', () => {
    const ev = evaluate([det('IR', 'outage', 0, 3600)], [], { seriesDays: 1 });
    expect(ev.full.recall).toBeNull();
    expect(ev.full.precision).toBe(0);
    expect(evaluate([], [lab('IR', 'full', 0, 3600)], { seriesDays: 1 }).full.precision).toBeNull();
  });
  it('counts partial precision only against partial labels, and never a negative delay', () => {
    const ev = evaluate([det('IR', 'throttling', 0, 7200, 300)], [lab('IR', 'full', 0, 7200)], { seriesDays: 1 });
    expect(ev.partial.precision).toBe(0);
    const early = evaluate([det('IR', 'outage', 0, 7200, 600)], [lab('IR', 'full', 3000, 7200)], { seriesDays: 1 });
    expect(early.full.medianDelayMinutes).toBe(0);
    expect(early.full.earlyAlerts).toBe(1);
  });
  it('computes a per-hour false-positive rate over entity-hours outside labels', () => {
    const cov = [{ entity: 'IR', start: 0, end: 100 * 3600 }];
    const ev = evaluate([det('IR', 'outage', 10 * 3600, 12 * 3600), det('IR', 'outage', 50 * 3600, 53 * 3600)], [lab('IR', 'full', 10 * 3600, 12 * 3600)], { seriesDays: 4, coverage: cov, toleranceMinutes: 0 });
    expect(ev.hourly).toMatchObject({ negativeHours: 98, falsePositiveHours: 3, positiveHours: 2, truePositiveHours: 2 });
  });
});

describe('realistic synthetic benchmark', () => {
  it('takes its daily cycle from the shipped Iran series', () => {
    const text = readFileSync(join(DATA, 'monash-irn-2019-11-11.csv'), 'utf8').split('\n').slice(1).filter(Boolean);
    const sum = new Array(24).fill(0);
    const n = new Array(24).fill(0);
    for (const l of text) {
      const c = l.split(',');
      const t = Number(c[5]);
      if (t >= 1573430400 + 5 * 86400) continue;
      const h = Math.floor(t / 3600) % 24;
      sum[h] += Number(c[9]);
      n[h]++;
    }
    const mean = sum.map((s, h) => s / n[h]);
    const avg = mean.reduce((a, b) => a + b, 0) / 24;
    mean.forEach((m, h) => expect(m / avg).toBeCloseTo(IRAN_DIURNAL[h]!, 3));
  });

  it('nightly shutdowns on low-count series: per-hour FPR ≤ 2 %, recall ≥ 90 %, delays never negative', async () => {
    for (const seed of [1, 2]) {
      const r = await realisticRun(seed);
      const ents = new Set(r.bench.nightlyCountEntities);
      const sub = r.series.filter((s) => ents.has(s.entity.code));
      expect(sub.length).toBe(8);
      // low counts: the median hourly count is small
      const vals = sub.flatMap((s) => Array.from(s.values).filter((v) => v === v)).sort((a, b) => a - b);
      expect(vals[vals.length >> 1]!).toBeLessThan(25);
      const d = detect(sub);
      const labels = r.bench.labels.filter((l) => ents.has(l.entity));
      expect(labels.length).toBeGreaterThan(150);
      const ev = evaluate(withMembers(d.events).filter((e) => ents.has(e.entity)), labels, { seriesDays: d.seriesDays, coverage: coverageOf(sub).filter((c) => ents.has(c.entity)) });
      expect(ev.hourly!.fpr!).toBeLessThanOrEqual(0.02);
      expect(ev.full.recall!).toBeGreaterThanOrEqual(0.9);
      expect(ev.full.medianDelayMinutes!).toBeGreaterThanOrEqual(0);
      expect(ev.full.maxDelayMinutes!).toBeLessThanOrEqual(6 * 60);
    }
  });
});
