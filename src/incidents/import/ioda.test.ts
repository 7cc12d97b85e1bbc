import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsvError, parseCsv } from './csv.js';
import { matchStop, parseIodaTime, planIoda, readIodaOutages, type IodaOutage, type StopCandidate } from './ioda.js';
import { ImportFileError } from './stop.js';
import { IncidentInputSchema } from '../model.js';
import { asRegistryInput } from './test-helpers.js';

const DATA = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/shutdowns');
const IODA_TEXT = readFileSync(join(DATA, 'ioda-investigated-outages-2018-2022.csv'), 'utf8');

describe('CSV reader', () => {
  it('handles quotes, doubled quotes, commas and line breaks inside quotes, CRLF and a BOM', () => {
    const text = '\ufeffa,b,c\r\n"x, y","say ""hi""","two\r\nlines"\r\n1,,3\n\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', 'two\r\nlines'] },
      { line: 4, fields: ['1', '', '3'] },
    ]);
  });
  it('keeps a last record without a line end and trailing empty fields', () => {
    expect(parseCsv('a,b\n1,,')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '', ''] },
    ]);
  });
  it('reports an unterminated quote with its line', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(CsvError);
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(/unterminated quoted field starting on line 2/);
  });
});

describe('IODA time parser', () => {
  const at = (s: string) => {
    const r = parseIodaTime(s, 'begin');
    return r && 'at' in r ? r.at.toISOString() : r;
  };
  it('reads the usual forms in UTC to the minute', () => {
    expect(at('Wednesday, March 17, 2021, 4:40:00 PM')).toBe('2021-03-17T16:40:00.000Z');
    expect(at('Sunday, May 27, 2018, 11:00 PM')).toBe('2018-05-27T23:00:00.000Z');
    expect(at('Saturday June 2, 2018, 8:00 AM')).toBe('2018-06-02T08:00:00.000Z');
    expect(at('Monday, October 25, 2021, 2:30: AM')).toBe('2021-10-25T02:30:00.000Z');
    expect(at('Tuesday, September 7, 2021, 12:30: AM')).toBe('2021-09-07T00:30:00.000Z');
    expect(at('Saturday, February 1, 2020, 12:00:00 PM')).toBe('2020-02-01T12:00:00.000Z');
    expect(at('4/3/2020  21:3:00 PM')).toBe('2020-04-03T21:03:00.000Z');
  });
  it('notes repairs and mismatched weekdays, rejects nonsense', () => {
    const r = parseIodaTime('7/28/2020  17:00:00 PM', 'end');
    expect(r && 'at' in r && r.notes[0]?.code).toBe('time_repaired');
    const w = parseIodaTime('Monday, May 29, 2018, 11:00 PM', 'begin');
    expect(w && 'at' in w && w.notes[0]?.code).toBe('weekday_mismatch');
    expect(parseIodaTime('N/A', 'end')).toBeNull();
    expect(parseIodaTime('', 'end')).toBeNull();
    expect(parseIodaTime('sometime in May', 'begin')).toEqual({ error: 'begin time "sometime in May" is not a date and time' });
    expect(parseIodaTime('Friday, February 30, 2021, 1:00 PM', 'begin')).toMatchObject({ error: expect.stringContaining('not a day of that month') });
  });
});

