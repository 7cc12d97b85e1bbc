import type ExcelJS from 'exceljs';
import type { IncidentType } from '../../core/taxonomy.js';
import {
  DAY_MS,
  conform,
  extractUrls,
  publisherOf,
  resolveCountry,
  shortCountryName,
  slug,
  stableHash,
  ymd,
  type DataQualityFlag,
  type ImportActor,
  type ImportSource,
  type ImportedIncident,
  type PlannedRow,
} from './model.js';

/**
 * Access Now #KeepItOn STOP workbook reader. The workbook has one sheet per period, each with its own column set:
 * - "2016+2017+2018" (`shutdown_type_group`, geo_scope Local/Regional/Multi-regional/National, services_affected…)
 * - "2019" (`full or service-based`, `shutdown_type_new`, geo_scope Level 1/2/3, *_affected booleans…)
 * - "2020 Data", "2021 Data", "2022 Data" (45 columns: `shutdown_extent`, `shutdown_type`, `affected_network`…)
 * - "Need more details": no header, rows of (year, country, source).
 * Sheets are recognised by their columns, not their names, so a renamed sheet still imports.
 */

export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFileError';
  }
}

export type StopLayout = 'y2016' | 'y2019' | 'modern' | 'incomplete';

/** A cell reduced to plain values: text, number, boolean, date or null. */
export type Cell = string | number | boolean | Date | null;

export interface StopSheetRow {
  /** 1-based row number in the sheet. */
  row: number;
  /** Cells by normalised header (lower case, single spaces, trimmed); for the headerless sheet: year, country, source. */
  cells: Record<string, Cell>;
}

export interface StopSheet {
  name: string;
  layout: StopLayout;
  rows: StopSheetRow[];
}

const REQUIRED: Record<Exclude<StopLayout, 'incomplete'>, string[]> = {
  y2016: ['start_date', 'end_date', 'country', 'geo_scope', 'area_name', 'shutdown_type_group', 'shutdown_type', 'ordered_by', 'news_link'],
  y2019: ['start_date', 'end_date', 'country', 'geo_scope', 'area_name', 'shutdown_type_new', 'affected_network', 'full or service-based', 'ordered_by', 'news_link'],
  modern: ['start_date', 'end_date', 'country', 'geo_scope', 'area_name', 'shutdown_type', 'affected_network', 'shutdown_extent', 'ordered_by', 'info_source_link'],
};

const PLATFORM_COLUMNS = [
  ['facebook_affected', 'Facebook'],
  ['twitter_affected', 'Twitter'],
  ['whatsapp_affected', 'WhatsApp'],
  ['instagram_affected', 'Instagram'],
  ['telegram_affected', 'Telegram'],
] as const;

