import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Db, Queryable } from '../../platform/db.js';
import { planIoda, readIodaOutages, type StopCandidate } from './ioda.js';
import { searchText, type ImportFlag, type ImportOptions, type ImportSummary, type ImportedIncident, type PlannedRow } from './model.js';
import { ImportFileError, planStop, readStopWorkbook } from './stop.js';
import { checkFileSize, checkZipExpansion, IMPORT_LIMITS } from './limits.js';
import { recordDuplicatesFor } from '../duplicates.js';

export { ImportFileError } from './stop.js';
export type { ImportOptions, ImportSummary, ImportFlag } from './model.js';

const DEFAULT_BATCH = 250;

async function readInput(file: string, maxBytes?: number): Promise<Buffer> {
  if (maxBytes !== undefined) await checkFileSize(file, maxBytes);
  try {
    return await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImportFileError(code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${(e as Error).message}`);
  }
}

/**
 * Imports the Access Now STOP workbook (every sheet). Each batch of rows is one transaction; rows already present
 * (same origin key) are left alone, so a second run, or a run after an interrupted one, only adds what is missing.
 */
export async function importStop(db: Db, file: string, opts: ImportOptions): Promise<ImportSummary> {
  const buf = await readInput(file, IMPORT_LIMITS.xlsxBytes);
  await checkZipExpansion(buf);
  const sheets = await readStopWorkbook(buf);
  const plans = planStop(sheets);
  const perSheet: Record<string, number> = {};
  for (const s of sheets) perSheet[s.name] = s.rows.length;
  return runImport(db, { kind: 'stop', action: 'import.stop', file, buf, plans, perSheet }, opts);
}

/**
 * Imports IODA's investigated-outages CSV. Outages that match a STOP shutdown already in the registry (see
 * `matchStop` in ioda.ts) become `outage_event` evidence on it; the others become incidents. Import STOP first.
 */
export async function importIodaOutages(db: Db, file: string, opts: ImportOptions): Promise<ImportSummary> {
  const buf = await readInput(file, IMPORT_LIMITS.csvBytes);
  if (buf.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004') throw new ImportFileError('this is a zip/xlsx file, not a CSV');
  const text = buf.toString('utf8');
  if (text.includes('\u0000')) throw new ImportFileError('this is a binary file, not a CSV');
  const outages = readIodaOutages(text);
  const stop = await db.query<{ id: string; origin_key: string; country: string; start_at: Date | string; end_at: Date | string | null; area: string | null; type: string; nationwide: boolean }>(
    `select id, origin_key, country, start_at, end_at, area, type, (area is null or 'nationwide' = any(tags)) as nationwide
       from incidents where origin = 'stop' and org_id = $1 and start_at is not null order by origin_key`,
    [opts.orgId],
  );
  const candidates: StopCandidate[] = stop.rows.map((r) => ({
    id: r.id,
    key: r.origin_key,
    country: r.country,
    startAt: new Date(r.start_at),
    endAt: r.end_at ? new Date(r.end_at) : null,
    area: r.area,
    type: r.type,
    nationwide: r.nationwide,
  }));
  const plans = planIoda(outages, candidates);
  return runImport(db, { kind: 'ioda-outages', action: 'import.ioda', file, buf, plans, perSheet: { [basename(file)]: outages.length } }, opts);
}

interface RunSpec {
  kind: string;
  action: string;
  file: string;
  buf: Buffer;
  plans: PlannedRow[];
  perSheet: Record<string, number>;
}

async function runImport(db: Db, spec: RunSpec, opts: ImportOptions): Promise<ImportSummary> {
  const actor = opts.actorLabel ?? 'system';
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH));
  const runId = randomUUID();
  const sha = createHash('sha256').update(spec.buf).digest('hex');
  const flags: ImportFlag[] = [];
  let flagged = 0;
  let skipped = 0;
  const rows = spec.plans.filter((p) => !(p.action === 'create' && p.derived));
  for (const p of rows) {
    if (p.flags.length) flagged++;
    if (p.action === 'skip') skipped++;
    for (const f of p.flags) flags.push({ ...(p.sheet !== undefined ? { sheet: p.sheet } : {}), row: p.row, code: f.code, reason: f.reason });
  }
  const summary: ImportSummary = {
    runId,
    rowsRead: rows.length,
    imported: 0,
    merged: 0,
    series: 0,
    likelyDuplicates: 0,
    flagged,
    unchanged: 0,
    skipped,
    perSheet: spec.perSheet,
    flags,
  };
  const org = await db.query<{ n: number }>('select count(*)::int as n from orgs where id = $1', [opts.orgId]);
  if (!org.rows[0]?.n) throw new Error(`organisation ${opts.orgId} does not exist`);
  await db.query(`insert into import_runs (id, kind, file_name, file_sha256, rows_read, flagged, flags, status) values ($1, $2, $3, $4, $5, $6, $7::jsonb, 'running')`, [
    runId,
    spec.kind,
    basename(spec.file),
    sha,
    summary.rowsRead,
    flagged,
    JSON.stringify(flags),
  ]);
  const isRow = (p: PlannedRow) => !(p.action === 'create' && p.derived);
  const total = rows.length;
  let done = 0;
  const createdIds: string[] = [];
  try {
    for (let i = 0; i < spec.plans.length; i += batchSize) {
      const batch = spec.plans.slice(i, i + batchSize);
      const counts = await db.transaction((tx) => writeBatch(tx, batch, opts.orgId, actor));
      summary.imported += counts.imported;
      summary.series! += counts.series;
      createdIds.push(...counts.createdIds);
      summary.merged += counts.merged;
      summary.unchanged += counts.unchanged;
      done += batch.filter(isRow).length;
      opts.onProgress?.(done, total);
    }
  } catch (e) {
    await db
      .query(`update import_runs set finished_at = now(), imported = $2, merged = $3, unchanged = $4, status = 'failed' where id = $1`, [
        runId,
        summary.imported,
        summary.merged,
        summary.unchanged,
      ])
      .catch(() => undefined);
    throw e;
  }
  // Likely duplicates among what this run created and the registry: recorded for analysts (never merged here).
  for (let i = 0; i < createdIds.length; i += 1000) {
    const slice = createdIds.slice(i, i + 1000);
    const pairs = await db.transaction((tx) => recordDuplicatesFor(tx, slice));
    summary.likelyDuplicates! += new Set(pairs.map((p) => p.id)).size;
  }
  await db.transaction(async (tx) => {
    await tx.query(`update import_runs set finished_at = now(), imported = $2, merged = $3, unchanged = $4, status = 'completed' where id = $1`, [
      runId,
      summary.imported,
      summary.merged,
      summary.unchanged,
    ]);
    await tx.query(`insert into audit_log (actor_label, org_id, action, entity_type, entity_id, after) values ($1, $2, $3, 'import_run', $4, $5::jsonb)`, [
      actor,
      opts.orgId,
      spec.action,
      runId,
      JSON.stringify({
        file: basename(spec.file),
        sha256: sha,
        rowsRead: summary.rowsRead,
        imported: summary.imported,
        merged: summary.merged,
        flagged: summary.flagged,
        unchanged: summary.unchanged,
        skipped: summary.skipped,
        series: summary.series,
        likelyDuplicates: summary.likelyDuplicates,
      }),
    ]);
  });
  return summary;
}

const INCIDENT_COLUMNS = `id uuid, type text, title text, country text, area text, networks jsonb, services text[], actors jsonb,
  targets text[], start_at timestamptz, start_precision text, end_at timestamptz, end_precision text, status text, severity text,
  tlp text, summary text, description text, tags text[], data_quality jsonb, origin text, origin_key text, search_text text,
  end_state text, ongoing_as_of timestamptz`;

function incidentRecord(id: string, i: ImportedIncident) {
  return {
    id,
    type: i.type,
    title: i.title,
    country: i.country,
    area: i.area,
    networks: i.networks,
    services: i.services,
    actors: i.actors,
    targets: i.targets,
    start_at: i.startAt?.toISOString() ?? null,
    start_precision: i.startPrecision,
    end_at: i.endAt?.toISOString() ?? null,
    end_precision: i.endPrecision,
    status: i.status,
    severity: i.severity,
    tlp: i.tlp,
    summary: i.summary,
    description: i.description,
    tags: i.tags,
    data_quality: i.dataQuality,
    origin: i.origin,
    origin_key: i.originKey,
    search_text: searchText(i),
    end_state: i.endAt ? 'ended' : i.endState,
    ongoing_as_of: i.endState === 'ongoing' && !i.endAt ? (i.ongoingAsOf?.toISOString() ?? null) : null,
  };
}

/** Rows of published data sets behind incidents (dataset_records): what a data set's own counts are computed from. */
async function insertRecords(tx: Queryable, rows: { dataset: string; record_key: string; period: string | null; incident_id: string }[]) {
  if (!rows.length) return;
  await tx.query(
    `insert into dataset_records (dataset, record_key, period, incident_id)
     select x.dataset, x.record_key, x.period, x.incident_id from jsonb_to_recordset($1::jsonb) as x(dataset text, record_key text, period text, incident_id uuid)
     on conflict (dataset, record_key) do nothing`,
    [JSON.stringify(rows)],
  );
}
const datasetOf = (key: string) => key.slice(0, key.indexOf(':'));

interface SourceRecord {
  id: string;
  incident_id: string;
  url: string;
  title: string;
  publisher: string;
}

async function insertSources(tx: Queryable, rows: SourceRecord[]) {
  if (!rows.length) return;
  await tx.query(
    `insert into incident_sources (id, incident_id, kind, url, title, publisher)
     select x.id, x.incident_id, 'url', x.url, x.title, x.publisher
       from jsonb_to_recordset($1::jsonb) as x(id uuid, incident_id uuid, url text, title text, publisher text)
     on conflict (incident_id, url) where url is not null do nothing`,
    [JSON.stringify(rows)],
  );
}

/** Writes one batch inside its transaction. Returns what happened to its rows. */
async function writeBatch(tx: Queryable, batch: PlannedRow[], orgId: string, actor: string) {
  let imported = 0;
  let merged = 0;
  let unchanged = 0;
  let series = 0;
  const createdIds: string[] = [];

  // 1. New incidents (skipping origin keys already stored).
  const creates = batch.filter((p): p is Extract<PlannedRow, { action: 'create' }> => p.action === 'create');
  if (creates.length) {
    const keys = creates.map((p) => p.incident.originKey);
    const existing = new Set(
      (await tx.query<{ origin_key: string }>('select origin_key from incidents where origin_key = any($1::text[])', [keys])).rows.map((r) => r.origin_key),
    );
    const fresh = creates.filter((p) => !existing.has(p.incident.originKey));
    // Rows only: an incident made for a series of rows is not a row of the file.
    unchanged += creates.filter((p) => !p.derived && existing.has(p.incident.originKey)).length;
    if (fresh.length) {
      const withIds = fresh.map((p) => ({ id: randomUUID(), p }));
      const inserted = await tx.query<{ id: string }>(
        `insert into incidents (id, org_id, type, title, country, area, networks, services, actors, targets, start_at, start_precision,
            end_at, end_precision, status, severity, tlp, summary, description, tags, data_quality, origin, origin_key, search_text,
            end_state, ongoing_as_of)
         select x.id, $2::uuid, x.type, x.title, x.country, x.area, x.networks, x.services, x.actors, x.targets, x.start_at,
                x.start_precision, x.end_at, x.end_precision, x.status, x.severity, x.tlp, x.summary, x.description, x.tags,
                x.data_quality, x.origin, x.origin_key, x.search_text, x.end_state, x.ongoing_as_of
           from jsonb_to_recordset($1::jsonb) as x(${INCIDENT_COLUMNS})
         on conflict (origin_key) do nothing
         returning id`,
        [JSON.stringify(withIds.map(({ id, p }) => incidentRecord(id, p.incident))), orgId],
      );
      const ids = new Set(inserted.rows.map((r) => r.id));
      const made = withIds.filter(({ id }) => ids.has(id));
      const derived = made.filter(({ p }) => p.derived).length;
      imported += ids.size - derived;
      series += derived;
      unchanged += fresh.filter((p) => !p.derived).length - made.filter(({ p }) => !p.derived).length;
      createdIds.push(...made.map(({ id }) => id));
      await insertRecords(
        tx,
        made.filter(({ p }) => !p.derived).map(({ id, p }) => ({ dataset: datasetOf(p.incident.originKey), record_key: p.incident.originKey, period: p.incident.datasetPeriod, incident_id: id })),
      );
      await insertSources(
        tx,
        made.flatMap(({ id, p }) => p.incident.sources.map((s) => ({ id: randomUUID(), incident_id: id, url: s.url, title: s.title, publisher: s.publisher }))),
      );
      if (made.length) {
        await tx.query(
          `insert into incident_history (incident_id, version, actor_label, action, changes)
           select x.incident_id, 1, $2, 'import', x.changes
             from jsonb_to_recordset($1::jsonb) as x(incident_id uuid, changes jsonb)`,
          [
            JSON.stringify(
              made.map(({ id, p }) => ({
                incident_id: id,
                changes: {
                  origin: { from: null, to: p.incident.origin },
                  originKey: { from: null, to: p.incident.originKey },
                  type: { from: null, to: p.incident.type },
                  status: { from: null, to: p.incident.status },
                  ...(p.incident.dataQuality.length ? { dataQuality: { from: null, to: p.incident.dataQuality } } : {}),
                },
              })),
            ),
            actor,
          ],
        );
      }
    }
  }

  // 2. Rows that attach to an existing incident (evidence + sources, and a later end date).
  const attaches = batch.filter((p): p is Extract<PlannedRow, { action: 'attach' }> => p.action === 'attach');
  if (attaches.length) {
    const byKey = attaches.flatMap((p) => ('originKey' in p.target ? [p.target.originKey] : []));
    const keyToId = new Map<string, string>();
    if (byKey.length) {
      const r = await tx.query<{ id: string; origin_key: string }>('select id, origin_key from incidents where origin_key = any($1::text[])', [byKey]);
      for (const row of r.rows) keyToId.set(row.origin_key, row.id);
    }
    // A row whose evidence ref is already stored (on whichever incident) is unchanged: re-running never attaches twice.
    const present = new Set(
      (
        await tx.query<{ kind: string; ref: string }>('select kind, ref from incident_evidence where ref = any($1::text[])', [
          attaches.map((p) => p.evidence.ref),
        ])
      ).rows.map((r) => `${r.kind} ${r.ref}`),
    );
    const pending = attaches.filter((p) => !present.has(`${p.evidence.kind} ${p.evidence.ref}`));
    unchanged += attaches.length - pending.length;
    const resolved = pending.map((p) => {
      const id = 'incidentId' in p.target ? p.target.incidentId : keyToId.get(p.target.originKey);
      if (!id) throw new Error(`internal: incident ${'originKey' in p.target ? p.target.originKey : '?'} for row ${p.row} is not stored`);
      return { id, p };
    });
    const inserted = await tx.query<{ incident_id: string; ref: string }>(
      `insert into incident_evidence (id, incident_id, kind, ref, summary, data)
       select x.id, x.incident_id, x.kind, x.ref, x.summary, x.data
         from jsonb_to_recordset($1::jsonb) as x(id uuid, incident_id uuid, kind text, ref text, summary text, data jsonb)
       on conflict (incident_id, kind, ref) do nothing
       returning incident_id, ref`,
      [JSON.stringify(resolved.map(({ id, p }) => ({ id: randomUUID(), incident_id: id, kind: p.evidence.kind, ref: p.evidence.ref, summary: p.evidence.summary, data: p.evidence.data })))],
    );
    const done = new Set(inserted.rows.map((r) => `${r.incident_id} ${r.ref}`));
    const made = resolved.filter(({ id, p }) => done.has(`${id} ${p.evidence.ref}`));
    merged += made.length;
    unchanged += resolved.length - made.length;
    await insertRecords(
      tx,
      made.filter(({ p }) => p.evidence.datasetPeriod !== undefined).map(({ id, p }) => ({ dataset: datasetOf(p.evidence.ref), record_key: p.evidence.ref, period: p.evidence.datasetPeriod ?? null, incident_id: id })),
    );
    if (made.length) {
      await insertSources(
        tx,
        made.flatMap(({ id, p }) => p.evidence.sources.map((s) => ({ id: randomUUID(), incident_id: id, url: s.url, title: s.title, publisher: s.publisher }))),
      );
      const targets = [...new Set(made.map((m) => m.id))];
      const state = new Map(
        (
          await tx.query<{ id: string; version: number; start_at: Date | string | null; end_at: Date | string | null; end_state: string; ongoing_as_of: Date | string | null }>(
            'select id, version, start_at, end_at, end_state, ongoing_as_of from incidents where id = any($1::uuid[])',
            [targets],
          )
        ).rows.map((r) => [
          r.id,
          {
            version: r.version, start: r.start_at ? new Date(r.start_at) : null, end: r.end_at ? new Date(r.end_at) : null,
            endState: r.end_state, asOf: r.ongoing_as_of ? new Date(r.ongoing_as_of) : null,
          },
        ]),
      );
      // Like attaching evidence by hand (src/incidents/service.ts): each attachment is a new version with a history entry.
      const history: { incident_id: string; version: number; action: string; changes: Record<string, unknown> }[] = [];
      for (const { id, p } of made) {
        const s = state.get(id)!;
        const changes: Record<string, unknown> = { evidence: { from: null, to: `${p.evidence.kind}:${p.evidence.ref}` } };
        const newEnd = p.evidence.extendEndTo;
        if (newEnd && (!s.end || s.end.getTime() < newEnd.getTime()) && (!s.start || newEnd.getTime() >= s.start.getTime())) {
          changes.endAt = { from: s.end?.toISOString() ?? null, to: newEnd.toISOString() };
          s.end = newEnd;
          s.endState = 'ended';
          s.asOf = null;
        }
        // A later report that still lists the shutdown as ongoing moves the day it was last known to continue.
        const later = p.evidence.extendOngoingTo;
        if (later && !s.end && (!s.asOf || s.asOf.getTime() < later.getTime())) {
          if (s.endState !== 'ongoing') changes.endState = { from: s.endState, to: 'ongoing' };
          changes.ongoingAsOf = { from: s.asOf?.toISOString() ?? null, to: later.toISOString() };
          s.endState = 'ongoing';
          s.asOf = later;
        }
        s.version += 1;
        history.push({ incident_id: id, version: s.version, action: 'evidence.add', changes });
      }
      const updates = [...state.entries()].map(([id, s]) => ({ id, end_at: s.end?.toISOString() ?? null, version: s.version, end_state: s.endState, ongoing_as_of: s.asOf?.toISOString() ?? null }));
      await tx.query(
        `update incidents i set end_at = x.end_at, version = x.version, end_state = x.end_state, ongoing_as_of = x.ongoing_as_of, updated_at = now()
           from jsonb_to_recordset($1::jsonb) as x(id uuid, end_at timestamptz, version int, end_state text, ongoing_as_of timestamptz)
          where i.id = x.id`,
        [JSON.stringify(updates)],
      );
      await tx.query(
        `insert into incident_history (incident_id, version, actor_label, action, changes)
         select x.incident_id, x.version, $2, x.action, x.changes
           from jsonb_to_recordset($1::jsonb) as x(incident_id uuid, version int, action text, changes jsonb)`,
        [JSON.stringify(history), actor],
      );
    }
  }
  return { imported, merged, unchanged, series, createdIds };
}

/**
 * Loads the shipped history into an empty or partly loaded registry: the STOP workbook first, then the IODA outages
 * (so outages can attach to STOP shutdowns). Files whose exact content was already imported to completion are skipped.
 */
export async function loadHistory(
  db: Db,
  orgId: string,
  seedDir: string,
  opts: Omit<ImportOptions, 'orgId'> = {},
): Promise<{ stop: ImportSummary | null; ioda: ImportSummary | null }> {
  const stopFile = `${seedDir}/shutdowns/keepiton-stop-2016-2022.xlsx`;
  const iodaFile = `${seedDir}/shutdowns/ioda-investigated-outages-2018-2022.csv`;
  const alreadyDone = async (kind: string, file: string) => {
    const sha = createHash('sha256').update(await readInput(file)).digest('hex');
    const r = await db.query<{ n: number }>(`select count(*)::int as n from import_runs where kind = $1 and file_sha256 = $2 and status = 'completed'`, [kind, sha]);
    return (r.rows[0]?.n ?? 0) > 0;
  };
  const stop = (await alreadyDone('stop', stopFile)) ? null : await importStop(db, stopFile, { ...opts, orgId });
  const ioda = (await alreadyDone('ioda-outages', iodaFile)) ? null : await importIodaOutages(db, iodaFile, { ...opts, orgId });
  return { stop, ioda };
}
