/**
 * Synthetic days of the EU DSA Transparency Database, packed like the published daily dumps: one zip
 * (sor-global-YYYY-MM-DD-full.zip) holding zips of CSV parts (…-full-00000.csv.zip), each holding CSV files
 * (…-full-00000-00000.csv) with the 38 columns of the shipped sample (schema v2) or an older, smaller column set;
 * array columns are JSON strings. Values are drawn (seeded) from realistic vocabularies so that volume queries have
 * something to group. For tests and benchmarks only: never presented as real data.
 */
import { createWriteStream, rmSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import yazl from 'yazl';

export const DSA_COLUMNS_V2 = [
  'uuid', 'decision_visibility', 'decision_visibility_other', 'end_date_visibility_restriction', 'decision_monetary', 'decision_monetary_other',
  'end_date_monetary_restriction', 'decision_provision', 'end_date_service_restriction', 'decision_account', 'end_date_account_restriction', 'account_type',
  'decision_ground', 'decision_ground_reference_url', 'illegal_content_legal_ground', 'illegal_content_explanation', 'incompatible_content_ground',
  'incompatible_content_explanation', 'incompatible_content_illegal', 'category', 'category_addition', 'category_specification',
  'category_specification_other', 'content_type', 'content_type_other', 'content_language', 'content_date', 'content_id_ean', 'territorial_scope',
  'application_date', 'decision_facts', 'source_type', 'source_identity', 'automated_detection', 'automated_decision', 'platform_name', 'platform_uid',
  'created_at',
] as const;

/** An older, smaller column set (without the columns the v2 schema added); the importer reads columns by name. */
export const DSA_COLUMNS_OLD = DSA_COLUMNS_V2.filter(
  (c) => !['content_id_ean', 'category_addition', 'category_specification', 'category_specification_other', 'account_type', 'content_language', 'decision_ground_reference_url'].includes(c),
);

const PLATFORMS = ['Facebook', 'Instagram', 'TikTok', 'YouTube', 'Google Shopping', 'Amazon Store', 'Pinterest', 'Snapchat', 'X', 'LinkedIn', 'Wallapop', 'Kleinanzeigen', 'Hotel Hideaway', 'Vinted', 'Temu'];
const CATEGORIES = [
  'STATEMENT_CATEGORY_SCAMS_AND_FRAUD', 'STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH', 'STATEMENT_CATEGORY_PROTECTION_OF_MINORS', 'STATEMENT_CATEGORY_CYBER_VIOLENCE',
  'STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS', 'STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY', 'STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS',
  'STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT', 'STATEMENT_CATEGORY_VIOLENCE', 'STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS', 'STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE',
];
const VIS = ['DECISION_VISIBILITY_CONTENT_REMOVED', 'DECISION_VISIBILITY_CONTENT_DISABLED', 'DECISION_VISIBILITY_CONTENT_DEMOTED', 'DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED', 'DECISION_VISIBILITY_CONTENT_LABELLED'];
const SOURCES = ['SOURCE_VOLUNTARY', 'SOURCE_ARTICLE_16', 'SOURCE_TRUSTED_FLAGGER', 'SOURCE_TYPE_OTHER_NOTIFICATION'];
const CONTENT = ['CONTENT_TYPE_TEXT', 'CONTENT_TYPE_IMAGE', 'CONTENT_TYPE_VIDEO', 'CONTENT_TYPE_PRODUCT', 'CONTENT_TYPE_SYNTHETIC_MEDIA', 'CONTENT_TYPE_OTHER'];
const AUTO = ['AUTOMATED_DECISION_FULLY', 'AUTOMATED_DECISION_PARTIALLY', 'AUTOMATED_DECISION_NOT_AUTOMATED'];
export const EU27 = ['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK'];
export const EEA30 = [...EU27, 'IS', 'LI', 'NO'].sort();

/** A small, fast, seeded generator (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const arr = (xs: string[]) => JSON.stringify(xs);

export interface SynthOptions {
  day: string; // YYYY-MM-DD
  rows: number;
  /** Rows per CSV file, files per inner zip. The real dumps use 1,000,000 rows per CSV file. */
  rowsPerCsv?: number;
  csvsPerZip?: number;
  columns?: 'v2' | 'old';
  seed?: number;
  /** Deflate level of the CSV files (1–9; default 6, zlib's default, as ordinary zip tools write). */
  compressionLevel?: number;
}