function normHeader(h: unknown): string {
  return String(cellValue(h as ExcelJS.CellValue) ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** Plain value of an exceljs cell: formula → result, hyperlink → link, rich text → text, error → null. */
export function cellValue(v: ExcelJS.CellValue | undefined): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v.trim() === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if (typeof v === 'object') {
    const o = v as unknown as Record<string, unknown>;
    if ('result' in o || 'formula' in o || 'sharedFormula' in o) return cellValue(o.result as ExcelJS.CellValue);
    if ('hyperlink' in o && typeof o.hyperlink === 'string') {
      const text = typeof o.text === 'string' ? o.text : '';
      return /^https?:/i.test(o.hyperlink) ? o.hyperlink : text || o.hyperlink;
    }
    if ('richText' in o && Array.isArray(o.richText)) {
      const t = (o.richText as { text?: string }[]).map((r) => r.text ?? '').join('');
      return t.trim() === '' ? null : t;
    }
    if ('text' in o && typeof o.text === 'string') return o.text.trim() === '' ? null : o.text;
    if ('error' in o) return null;
  }
  return null;
}

export function cellText(c: Cell | undefined): string {
  if (c === null || c === undefined) return '';
  if (c instanceof Date) return ymd(c);
  return String(c).replace(/\s+/g, ' ').trim();
}

/** Reads every sheet of the workbook. Throws ImportFileError (naming the sheet and column) when it cannot be used. */
export async function readStopWorkbook(file: string | Buffer): Promise<StopSheet[]> {
  // loaded when a workbook is read: the library takes about 0.3 s to load, which every CLI command and the server's
  // start would otherwise pay
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  try {
    if (typeof file === 'string') await wb.xlsx.readFile(file);
    else await wb.xlsx.load(file as unknown as ArrayBuffer);
  } catch (e) {
    throw new ImportFileError(`not a readable .xlsx workbook (${(e as Error).message})`);
  }
  if (wb.worksheets.length === 0) throw new ImportFileError('the workbook has no sheets');
  const sheets: StopSheet[] = [];
  for (const ws of wb.worksheets) {
    const name = ws.name.trim();
    const first = ws.getRow(1);
    const headerCells = (first.values as ExcelJS.CellValue[]).slice(1);
    const headers = headerCells.map(normHeader);
    const nonEmptyRows: { row: number; values: Cell[] }[] = [];
    ws.eachRow({ includeEmpty: false }, (row, rn) => {
      const values = (row.values as ExcelJS.CellValue[]).slice(1).map((v) => cellValue(v));
      if (values.some((v) => v !== null && !(typeof v === 'string' && v.trim() === ''))) nonEmptyRows.push({ row: rn, values });
    });
    if (nonEmptyRows.length === 0) continue; // an empty sheet carries nothing
    const firstValue = cellValue(headerCells[0]);
    const looksHeaderless =
      /need more details/i.test(name) ||
      ((typeof firstValue === 'number' || /^\d{4}$/.test(String(firstValue ?? ''))) && headers.filter(Boolean).length <= 4);
    let layout: StopLayout;
    if (looksHeaderless) layout = 'incomplete';
    else if (headers.includes('shutdown_extent')) layout = 'modern';
    else if (headers.includes('full or service-based')) layout = 'y2019';
    else if (headers.includes('shutdown_type_group')) layout = 'y2016';
    else {
      throw new ImportFileError(
        `sheet "${name}": unknown column set (expected STOP columns such as shutdown_extent, "full or service-based" or shutdown_type_group; found ${headers.filter(Boolean).slice(0, 8).join(', ') || 'no header'})`,
      );
    }
    const rows: StopSheetRow[] = [];
    if (layout === 'incomplete') {
      for (const r of nonEmptyRows) {
        rows.push({ row: r.row, cells: { year: r.values[0] ?? null, country: r.values[1] ?? null, source: r.values[2] ?? null } });
      }
    } else {
      for (const col of REQUIRED[layout]) {
        if (!headers.includes(col)) throw new ImportFileError(`sheet "${name}": required column "${col}" is missing`);
      }
      for (const r of nonEmptyRows) {
        if (r.row === 1) continue;
        const cells: Record<string, Cell> = {};
        headers.forEach((h, i) => {
          if (h && !(h in cells && cells[h] !== null)) cells[h] = r.values[i] ?? null;
        });
        rows.push({ row: r.row, cells });
      }
    }
    sheets.push({ name, layout, rows });
  }
  if (!sheets.some((s) => s.layout !== 'incomplete')) {
    throw new ImportFileError('no STOP data sheet found (a sheet with start_date, country and shutdown columns)');
  }
  return sheets;
}

// ---------------------------------------------------------------------------------------------------------------
// Row → facts → incident

type Tri = 'yes' | 'no' | 'unknown';

interface StopFacts {
  start: Date | null;
  end: Date | null;
  endState: 'ended' | 'ongoing' | 'unknown';
  ongoingAsOf: Date | null;
  /** The year the data set lists the row under: the sheet's year (the 2016–2018 sheet: its "year" column). */
  listedYear: string | null;
  country: string;
  countryCode: string | undefined;
  national: boolean;
  area: string | null;
  throttle: boolean;
  shutdown: boolean;
  serviceBased: boolean;
  fullNetwork: boolean;
  mobile: boolean;
  broadband: boolean;
  networkKnown: boolean;
  services: string[];
  alsoAffected: string[];
  orderedBy: string | null;
  decisionMaker: string | null;
  telcos: string[];
  cause: string | null;
  causeDetails: string | null;
  justification: string | null;
  justificationDetails: string | null;
  legalJustification: string | null;
  election: Tri;
  violence: Tri;
  hrAbuse: Tri;
  usersTargeted: string | null;
  event: string | null;
  sourceUrls: string[];
  accessNowUrls: string[];
  estimatedStart: boolean;
  status: string | null;
  flags: DataQualityFlag[];
}

const NO_VALUE = /^(unknown|unkown|uknown|n\/?a|none|no|-|\?)$/i;

function clean(c: Cell | undefined): string | null {
  const t = cellText(c);
  return t && !NO_VALUE.test(t) ? t : null;
}

function tri(c: Cell | undefined): Tri {
  if (c === true) return 'yes';
  if (c === false) return 'no';
  const t = cellText(c).toLowerCase();
  if (t === 'yes' || t === 'true') return 'yes';
  if (t === 'no' || t === 'false') return 'no';
  return 'unknown';
}

/** A day from a cell: a date, an Excel serial number, or text like 2019-08-05 / 8/5/2019 (with or without prose). */
function parseDay(c: Cell | undefined, what: 'start' | 'end', flags: DataQualityFlag[]): Date | null {
  if (c === null || c === undefined) return null;
  if (c instanceof Date) return new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth(), c.getUTCDate()));
  if (typeof c === 'number') {
    if (c > 20000 && c < 80000) return new Date(Math.round(c - 25569) * DAY_MS);
    flags.push({ code: 'date_unparseable', reason: `${what} date ${JSON.stringify(c)} is not a date` });
    return null;
  }
  const t = cellText(c);
  if (!t || /^(ongoing|unknown|unkown|n\/?a|-)$/i.test(t)) return null; // documented meaning: ongoing or unknown
  let m = t.match(/^(\d{4})-(\d{2})-(\d{2})/);
  let d: Date | null = null;
  if (m) d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  else if ((m = t.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4})/))) d = new Date(Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2])));
  if (d && !Number.isNaN(d.getTime()) && m) {
    if (t.length > m[0].length) flags.push({ code: 'date_repaired', reason: `${what} date "${t}" read as ${ymd(d)} (text after the date ignored)` });
    return d;
  }
  flags.push({ code: 'date_unparseable', reason: `${what} date "${t}" is not a date; kept as unknown` });
  return null;
}

