import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMonash } from './monash.js';
import { parseIodaEvents, parseIodaSignals } from './ioda.js';
import { parseRadarAnnotations, parseRadarTrafficCsv, parseRadarTrafficJson } from './radar.js';
import { parseColumnMap, parseGenericCsv } from './generic.js';
import { detectFormat, parseSignalText } from './index.js';
import { parseCsv } from './csv.js';
import { SignalFormatError } from '../model.js';

const DATA = join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'signals');

describe('Monash parser', () => {
  it('reads the Iran file: 73 counties, local time shifted by +3:30 to UTC', () => {
    const series = parseMonash(readFileSync(join(DATA, 'monash-irn-2019-11-11.csv'), 'utf8'));
    expect(series).toHaveLength(73);
    const ardebil = series.find((s) => s.entity.code === 'IR/Ardebil/Ardebil')!;
    expect(ardebil.entity).toMatchObject({ scope: 'region', country: 'IR' });
    expect(ardebil.step).toBe(3600);
    // first row: time_e 1573430400 = "11-Nov-2019 00:00" local = 10 Nov 20:30 UTC
    expect(new Date(ardebil.start * 1000).toISOString()).toBe('2019-11-10T20:30:00.000Z');
    expect(ardebil.values[0]).toBe(100);
    expect(ardebil.values[3]).toBe(90);
  });

  it('reads the Laura file in UTC, counties keyed by state', () => {
    const series = parseMonash(readFileSync(join(DATA, 'monash-usa-2020-08-31-hurricane-laura.csv'), 'utf8'));
    const calcasieu = series.find((s) => s.entity.code === 'US/Louisiana/Calcasieu')!;
    expect(new Date(calcasieu.start * 1000).toISOString()).toBe('2020-08-24T00:00:00.000Z');
    // Counties of one name in several states (Lafayette) stay apart
    const lafayette = series.filter((s) => s.entity.code.endsWith('/Lafayette'));
    expect(lafayette.length).toBeGreaterThanOrEqual(2);
    expect(lafayette.map((s) => s.entity.code)).toContain('US/Louisiana/Lafayette');
  });

  it('honours an explicit UTC offset and time_local + timezone_offset', () => {
    const csv = 'iso,name_1,time_e,connectivity\nVEN,Zulia,1563580800,100\nVEN,Zulia,1563584400,90\n';
    expect(parseMonash(csv)[0]!.start).toBe(1563580800 + 4 * 3600);
    expect(parseMonash(csv, { utcOffsetHours: 0 })[0]!.start).toBe(1563580800);
    const local = 'country_iso_three_char_code,adm1_name,timezone_offset,time_local,connectivity\nUKR,Kiev City,2,01-Dec-2021 05:00:00,100\n';
    expect(new Date(parseMonash(local)[0]!.start * 1000).toISOString()).toBe('2021-12-01T03:00:00.000Z');
  });

  it('rejects malformed files with the line and the problem', () => {
    expect(() => parseMonash('iso,time_e_utc,connectivity\nUSA,1598227200,abc\n')).toThrow(/line 2: column "connectivity": "abc" is not a number/);
    expect(() => parseMonash('iso,time_e_utc,value\nUSA,1598227200,1\n')).toThrow(/missing column "connectivity"/);
    expect(() => parseMonash('iso,time_e,connectivity\nXYZ,1598227200,1\n')).toThrow(/"XYZ" is not a country code/);
    expect(() => parseMonash('iso,time_e,connectivity\nDEU,1598227200,1\n')).toThrow(/need a UTC offset/);
    expect(() => parseMonash('iso,name_1,time_e_utc,connectivity\nUSA,A,1598227200,1\nUSA,A,1598227200,2\n')).toThrow(/two different values/);
    expect(() => parseMonash('iso,name_1,time_e_utc,connectivity\nUSA,A,1598227200,1\nUSA,A,1598230800,2,3\n')).toThrow(/line 3: expected 4 columns/);
    expect(() => parseMonash('adm1_name,latency_indx\nKiev,100\n')).toThrow(/missing column "iso"/);
    expect(() => parseMonash('iso,time_e_utc,connectivity\n')).toThrow(/no data rows/);
  });
});

describe('IODA raw signals', () => {
  const doc = {
    type: 'signals',
    error: null,
    data: [
      [
        { entityType: 'country', entityCode: 'IR', entityName: 'Iran', datasource: 'bgp', subtype: null, from: 1573862400, until: 1573863900, step: 300, nativeStep: 300, values: [100, 101, null, 99, 98] },
        { entityType: 'asn', entityCode: '44244', entityName: 'Irancell', datasource: 'ping-slash24', subtype: null, from: 1573862400, until: 1573863600, step: 600, nativeStep: 600, values: [10, 11] },
      ],
    ],
  };
  it('reads values at from + i*step with nulls as missing', () => {
    const s = parseIodaSignals(doc, { country: 'IR' });
    expect(s[0]!.entity).toMatchObject({ scope: 'country', code: 'IR' });
    expect(s[0]!.signal).toBe('bgp');
    expect(Number.isNaN(s[0]!.values[2]!)).toBe(true);
    expect(s[1]!.entity).toMatchObject({ scope: 'network', code: 'AS44244', country: 'IR' });
    expect(detectFormat(JSON.stringify(doc))).toBe('ioda');
  });
  it('names the problem in a broken file', () => {
    expect(() => parseIodaSignals({ data: [[{ entityType: 'country', entityCode: 'IR', datasource: 'bgp', from: 1, step: -5, values: [] }]] })).toThrow(/data\.0\.0\.step/);
    expect(() => parseIodaSignals({ data: [[{ ...doc.data[0]![0]!, values: [1] }]] })).toThrow(/1 values do not fill/);
    expect(() => parseIodaSignals({ data: [[{ ...doc.data[0]![0]!, entityType: 'region' }]] })).toThrow(/needs its country/);
    expect(() => parseSignalText('{"data": [[', { format: 'ioda' })).toThrow(/not valid JSON/);
  });
  it('reads IODA events as labels', () => {
    const l = parseIodaEvents({ data: [{ entity: { code: 'IR', name: 'Iran', type: 'country' }, from: 1573900000, until: 1574400000, score: 1e6, datasource: 'bgp' }] });
    expect(l[0]).toMatchObject({ entity: 'IR', scope: 'country', start: 1573900000, end: 1574400000 });
  });
});