const hex8 = (x: number) => (x >>> 0).toString(16).padStart(8, '0');

/**
 * A UUID-shaped identifier, unique per (day, row number): the last 12 hex digits are the row number, the others a
 * mix of the day and the row (cheaper than a cryptographic hash: the benchmark draws 10 million of them).
 */
function synthUuid(daySeed: number, n: number): string {
  let h = Math.imul(daySeed ^ n, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  let g = Math.imul(h ^ (n >>> 3) ^ 0x5bd1e995, 0xc2b2ae35) >>> 0;
  g = (g ^ (g >>> 13)) >>> 0;
  const a = hex8(h);
  const b = hex8(g);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${(8 + (h & 3)).toString(16)}${a.slice(1, 4)}-${n.toString(16).padStart(12, '0')}`;
}

/** Yields the CSV text of one synthetic part (header + rows), in chunks. */
export function* synthCsv(o: { day: string; start: number; count: number; columns: readonly string[]; seed: number }): Generator<string> {
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  // every value from a vocabulary is quoted once, not per row
  const Q = (xs: readonly string[]) => xs.map(q);
  const qVis = Q(VIS.map((x) => arr([x])));
  const qContent = Q(CONTENT.map((x) => arr([x])));
  const qCats = Q(CATEGORIES);
  const qSources = Q(SOURCES);
  const qAuto = Q(AUTO);
  const qPlatforms = Q(PLATFORMS);
  const qEEA = q(arr(EEA30));
  const qEU = q(arr(EU27));
  const qOne = Q(EU27.map((c) => arr([c])));
  const qIllegal = { legal: q('Section 86a StGB'), expl: q('The content is illegal in the member state.') };
  const qTos = { ground: q('Violation of our terms of service, section 3.'), expl: q('The content or user has violated our policies, including "community rules".') };
  const qFacts = q('We take various information into consideration, including reports, past history and human moderation.');
  const dayStart = `${o.day} 00:00:00`;
  let daySeed = 0;
  for (const ch of o.day) daySeed = (Math.imul(daySeed, 31) + ch.charCodeAt(0)) >>> 0;
  const two = (x: number) => (x < 10 ? `0${x}` : String(x));
  const v: Record<string, string> = { content_language: 'EN', content_date: dayStart, application_date: dayStart };
  const cols = o.columns;
  yield `${cols.join(',')}\n`;
  let buf = '';
  for (let i = 0; i < o.count; i++) {
    const n = o.start + i;
    const illegal = r() < 0.08;
    const scopeDraw = r();
    let scope: string;
    if (scopeDraw < 0.5) scope = qEEA;
    else if (scopeDraw < 0.7) scope = qEU;
    else if (scopeDraw < 0.95) scope = qOne[Math.floor(r() * EU27.length)]!;
    else {
      const a = pick(EU27);
      const b = pick(EU27);
      scope = q(arr([a, b].sort()));
    }
    const sec = Math.floor((n / Math.max(1, o.count)) * 86399) % 86400;
    v.uuid = synthUuid(daySeed, n);
    v.decision_visibility = pick(qVis);
    v.decision_account = r() < 0.05 ? 'DECISION_ACCOUNT_SUSPENDED' : '';
    v.decision_ground = illegal ? 'DECISION_GROUND_ILLEGAL_CONTENT' : 'DECISION_GROUND_INCOMPATIBLE_CONTENT';
    v.illegal_content_legal_ground = illegal ? qIllegal.legal : '';
    v.illegal_content_explanation = illegal ? qIllegal.expl : '';
    v.incompatible_content_ground = illegal ? '' : qTos.ground;
    v.incompatible_content_explanation = illegal ? '' : qTos.expl;
    v.category = pick(qCats);
    v.content_type = pick(qContent);
    v.territorial_scope = scope;
    v.decision_facts = qFacts;
    v.source_type = pick(qSources);
    v.automated_detection = r() < 0.7 ? 'Yes' : 'No';
    v.automated_decision = pick(qAuto);
    v.platform_name = pick(qPlatforms);
    v.platform_uid = `uid-${n}`;
    v.created_at = `${o.day} ${two(Math.floor(sec / 3600))}:${two(Math.floor((sec % 3600) / 60))}:${two(sec % 60)}`;
    let line = v[cols[0]!] ?? '';
    for (let k = 1; k < cols.length; k++) line += `,${v[cols[k]!] ?? ''}`;
    buf += `${line}\n`;
    if (buf.length > 1 << 16) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/**
 * Writes a synthetic day as a zip of zips at `path`, and its SHA-1 checksum beside it (`path`.sha1, as the
 * Transparency Database publishes). Returns the row count and the names of the parts.
 */
export async function writeSyntheticDay(path: string, o: SynthOptions): Promise<{ rows: number; parts: string[]; sha1: string }> {
  const perCsv = o.rowsPerCsv ?? 1_000_000;
  const perZip = o.csvsPerZip ?? 10;
  const cols = o.columns === 'old' ? DSA_COLUMNS_OLD : DSA_COLUMNS_V2;
  const base = `sor-global-${o.day}-full`;
  const outer = new yazl.ZipFile();
  const done = new Promise<void>((res, rej) => {
    const ws = createWriteStream(path);
    outer.outputStream.pipe(ws).on('close', () => res()).on('error', rej);
  });
  const parts: string[] = [];
  const tmp: string[] = [];
  const csvCount = Math.ceil(o.rows / perCsv);
  for (let z = 0; z * perZip < csvCount; z++) {
    const inner = new yazl.ZipFile();
    const innerName = `${base}-${String(z).padStart(5, '0')}.csv.zip`;
    const innerPath = `${path}.part-${z}.tmp`;
    const innerDone = new Promise<void>((res, rej) => {
      inner.outputStream.pipe(createWriteStream(innerPath)).on('close', () => res()).on('error', rej);
    });
    for (let k = 0; k < perZip && z * perZip + k < csvCount; k++) {
      const idx = z * perZip + k;
      const start = idx * perCsv;
      const count = Math.min(perCsv, o.rows - start);
      const csvName = `${base}-${String(z).padStart(5, '0')}-${String(k).padStart(5, '0')}.csv`;
      const pt = new PassThrough();
      inner.addReadStream(pt, csvName, { compressionLevel: o.compressionLevel ?? 6 });
      parts.push(`${innerName}/${csvName}`);
      // write with back-pressure
      for (const chunk of synthCsv({ day: o.day, start, count, columns: cols, seed: (o.seed ?? 1) * 1000 + idx })) {
        if (!pt.write(chunk)) await new Promise((r) => pt.once('drain', r));
      }
      pt.end();
    }
    inner.end();
    // an inner zip is only as big as its compressed parts; the real ones are a few hundred MB
    await innerDone;
    tmp.push(innerPath);
    outer.addFile(innerPath, innerName, { compress: false });
  }
  outer.end();
  await done;
  for (const t of tmp) rmSync(t, { force: true });
  const { fileDigests } = await import('./common.js');
  const d = await fileDigests(path);
  writeFileSync(`${path}.sha1`, `${d.sha1}  ${base}.zip\n`);
  return { rows: o.rows, parts, sha1: d.sha1 };
}
