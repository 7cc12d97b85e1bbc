import { describe, expect, it, beforeAll } from 'vitest';
import ExcelJS from 'exceljs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INCIDENT_TYPES } from '../../core/taxonomy.js';
import { ImportFileError, planStop, readStopWorkbook, type StopSheet } from './stop.js';
import type { PlannedRow } from './model.js';
import { extractUrls, resolveCountry } from './model.js';
import { IncidentInputSchema } from '../model.js';
import { asRegistryInput } from './test-helpers.js';


const DATA = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/shutdowns');
const STOP_FILE = join(DATA, 'keepiton-stop-2016-2022.xlsx');

let sheets: StopSheet[];
let plans: PlannedRow[];

beforeAll(async () => {
  sheets = await readStopWorkbook(STOP_FILE);
  plans = planStop(sheets);
});

const find = (sheet: string, row: number) => plans.find((p) => p.sheet === sheet && p.row === row)!;

describe('STOP workbook reader', () => {
  it('reads every sheet with the exact row counts, skipping fully empty rows', () => {
    const counts = Object.fromEntries(sheets.map((s) => [s.name, s.rows.length]));
    expect(counts).toEqual({
      '2016+2017+2018': 377,
      '2019': 213,
      '2020 Data': 159,
      '2021 Data': 182,
      '2022 Data': 187,
      // The sheet has no header row: all three rows are records (year, country, source).
      'Need more details': 3,
    });
    expect(Object.fromEntries(sheets.map((s) => [s.name, s.layout]))).toEqual({
      '2016+2017+2018': 'y2016',
      '2019': 'y2019',
      '2020 Data': 'modern',
      '2021 Data': 'modern',
      '2022 Data': 'modern',
      'Need more details': 'incomplete',
    });
  });

  it('plans exactly one action per row; every unwritten row carries a reason', () => {
    const total = sheets.reduce((n, s) => n + s.rows.length, 0);
    expect(plans).toHaveLength(total);
    const keys = new Set(plans.map((p) => `${p.sheet}#${p.row}`));
    expect(keys.size).toBe(total);
    for (const p of plans.filter((x) => x.action === 'skip')) expect(p.flags.length).toBeGreaterThan(0);
    for (const p of plans) {
      if (p.action === 'create') {
        expect(INCIDENT_TYPES).toContain(p.incident.type);
        expect(p.incident.country).toMatch(/^[A-Z]{2}$/);
        if (!p.incident.startAt) expect(p.incident.dataQuality.length).toBeGreaterThan(0);
        if (p.incident.startAt && p.incident.endAt) expect(p.incident.endAt.getTime()).toBeGreaterThanOrEqual(p.incident.startAt.getTime());
        expect(p.incident.originKey.startsWith(`stop:${p.sheet}:`)).toBe(true);
        expect(p.incident.title.length).toBeGreaterThan(10);
      }
    }
  });

  it("fits the registry's input contract (IncidentInputSchema) for every dated incident", () => {
    const problems: string[] = [];
    for (const p of plans) {
      if (p.action !== 'create' || !p.incident.startAt) continue;
      const r = IncidentInputSchema.safeParse(asRegistryInput(p.incident));
      if (!r.success) problems.push(`${p.sheet} ${p.row}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('gives every row the same origin key on every read', async () => {
    const again = planStop(await readStopWorkbook(STOP_FILE));
    const k = (ps: PlannedRow[]) => ps.map((p) => (p.action === 'create' ? p.incident.originKey : p.action === 'attach' ? p.evidence.ref : `skip:${p.row}`));
    expect(k(again)).toEqual(k(plans));
  });

  it('maps a nationwide full shutdown (Iran, November 2019) with actors, tags and sources', () => {
    const p = find('2019', 198);
    expect(p.action).toBe('create');
    if (p.action !== 'create') return;
    const i = p.incident;
    expect(i.country).toBe('IR');
    expect(i.type).toBe('shutdown.full');
    expect(i.startAt?.toISOString()).toBe('2019-11-16T00:00:00.000Z');
    expect(i.endAt?.toISOString()).toBe('2019-11-23T00:00:00.000Z');
    expect(i.status).toBe('verified');
    expect(i.tlp).toBe('TLP:CLEAR');
    expect(i.title).toBe('Internet shutdown in Iran (2019-11-16)');
    expect(i.tags).toEqual(expect.arrayContaining(['protests', 'nationwide']));
    expect(i.actors).toContainEqual({ name: 'Ministry of ICT', role: 'ordered_by' });
    expect(i.actors.filter((a) => a.role === 'carried_out_by').map((a) => a.name)).toContain('MTN Irancell');
    expect(i.sources.length).toBeGreaterThan(0);
    expect(i.summary).toMatch(/Nationwide internet shutdown in National except Kurdish region, Iran from 2019-11-16 to 2019-11-23/);
  });

  it('maps regional, mobile, service-based and throttling rows to their types', () => {
    const kashmir = find('2019', 169);
    expect(kashmir.action === 'create' && kashmir.incident.type).toBe('shutdown.regional');
    expect(kashmir.action === 'create' && kashmir.incident.title).toBe('Regional shutdown in Kashmir Valley, Jammu and Kashmir, India (2019-08-03)');
    const shopian = find('2019', 167);
    expect(shopian.action === 'create' && shopian.incident.type).toBe('shutdown.mobile');
    const uganda = find('2021 Data', 7);
    expect(uganda.action).toBe('attach'); // carried over from the 2020 sheet
    const ugandaFb = find('2022 Data', 3);
    expect(ugandaFb.action).toBe('attach');
    const fb2021 = plans.find(
      (p) => p.action === 'create' && p.sheet === '2021 Data' && p.incident.country === 'UG' && p.incident.type === 'blocking.service',
    );
    expect(fb2021 && fb2021.action === 'create' && fb2021.incident.services).toEqual(expect.arrayContaining(['Facebook', 'WhatsApp', 'YouTube', 'Signal']));
    expect(fb2021 && fb2021.action === 'create' && fb2021.incident.tags).toContain('election');
    const types = new Set(plans.flatMap((p) => (p.action === 'create' ? [p.incident.type] : [])));
    for (const t of ['shutdown.full', 'shutdown.regional', 'shutdown.mobile', 'blocking.service', 'throttling'] as const) expect(types).toContain(t);
  });

  it('attaches a shutdown carried over into a later sheet to the first record instead of duplicating it', () => {
    const p = find('2021 Data', 2); // Pakistan FATA, from 2016, also in the 2020 sheet
    expect(p.action).toBe('attach');
    if (p.action !== 'attach') return;
    const target = find('2020 Data', 2);
    expect(target.action === 'create' && 'originKey' in p.target && p.target.originKey === target.incident.originKey).toBe(true);
    expect(p.evidence.kind).toBe('document');
    expect(p.evidence.extendEndTo?.toISOString()).toBe('2021-12-28T00:00:00.000Z');
    expect(plans.filter((x) => x.action === 'attach')).toHaveLength(20);
  });

  it('keeps problem rows with data-quality flags instead of dropping them', () => {
    const reversed = find('2020 Data', 25);
    expect(reversed.action).toBe('create');
    expect(reversed.flags.map((f) => f.code)).toContain('date_reversed');
    expect(reversed.action === 'create' && reversed.incident.endAt).toBeNull();
    const prose = find('2016+2017+2018', 172);
    expect(prose.flags.map((f) => f.code)).toContain('date_unparseable');
    const repaired = find('2016+2017+2018', 155);
    expect(repaired.flags[0]).toMatchObject({ code: 'date_repaired' });
    expect(repaired.action === 'create' && repaired.incident.endAt?.toISOString()).toBe('2018-04-01T00:00:00.000Z');
    const dup = find('2020 Data', 159);
    expect(dup).toMatchObject({ action: 'skip', flags: [{ code: 'duplicate_row' }] });
  });

  it('imports the incomplete records as drafts without dates', () => {
    const drafts = plans.filter((p) => p.sheet === 'Need more details');
    expect(drafts).toHaveLength(3);
    expect(drafts.map((p) => (p.action === 'create' ? `${p.incident.country}:${p.incident.status}` : p.action))).toEqual(['AF:draft', 'MR:draft', 'ET:draft']);
    for (const p of drafts) {
      if (p.action !== 'create') continue;
      expect(p.incident.startAt).toBeNull();
      expect(p.incident.dataQuality[0]?.code).toBe('date_missing');
      expect(p.incident.sources.length).toBeGreaterThan(0);
    }
  });
});

describe('STOP reader errors', () => {
  async function workbook(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    build(wb);
    return Buffer.from(await wb.xlsx.writeBuffer());
  }

  it('rejects a file that is not an xlsx workbook', async () => {
    await expect(readStopWorkbook(Buffer.from('country,start_date\nIran,2019-11-16\n'))).rejects.toThrow(ImportFileError);
    await expect(readStopWorkbook(Buffer.from('country,start_date\n'))).rejects.toThrow(/not a readable \.xlsx workbook/);
  });

  it('names a missing required column and its sheet', async () => {
    const buf = await workbook((wb) => {
      const ws = wb.addWorksheet('2021 Data');
      ws.addRow(['start_date', 'end_date', 'geo_scope', 'area_name', 'shutdown_type', 'affected_network', 'shutdown_extent', 'ordered_by', 'info_source_link']);
      ws.addRow([new Date('2021-01-01'), null, 'x', 'y', 'Shutdown', 'Mobile', 'Full network', 'Unknown', 'https://example.org/a']);
    });
    await expect(readStopWorkbook(buf)).rejects.toThrow('sheet "2021 Data": required column "country" is missing');
  });

  it('rejects a sheet with an unknown column set', async () => {
    const buf = await workbook((wb) => {
      const ws = wb.addWorksheet('Notes');
      ws.addRow(['name', 'comment']);
      ws.addRow(['a', 'b']);
    });
    await expect(readStopWorkbook(buf)).rejects.toThrow(/sheet "Notes": unknown column set/);
  });

  it('reads a small modern sheet and flags an unknown country', async () => {
    const buf = await workbook((wb) => {
      const ws = wb.addWorksheet('2023 Data');
      ws.addRow(['start_date', 'end_date', 'country', 'geo_scope', 'area_name', 'shutdown_type', 'affected_network', 'shutdown_extent', 'ordered_by', 'info_source_link']);
      ws.addRow([new Date(Date.UTC(2023, 4, 9)), new Date(Date.UTC(2023, 4, 12)), 'Pakistan', 'It affected locations in more than one state, province, or region', 'Nationwide', 'Shutdown', 'Mobile', 'Full network', 'Executive government', 'https://example.org/pk; https://example.org/pk2']);
      ws.addRow([new Date(Date.UTC(2023, 1, 1)), null, 'Atlantis', 'Not sure', '', 'Shutdown', 'Broadband, Mobile', 'Full network', 'Unknown', '']);
      ws.addRow([]);
    });
    const ps = planStop(await readStopWorkbook(buf));
    expect(ps).toHaveLength(2);
    expect(ps[0]).toMatchObject({ action: 'create', incident: { country: 'PK', type: 'shutdown.mobile', area: null, title: 'Mobile internet shutdown in Pakistan (2023-05-09)' } });
    expect(ps[0]?.action === 'create' && ps[0].incident.sources.map((s) => s.url)).toEqual(['https://example.org/pk', 'https://example.org/pk2']);
    expect(ps[1]).toMatchObject({ action: 'skip', flags: [{ code: 'country_unknown' }] });
  });
});

describe('helpers', () => {
  it('resolves the country spellings found in the data', () => {
    expect(resolveCountry('Iran (Islamic Republic of)')).toBe('IR');
    expect(resolveCountry('Venezuela, Bolivarian Republic of')).toBe('VE');
    expect(resolveCountry('DemocraticRepublicCongo')).toBe('CD');
    expect(resolveCountry('Myanmar/Burma')).toBe('MM');
    expect(resolveCountry('Yemen ')).toBe('YE');
    expect(resolveCountry('European Union')).toBeUndefined();
  });
  it('extracts links from source cells', () => {
    expect(extractUrls('https://a.org/x; https://b.org/y,https://c.org/z. Retrieved from https://d.org/q.')).toEqual([
      'https://a.org/x',
      'https://b.org/y',
      'https://c.org/z',
      'https://d.org/q',
    ]);
  });
});