describe('Cloudflare Radar', () => {
  it('turns outage annotations into labels by scope', () => {
    const labels = parseRadarAnnotations({
      success: true,
      result: {
        annotations: [
          { id: '1', asns: [], asnsDetails: [], dataSource: 'ALL', eventType: 'OUTAGE', locations: ['IR'], locationsDetails: [{ code: 'IR', name: 'Iran' }], outage: { outageCause: 'GOVERNMENT_DIRECTED', outageType: 'NATIONWIDE' }, startDate: '2024-01-01T10:00:00Z', endDate: '2024-01-01T18:00:00Z', description: 'exams', scope: null },
          { id: '2', asns: [12880], asnsDetails: [{ asn: '12880', name: 'DCI' }], eventType: 'OUTAGE', locations: ['IR'], outage: { outageType: 'NETWORK' }, startDate: '2024-02-01T10:00:00Z', endDate: null },
        ],
      },
    });
    expect(labels).toEqual([
      expect.objectContaining({ entity: 'IR', scope: 'country', start: Date.parse('2024-01-01T10:00:00Z') / 1000, end: Date.parse('2024-01-01T18:00:00Z') / 1000 }),
      expect.objectContaining({ entity: 'AS12880', scope: 'network', end: null }),
    ]);
    expect(() => parseRadarAnnotations({ result: { annotations: [{ locations: ['IR'] }] } })).toThrow(/startDate/);
  });
  it('reads traffic JSON and CSV', () => {
    const j = parseRadarTrafficJson({ success: true, result: { meta: {}, serie_0: { timestamps: ['2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z'], values: ['0.5', '0.7'] } } }, { entity: 'IR' });
    expect(j[0]!.entity.code).toBe('IR');
    expect(Array.from(j[0]!.values)).toEqual([0.5, 0.7]);
    expect(() => parseRadarTrafficJson({ result: { serie_0: { timestamps: ['2024-01-01T00:00:00Z'], values: ['x'] } } }, { entity: 'IR' })).toThrow(/not a number/);
    expect(() => parseRadarTrafficJson({ result: { serie_0: { timestamps: ['2024-01-01T00:00:00Z'], values: [1] } } })).toThrow(/--entity/);
    const c = parseRadarTrafficCsv('timestamp,IR,AS12880\n2024-01-01T00:00:00Z,1,2\n2024-01-01T01:00:00Z,3,\n');
    expect(c.map((s) => s.entity.code).sort()).toEqual(['AS12880', 'IR']);
  });
});

describe('generic CSV', () => {
  it('maps columns and parses entities', () => {
    const s = parseGenericCsv('ts,cc,v\n2024-01-01T00:00:00Z,IR,1\n2024-01-01T00:05:00Z,IR,2\n2024-01-01T00:00:00Z,AS12880,5\n2024-01-01T00:00:00Z,IR/Tehran,7\n', { map: parseColumnMap('time=ts,entity=cc,value=v') });
    expect(s.map((x) => `${x.entity.scope}:${x.entity.code}`).sort()).toEqual(['country:IR', 'network:AS12880', 'region:IR/Tehran']);
    expect(s.find((x) => x.entity.code === 'IR')!.step).toBe(300);
  });
  it('fails clearly', () => {
    expect(() => parseGenericCsv('time,entity,value\n2024-01-01,Narnia,1\n')).toThrow(/line 2: "Narnia" is not an ISO country code/);
    expect(() => parseGenericCsv('time,entity,value\nyesterday,IR,1\n')).toThrow(/line 2: column "time": "yesterday" is not a time/);
    expect(() => parseGenericCsv('when,entity,value\n')).toThrow(/missing column "time"/);
    expect(() => parseColumnMap('time=a,colour=b')).toThrow(/colour/);
    expect(() => parseGenericCsv('time,entity,value\n2024-01-01T00:00:00Z,IR,1\n2024-01-01T00:07:00Z,IR,1\n2024-01-01T00:10:00Z,IR,1\n')).toThrow(/off the 600 s grid|off the 180 s grid|off the 420 s grid/);
  });
  it('parses quoted CSV cells', () => {
    const t = parseCsv('\uFEFFa,b\r\n"x, ""y""",2\r\n');
    expect(t.rows[0]!.cells).toEqual(['x, "y"', '2']);
    expect(() => parseCsv('a\n"open')).toThrow(SignalFormatError);
  });
});