const KNOWN_SERVICES: [RegExp, string][] = [
  [/facebook/i, 'Facebook'],
  [/messenger/i, 'Messenger'],
  [/whats\s?app/i, 'WhatsApp'],
  [/twitter/i, 'Twitter'],
  [/instagram/i, 'Instagram'],
  [/telegram/i, 'Telegram'],
  [/youtube/i, 'YouTube'],
  [/viber/i, 'Viber'],
  [/skype/i, 'Skype'],
  [/signal/i, 'Signal'],
  [/linkedin/i, 'LinkedIn'],
  [/tik\s?tok/i, 'TikTok'],
  [/snapchat/i, 'Snapchat'],
  [/\bimo\b/i, 'imo'],
  [/wechat/i, 'WeChat'],
  [/google/i, 'Google'],
  [/gmail/i, 'Gmail'],
  [/wikipedia/i, 'Wikipedia'],
  [/clubhouse/i, 'Clubhouse'],
  [/\bvoip\b|voice over ip/i, 'VoIP'],
  [/social (media|network)/i, 'Social media'],
  [/e-?mail service/i, 'Email'],
  [/search engine/i, 'Search engines'],
  [/public wi-?fi/i, 'Public Wi-Fi'],
];

function servicesIn(text: string): string[] {
  return KNOWN_SERVICES.filter(([re]) => re.test(text)).map(([, name]) => name);
}