describe('IODA outage file', () => {
  let outages: IodaOutage[];
  beforeAll(() => {
    outages = readIodaOutages(IODA_TEXT);
  });

  it('reads all 1,704 rows with their scope, cause and flags', () => {
    expect(outages).toHaveLength(1704);
    const first = outages[0]!;
    expect(first).toMatchObject({ id: '61AE093F', country: 'SS', scope: 'region', region: 'Central Equitoria', cause: 'Unknown', confirmation: 'Unconfirmed' });
    expect(first.begin?.toISOString()).toBe('2021-03-17T16:40:00.000Z');
    const scopes = outages.reduce<Record<string, number>>((m, o) => ({ ...m, [o.scope]: (m[o.scope] ?? 0) + 1 }), {});
    expect(scopes).toEqual({ country: 916, region: 710, as: 78 });
    const as = outages.find((o) => o.scope === 'as')!;
    expect(as.asn).toBeGreaterThan(0);
    const reversed = outages.filter((o) => o.flags.some((f) => f.code === 'time_reversed'));
    expect(reversed.length).toBeGreaterThan(0);
    for (const o of reversed) expect(o.end).toBeNull();
    expect(outages.filter((o) => !o.country).map((o) => o.countryRaw)).toEqual(['European Union']);
  });

  it('plans every row: created, attached or skipped with a reason', () => {
    const all = planIoda(outages, []);
    // An incident made for a series of consecutive daily records stands for rows planned as attachments to it.
    const series = all.filter((p) => p.action === 'create' && p.derived);
    expect(series.length).toBeGreaterThan(0);
    const plans = all.filter((p) => !(p.action === 'create' && p.derived));
    expect(plans).toHaveLength(1704);
    const inSeries = plans.filter((p) => p.action === 'attach' && 'originKey' in p.target && p.target.originKey.startsWith('ioda:series:'));
    expect(inSeries.length).toBeGreaterThanOrEqual(series.length * 3);
    const skipped = plans.filter((p) => p.action === 'skip');
    expect(skipped.map((p) => p.flags.at(-1)?.code).sort()).toEqual(['country_unknown', 'duplicate_row']);
    const created = plans.filter((p) => p.action === 'create');
    expect(created.length + inSeries.length).toBe(1702);
    const gov = created.find((p) => p.action === 'create' && p.incident.originKey === 'ioda:5A446C2E');
    expect(gov && gov.action === 'create' && gov.incident).toMatchObject({ type: 'shutdown.full', country: 'IR', status: 'verified', startPrecision: 'minute' });
    const power = created.find((p) => p.action === 'create' && p.incident.tags.includes('power-outage'));
    expect(power && power.action === 'create' && power.incident.type).toBe('other');
    const asn = created.find((p) => p.action === 'create' && p.incident.networks.length > 0);
    expect(asn && asn.action === 'create' && asn.incident.networks[0]).toMatchObject({ asn: expect.any(Number) });
  });

  it("fits the registry's input contract (IncidentInputSchema) for every dated incident", () => {
    const problems: string[] = [];
    for (const p of planIoda(outages, [])) {
      if (p.action !== 'create' || !p.incident.startAt) continue;
      const r = IncidentInputSchema.safeParse(asRegistryInput(p.incident));
      if (!r.success) problems.push(`line ${p.row}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('rejects a file missing a required column, naming it', () => {
    const text = IODA_TEXT.replace('Confirmation Status', 'Status');
    expect(() => readIodaOutages(text)).toThrow(ImportFileError);
    expect(() => readIodaOutages(text)).toThrow(/required column missing: Confirmation Status/);
  });

  it('rejects a truncated file', () => {
    const cut = IODA_TEXT.slice(0, IODA_TEXT.indexOf('"', 50_000) + 12); // ends inside a quoted time
    expect(() => readIodaOutages(cut)).toThrow(/malformed CSV: unterminated quoted field/);
    const lines = IODA_TEXT.split('\n');
    const l = lines[20]!;
    const short = [...lines.slice(0, 20), l.slice(0, l.indexOf('",', l.indexOf('",') + 2) + 2)].join('\n'); // ends mid-row, outside quotes
    expect(() => readIodaOutages(short)).toThrow(/line 21 has \d+ fields .*truncated/);
  });
});

describe('IODA ↔ STOP matching rule', () => {
  const day = (s: string) => new Date(`${s}T00:00:00Z`);
  const stop = (over: Partial<StopCandidate>): StopCandidate => ({
    id: 's1',
    key: `stop:x:${over.id ?? 's1'}`,
    country: 'IR',
    startAt: day('2019-11-16'),
    endAt: day('2019-11-23'),
    area: null,
    type: 'shutdown.full',
    nationwide: true,
    ...over,
  });
  const outage = (over: Partial<IodaOutage>): IodaOutage => ({
    line: 2,
    id: 'X',
    key: 'ioda:X',
    begin: new Date('2019-11-16T14:00:00Z'),
    end: new Date('2019-11-24T20:30:00Z'),
    countryRaw: 'Iran',
    country: 'IR',
    scope: 'country',
    scopeRaw: 'Country',
    region: null,
    asn: null,
    cause: 'Government-Ordered',
    confirmation: 'Confirmed',
    visibility: { bgp: true, activeProbing: true, telescope: true },
    manuallyVerified: true,
    dashboardUrl: null,
    notes: null,
    raw: {},
    flags: [],
    ...over,
  });
  const idx = (list: StopCandidate[]) => {
    const m = new Map<string, StopCandidate[]>();
    for (const s of list) m.set(s.country, [...(m.get(s.country) ?? []), s]);
    return m;
  };

  it('matches same country and overlapping days, with one day of tolerance', () => {
    expect(matchStop(outage({}), idx([stop({})]))?.id).toBe('s1');
    // Outage on the day after the STOP end day still matches (tolerance); two days after does not.
    const short = stop({ startAt: day('2021-01-10'), endAt: day('2021-01-11') });
    expect(matchStop(outage({ begin: new Date('2021-01-12T22:00:00Z'), end: new Date('2021-01-12T23:00:00Z') }), idx([short]))?.id).toBe('s1');
    expect(matchStop(outage({ begin: new Date('2021-01-13T01:00:00Z'), end: new Date('2021-01-13T02:00:00Z') }), idx([short]))).toBeUndefined();
    expect(matchStop(outage({ begin: new Date('2021-01-09T01:00:00Z'), end: new Date('2021-01-09T03:30:00Z') }), idx([short]))?.id).toBe('s1');
    expect(matchStop(outage({ begin: new Date('2021-01-08T22:00:00Z'), end: new Date('2021-01-08T23:30:00Z') }), idx([short]))).toBeUndefined();
  });

  it('never matches another country, a technical cause, or a service blocking', () => {
    expect(matchStop(outage({ country: 'IQ' }), idx([stop({})]))).toBeUndefined();
    expect(matchStop(outage({ cause: 'Power-Outage' }), idx([stop({})]))).toBeUndefined();
    expect(matchStop(outage({ cause: 'Cable-Cut' }), idx([stop({})]))).toBeUndefined();
    expect(matchStop(outage({ cause: null }), idx([stop({})]))?.id).toBe('s1');
    expect(matchStop(outage({}), idx([stop({ type: 'blocking.service' })]))).toBeUndefined();
  });

  it('matches a regional outage only to a nationwide shutdown or one whose area names its region', () => {
    const regional = stop({ id: 'r', area: 'Sistan and Baluchistan', nationwide: false, type: 'shutdown.regional' });
    expect(matchStop(outage({ scope: 'region', region: 'Mazandaran' }), idx([regional]))).toBeUndefined();
    expect(matchStop(outage({ scope: 'region', region: 'Sistan and Baluchistan' }), idx([regional]))?.id).toBe('r');
    expect(matchStop(outage({ scope: 'country' }), idx([regional]))).toBeUndefined();
    expect(matchStop(outage({ scope: 'as', asn: 58224 }), idx([regional]))?.id).toBe('r');
  });

  it('lets a long shutdown absorb only outages near its first or last day', () => {
    const long = stop({ startAt: day('2019-08-05'), endAt: day('2020-03-04'), country: 'IN' });
    const o = (b: string) => outage({ country: 'IN', begin: new Date(b), end: new Date(new Date(b).getTime() + 3_600_000) });
    expect(matchStop(o('2019-08-05T03:00:00Z'), idx([long]))?.id).toBe('s1');
    expect(matchStop(o('2019-11-20T03:00:00Z'), idx([long]))).toBeUndefined();
    expect(matchStop(o('2020-03-05T03:00:00Z'), idx([long]))?.id).toBe('s1');
  });

  it('prefers the region named in the area, then the nearest start', () => {
    const a = stop({ id: 'a', startAt: day('2019-11-15'), nationwide: true });
    const b = stop({ id: 'b', startAt: day('2019-11-16'), nationwide: true });
    expect(matchStop(outage({}), idx([a, b]))?.id).toBe('b');
    const named = stop({ id: 'n', startAt: day('2019-11-15'), area: 'Tehran', nationwide: false, type: 'shutdown.regional' });
    expect(matchStop(outage({ scope: 'region', region: 'Tehran' }), idx([b, named]))?.id).toBe('n');
  });

  it('breaks exact ties by the STOP origin key, whatever the storage order', () => {
    const x = stop({ id: 'x', key: 'stop:2019:bbb' });
    const y = stop({ id: 'y', key: 'stop:2019:aaa' });
    expect(matchStop(outage({}), idx([x, y]))?.id).toBe('y');
    expect(matchStop(outage({}), idx([y, x]))?.id).toBe('y');
  });
});