/** "Pakistan: Jazz (Global Telecom), Pakistan: PTCL" → ["Jazz (Global Telecom)", "PTCL"]. */
function splitTelcos(text: string | null): string[] {
  if (!text) return [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if ((ch === ',' || ch === ';' || ch === '\n') && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const out: string[] = [];
  for (const p of parts) {
    const name = p.replace(/^[^:()]{2,40}:\s*/, '').trim();
    if (name && !NO_VALUE.test(name) && !/^all\b/i.test(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

function factsOf(sheet: StopSheet, r: StopSheetRow): StopFacts {
  const c = r.cells;
  const flags: DataQualityFlag[] = [];
  const g = (k: string) => c[k];
  const start = parseDay(g('start_date'), 'start', flags);
  let end = parseDay(g('end_date'), 'end', flags);
  if (g('start_date') === null || g('start_date') === undefined) flags.push({ code: 'start_missing', reason: 'no start date' });
  if (start && end && end.getTime() < start.getTime()) {
    flags.push({ code: 'date_reversed', reason: `end date ${ymd(end)} is before start date ${ymd(start)}; end kept as unknown` });
    end = null;
  }
  const country = cellText(g('country'));
  const areaRaw = clean(g('area_name'));
  const geo = cellText(g('geo_scope')).toLowerCase();
  const nationalArea = areaRaw !== null && /\bnation(al|wide)?\b|entire country|whole country|countrywide|all (the )?country/i.test(areaRaw);
  let national: boolean;
  let throttle = false;
  let shutdown = true;
  let serviceBased = false;
  let fullNetwork = true;
  let mobile = false;
  let broadband = false;
  let networkKnown = true;
  const services: string[] = [];
  const alsoAffected: string[] = [];
  let orderedBy = clean(g('ordered_by'));
  let decisionMaker = clean(g('decision_maker'));
  let telcos: string[] = [];
  let justification: string | null = null;
  let justificationDetails: string | null = null;
  let causeDetails: string | null = null;
  let usersTargeted: string | null = null;
  let legal: string | null = null;
  let sourceText = '';
  let estimatedStart = false;
  let status: string | null = null;
  const addService = (s: string) => {
    if (!services.includes(s)) services.push(s);
  };
  /** The 2019 and 2020–22 layouts: extent, kind, networks and the per-platform yes/no columns (names differ a little). */
  const readExtentAndNetworks = (extentCol: string, kindCol: string, unknownIsShutdown: boolean) => {
    const extent = cellText(g(extentCol)).toLowerCase();
    const kind = cellText(g(kindCol)).toLowerCase();
    serviceBased = extent.includes('service');
    fullNetwork = extent.includes('full') || !extent;
    throttle = kind.includes('throttle');
    shutdown = kind.includes('shutdown') || (unknownIsShutdown && kind === 'unknown') || !kind;
    const net = cellText(g('affected_network')).toLowerCase();
    mobile = net.includes('mobile');
    broadband = net.includes('broadband');
    networkKnown = mobile || broadband;
    for (const [col, name] of PLATFORM_COLUMNS) if (tri(g(col)) === 'yes') addService(name);
  };

  if (sheet.layout === 'y2016') {
    national = geo === 'national' || (!geo && nationalArea);
    const group = cellText(g('shutdown_type_group')).toLowerCase();
    const kinds = cellText(g('shutdown_type')).toLowerCase();
    const affected = `${kinds} ${cellText(g('services_affected')).toLowerCase()}`;
    serviceBased = group === 'service-based' || kinds.includes('service');
    throttle = group === 'throttling' || kinds.includes('throttling');
    fullNetwork = group !== 'service-based' && group !== 'throttling';
    shutdown = fullNetwork;
    mobile = /mobile/.test(affected) || group === 'mobile internet';
    broadband = /broadband|internet&|^internet|landline/.test(affected) || group === 'full network' || group === 'broadband internet';
    if (group === 'mobile internet') broadband = /broadband/.test(kinds);
    networkKnown = mobile || broadband;
    if (/sms/.test(affected)) alsoAffected.push('SMS');
    if (/telephony|landline/.test(affected)) alsoAffected.push('phone calls');
    for (const s of servicesIn(cellText(g('service_details')))) if (serviceBased) addService(s);
    justification = clean(g('official_just'));
    sourceText = [cellText(g('news_link'))].join(' ');
  } else if (sheet.layout === 'y2019') {
    national = geo.replace(/\s+/g, ' ') === 'level 3' || (!geo && nationalArea);
    readExtentAndNetworks('full or service-based', 'shutdown_type_new', true);
    for (const s of servicesIn(cellText(g('other_service_details (specify)')))) addService(s);
    const smsPhone = cellText(g('sms_and_phone_call_affected')).toLowerCase();
    if (smsPhone.includes('sms')) alsoAffected.push('SMS');
    if (smsPhone.includes('phone')) alsoAffected.push('phone calls');
    telcos = splitTelcos(clean(g('telcos_involved')));
    justification = clean(g('official_just'));
    justificationDetails = clean(g('other_just_details')) ?? clean(g('off_statement'));
    causeDetails = clean(g('other_cause_details'));
    usersTargeted = clean(g('users_affected/targetted'));
    legal = clean(g('legal_justif'));
    sourceText = cellText(g('news_link'));
  } else {
    // 2020–2022 layout
    const area = areaRaw;
    if (nationalArea) national = true;
    else if (/only affected one city|more than one city in the same/.test(geo)) national = false;
    else national = /more than one state/.test(geo) && !area;
    readExtentAndNetworks('shutdown_extent', 'shutdown_type', false);
    const other = clean(g('other_affected'));
    if (other) {
      const named = servicesIn(other);
      for (const s of named.length ? named : other.split(/[,;]/).map((x) => x.trim()).filter((x) => x && !NO_VALUE.test(x))) addService(s);
    }
    if (tri(g('sms_affected')) === 'yes') alsoAffected.push('SMS');
    if (tri(g('phonecall_affected')) === 'yes') alsoAffected.push('phone calls');
    telcos = splitTelcos(clean(g('telcos_involved')));
    justification = clean(g('gov_justification'));
    justificationDetails = clean(g('gov_just_details'));
    causeDetails = clean(g('actual_cause_details'));
    usersTargeted = clean(g('users_targeted'));
    legal = clean(g('legal_just'));
    sourceText = cellText(g('info_source_link'));
    estimatedStart = /estimated/i.test(cellText(g('start_date_type')));
    status = clean(g('shutdown_status'));
  }
  // The end (docs/registry.md): an end date means ended. Without one, the data set's own fields decide: the 2020–22
  // sheets' shutdown_status "Ongoing", or an end cell that says "ongoing" (or a duration "at the time of
  // publication") in the older sheets, means the shutdown was known to continue when that year's data was compiled:
  // ongoing as of the last day of the sheet's year. Anything else ("Ended" without a date, "Unknown", empty) is an
  // end that was never recorded.
  const endText = cellText(g('end_date')).toLowerCase();
  const durationText = cellText(g('duration')).toLowerCase();
  const listedYear = sheetYear(sheet, r);
  let endState: StopFacts['endState'] = end ? 'ended' : 'unknown';
  let ongoingAsOf: Date | null = null;
  if (!end && (/ongoing/.test(endText) || /ongoing/.test((status ?? '').toLowerCase()) || /time of publication/.test(durationText))) {
    endState = 'ongoing';
    ongoingAsOf = listedYear ? new Date(Date.UTC(Number(listedYear), 11, 31)) : null;
    if (start && ongoingAsOf && ongoingAsOf.getTime() < start.getTime()) ongoingAsOf = start;
  }
  if (justificationDetails && /^https?:\/\/\S+$/.test(justificationDetails)) {
    sourceText += ` ${justificationDetails}`;
    justificationDetails = null;
  }
  if (orderedBy && decisionMaker && orderedBy.toLowerCase() === decisionMaker.toLowerCase()) decisionMaker = null;
  if (orderedBy && /^law enforcem/i.test(orderedBy)) orderedBy = 'Law enforcement';
  const area = areaRaw && !(national && /^(national|nationwide|nation wide)$/i.test(areaRaw)) ? areaRaw : null;
  const anLinks = extractUrls(cellText(g('an_link')));
  const sourceUrls = extractUrls(sourceText).filter((u) => !anLinks.includes(u));
  return {
    start,
    end,
    endState,
    ongoingAsOf,
    listedYear,
    country,
    countryCode: resolveCountry(country),
    national,
    area,
    throttle,
    shutdown,
    serviceBased,
    fullNetwork,
    mobile,
    broadband,
    networkKnown,
    services,
    alsoAffected,
    orderedBy,
    decisionMaker,
    telcos,
    cause: clean(g('actual_cause')),
    causeDetails,
    justification,
    justificationDetails,
    legalJustification: legal,
    election: tri(g('election')),
    violence: tri(g('violence')),
    hrAbuse: tri(g('hr_abuse_reported')),
    usersTargeted,
    event: clean(g('event')),
    sourceUrls,
    accessNowUrls: anLinks,
    estimatedStart,
    status,
    flags,
  };
}

/** The year a sheet lists its rows under: "2022 Data" → 2022; the combined 2016–2018 sheet names it per row. */
export function sheetYear(sheet: StopSheet, r: StopSheetRow): string | null {
  const fromName = sheet.name.match(/^(\d{4})(?!\+)/);
  if (fromName && sheet.layout !== 'incomplete') return fromName[1]!;
  const y = cellText(r.cells.year);
  return /^\d{4}$/.test(y) && sheet.layout !== 'incomplete' ? y : null;
}

function typeOf(f: StopFacts): IncidentType {
  if (f.serviceBased && !f.fullNetwork) return 'blocking.service';
  if (f.throttle && !f.shutdown) return 'throttling';
  if (f.mobile && !f.broadband) return 'shutdown.mobile';
  if (!f.national) return 'shutdown.regional';
  return 'shutdown.full';
}

const CAUSE_TAGS: [RegExp, string][] = [
  [/protest/i, 'protests'],
  [/election/i, 'election'],
  [/exam|cheating/i, 'exams'],
  [/communal/i, 'communal-violence'],
  [/political instability/i, 'political-instability'],
  [/information control/i, 'information-control'],
  [/religious/i, 'religious-holiday'],
  [/visit/i, 'official-visit'],
  [/military/i, 'military-operation'],
];

export const TYPE_TITLES: Record<string, string> = {
  'shutdown.full': 'Internet shutdown',
  'shutdown.regional': 'Regional shutdown',
  'shutdown.mobile': 'Mobile internet shutdown',
  throttling: 'Throttling',
  'blocking.service': 'Service blocking',
  other: 'Reported shutdown',
};

function lowerFirst(s: string): string {
  return s && /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1).trimEnd()}…`;
}

function incidentFromFacts(sheet: StopSheet, r: StopSheetRow, f: StopFacts, originKey: string, code: string): ImportedIncident {
  const type = typeOf(f);
  const countryShort = shortCountryName(code);
  const place = f.area ? `${f.area}, ${countryShort}` : countryShort;
  const startTxt = f.start ? ymd(f.start) : 'date unknown';
  const head = type === 'blocking.service' && f.services.length ? `Blocking of ${f.services.slice(0, 3).join(', ')}` : TYPE_TITLES[type]!;
  // A national record's area that only says so ("Countrywide shutdown", "Nationwide") is not a place: leave it out.
  const areaInTitle = f.area && !(f.national && /\bnation(al|wide)?\b|entire country|whole country|countrywide|all (the )?country/i.test(f.area)) ? f.area : null;
  const title = `${head} in ${areaInTitle ? `${truncate(areaInTitle, 60)}, ` : ''}${countryShort} (${startTxt})`;

  const nets: string[] = [];
  if (f.mobile) nets.push('mobile');
  if (f.broadband) nets.push('broadband');
  const networks = nets.map((kind) => ({ name: kind === 'mobile' ? 'Mobile internet' : 'Broadband internet' }));

  const actors: ImportActor[] = [];
  if (f.orderedBy || f.decisionMaker) {
    actors.push({ name: f.decisionMaker ?? f.orderedBy!, role: 'ordered_by' });
  }
  for (const t of f.telcos) actors.push({ name: t, role: 'carried_out_by' });

  const targets = new Set<string>();
  const ut = (f.usersTargeted ?? '').toLowerCase();
  if (/student/.test(ut)) targets.add('student');
  if (/minorit|ethnic|rohingya|kurd|religious/.test(ut)) targets.add('minority');
  if (/journalist|media|press/.test(ut)) targets.add('journalist');
  if (/opposition/.test(ut)) targets.add('opposition');
  if (/activist|protest|demonstrat/.test(ut)) targets.add('activist');
  if (/human rights defender|\bhrds?\b/.test(ut)) targets.add('hrd');
  if (targets.size === 0) targets.add('general_public');

  const tags = new Set<string>();
  const causeText = `${f.cause ?? ''} ${f.causeDetails ?? ''}`;
  for (const [re, tag] of CAUSE_TAGS) if (re.test(causeText)) tags.add(tag);
  if (f.election === 'yes') tags.add('election');
  if (f.violence === 'yes') tags.add('violence');
  if (f.hrAbuse === 'yes') tags.add('hr-abuse');
  if (f.throttle && type !== 'throttling') tags.add('throttling');
  if (f.serviceBased && type !== 'blocking.service') tags.add('service-blocking');
  if (f.estimatedStart) tags.add('estimated-start');
  if (f.national) tags.add('nationwide');

  const parts: string[] = [];
  const what =
    type === 'blocking.service'
      ? `Blocking of ${f.services.length ? f.services.join(', ') : 'online services'}`
      : type === 'throttling'
        ? 'Throttling of internet access'
        : `${f.national ? 'Nationwide' : 'Regional'} ${type === 'shutdown.mobile' ? 'mobile internet shutdown' : 'internet shutdown'}`;
  const when = f.start
    ? f.end
      ? ymd(f.end) === ymd(f.start)
        ? `on ${ymd(f.start)}`
        : `from ${ymd(f.start)} to ${ymd(f.end)}`
      : `from ${ymd(f.start)} (${f.endState === 'ongoing' ? `ongoing as of ${f.ongoingAsOf ? ymd(f.ongoingAsOf) : 'the report'}` : 'end not recorded'})`
    : '(start date not recorded)';
  parts.push(`${what} in ${place} ${when}.`);
  if (nets.length) parts.push(`Networks: ${nets.join(' and ')}.`);
  if (f.services.length && type !== 'blocking.service') parts.push(`Services blocked: ${f.services.join(', ')}.`);
  if (f.alsoAffected.length) parts.push(`Also cut: ${f.alsoAffected.join(' and ')}.`);
  if (f.orderedBy || f.decisionMaker) parts.push(`Ordered by: ${[f.decisionMaker, f.orderedBy && f.decisionMaker ? `(${lowerFirst(f.orderedBy)})` : f.orderedBy].filter(Boolean).join(' ')}.`);
  if (f.telcos.length) parts.push(`Carried out by: ${f.telcos.join(', ')}.`);
  if (f.cause) parts.push(`Actual cause: ${f.cause}${f.causeDetails ? ` (${f.causeDetails})` : ''}.`);
  if (f.justification) parts.push(`Official justification: ${f.justification}.`);
  if (f.legalJustification && f.legalJustification.toLowerCase() === 'yes') parts.push('A legal justification was given.');
  if (f.election === 'yes') parts.push('Linked to an election.');
  if (f.violence === 'yes') parts.push('Violence was reported.');
  if (f.hrAbuse === 'yes') parts.push('Human rights abuses were reported.');
  const summary = parts.join(' ');

  const description = [f.event, f.justificationDetails ? `Official statement: ${f.justificationDetails}` : null, `Source: Access Now #KeepItOn STOP, sheet "${sheet.name}", row ${r.row}${r.cells.year != null && r.cells.year !== '' ? `, year ${String(r.cells.year)}` : ''}.`]
    .filter(Boolean)
    .join('\n\n');

  const sources: ImportSource[] = [
    ...f.accessNowUrls.map((url) => ({ url, title: 'Access Now', publisher: 'Access Now' })),
    ...f.sourceUrls.map((url) => ({ url, title: '', publisher: publisherOf(url) })),
  ];
  const severity = type === 'shutdown.full' || (f.national && type !== 'blocking.service' && type !== 'throttling') ? 'high' : 'medium';

  return conform({
    originKey,
    origin: 'stop',
    type,
    title,
    country: code,
    area: f.area,
    networks,
    services: f.services,
    actors,
    targets: [...targets],
    startAt: f.start,
    startPrecision: 'day',
    endAt: f.end,
    endPrecision: 'day',
    endState: f.endState,
    ongoingAsOf: f.ongoingAsOf,
    datasetPeriod: f.listedYear,
    status: 'verified',
    severity,
    tlp: 'TLP:CLEAR',
    summary,
    description,
    tags: [...tags],
    dataQuality: f.flags,
    sources,
  });
}

function incompleteIncident(sheet: StopSheet, r: StopSheetRow, originKey: string, code: string, flags: DataQualityFlag[]): ImportedIncident {
  const yearText = cellText(r.cells.year);
  const year = /^\d{4}$/.test(yearText) ? yearText : null;
  const sourceText = cellText(r.cells.source);
  const countryShort = shortCountryName(code);
  flags.push({
    code: 'date_missing',
    reason: year ? `only the year ${year} is recorded; dates, type and scope need details` : 'no date recorded; dates, type and scope need details',
  });
  const tags = ['needs-details'];
  if (/exam/i.test(sourceText)) tags.push('exams');
  if (/election/i.test(sourceText)) tags.push('election');
  if (/protest/i.test(sourceText)) tags.push('protests');
  const services = servicesIn(sourceText);
  return conform({
    originKey,
    origin: 'stop',
    type: 'other',
    title: `${TYPE_TITLES.other} in ${countryShort} (${year ?? 'year unknown'}, date unknown)`,
    country: code,
    area: null,
    networks: [],
    services,
    actors: [],
    targets: ['general_public'],
    startAt: null,
    startPrecision: 'day',
    endAt: null,
    endPrecision: 'day',
    endState: 'unknown',
    ongoingAsOf: null,
    datasetPeriod: null,
    status: 'draft',
    severity: 'medium',
    tlp: 'TLP:CLEAR',
    summary: `Incomplete STOP record: a shutdown reported in ${countryShort}${year ? ` in ${year}` : ''}. Dates, type and scope are not recorded yet.`,
    description: `${sourceText}\n\nSource: Access Now #KeepItOn STOP, sheet "${sheet.name}", row ${r.row}.`,
    tags,
    dataQuality: flags,
    sources: extractUrls(sourceText).map((url) => ({ url, title: '', publisher: publisherOf(url) })),
  });
}

function layoutOrder(s: StopSheet): number {
  return { y2016: 0, y2019: 1, modern: 2, incomplete: 3 }[s.layout];
}

function normArea(a: string | null): string {
  return (a ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/**
 * Plans one action per data row. Sheets are processed oldest first; a row of a later sheet that repeats a shutdown
 * already recorded in an earlier sheet (same country, same start day, same area — STOP carries ongoing shutdowns over
 * into the next year's sheet) is attached to that incident as a document instead of creating a duplicate.
 */
export function planStop(sheets: StopSheet[]): PlannedRow[] {
  const ordered = [...sheets].sort((a, b) => layoutOrder(a) - layoutOrder(b) || a.name.localeCompare(b.name));
  const plans: PlannedRow[] = [];
  const seenKeys = new Set<string>();
  const primaries = new Map<string, { sheet: string; originKey: string; type: IncidentType }[]>();
  for (const sheet of ordered) {
    for (const r of sheet.rows) {
      const rowHash = stableHash(Object.fromEntries(Object.entries(r.cells).map(([k, v]) => [k, cellText(v)])));
      const originKey = `stop:${sheet.name}:${rowHash}`;
      if (seenKeys.has(originKey)) {
        plans.push({
          action: 'skip',
          sheet: sheet.name,
          row: r.row,
          flags: [{ code: 'duplicate_row', reason: `identical to an earlier row of sheet "${sheet.name}"` }],
        });
        continue;
      }
      seenKeys.add(originKey);
      if (sheet.layout === 'incomplete') {
        const flags: DataQualityFlag[] = [];
        const countryRaw = cellText(r.cells.country);
        const code = resolveCountry(countryRaw);
        if (!code) {
          plans.push({ action: 'skip', sheet: sheet.name, row: r.row, flags: [{ code: 'country_unknown', reason: `country "${countryRaw}" is not a known country name` }] });
          continue;
        }
        const incident = incompleteIncident(sheet, r, originKey, code, flags);
        plans.push({ action: 'create', sheet: sheet.name, row: r.row, flags: incident.dataQuality, incident });
        continue;
      }
      const f = factsOf(sheet, r);
      if (!f.countryCode) {
        f.flags.push({ code: 'country_unknown', reason: f.country ? `country "${f.country}" is not a known country name` : 'no country' });
        plans.push({ action: 'skip', sheet: sheet.name, row: r.row, flags: f.flags });
        continue;
      }
      if (f.services.length === 0 && f.serviceBased && !f.fullNetwork) {
        f.flags.push({ code: 'services_unknown', reason: 'service-based restriction, but no service is named' });
      }
      const incident = incidentFromFacts(sheet, r, f, originKey, f.countryCode);
      const mergeKey = f.start ? `${f.countryCode}|${ymd(f.start)}|${normArea(f.area)}` : null;
      const earlier = mergeKey ? (primaries.get(mergeKey) ?? []).filter((p) => p.sheet !== sheet.name) : [];
      if (mergeKey && earlier.length) {
        const target = earlier.find((p) => p.type === incident.type) ?? earlier[0]!;
        plans.push({
          action: 'attach',
          sheet: sheet.name,
          row: r.row,
          flags: f.flags,
          target: { originKey: target.originKey },
          evidence: {
            kind: 'document',
            ref: originKey,
            summary: `Also recorded in STOP sheet "${sheet.name}", row ${r.row}: ${incident.summary}`,
            data: {
              sheet: sheet.name,
              row: r.row,
              type: incident.type,
              start: f.start ? ymd(f.start) : null,
              end: f.end ? ymd(f.end) : null,
              status: f.status,
              dataQuality: f.flags,
              cells: Object.fromEntries(Object.entries(r.cells).filter(([, v]) => v !== null).map(([k, v]) => [k, cellText(v)])),
            },
            sources: incident.sources,
            extendEndTo: f.end,
            extendOngoingTo: f.endState === 'ongoing' ? f.ongoingAsOf : null,
            datasetPeriod: f.listedYear,
          },
        });
        continue;
      }
      if (mergeKey) primaries.set(mergeKey, [...(primaries.get(mergeKey) ?? []), { sheet: sheet.name, originKey, type: incident.type }]);
      plans.push({ action: 'create', sheet: sheet.name, row: r.row, flags: f.flags, incident });
    }
  }
  return plans;
}
