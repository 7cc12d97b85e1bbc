/**
 * Long work started from the console, run inside the server: imports of an uploaded file (Access Now STOP workbook,
 * IODA investigated-outages CSV, OONI measurement JSONL, connectivity-signal file) and outage linking. The console
 * uploads a file in chunks, starts the job and polls its status (phase, done/total, summary).
 *
 * Jobs run one at a time, so that an import never competes with another for the embedded database's single
 * connection; each import keeps its own all-or-nothing batches, so a failed job leaves whole batches only, as the CLI
 * does. Each job's record (kind, who, file name, size, SHA-256, phase, done/total, summary, error, times) is kept in
 * the table `ops_jobs`, so the list shows past jobs after a restart. A job that was uploading, queued or running when
 * its server stopped reads as "interrupted": on the embedded database (one process) any such job that this process
 * does not hold; on PostgreSQL (several servers may share it) one whose server has not touched it for
 * STALE_AFTER_MS. Starting and finishing a job are audited with who did it.
 */
import { randomUUID, createHash, type Hash } from 'node:crypto';
import { appendFileSync, closeSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from '@hono/zod-openapi';
import type { Db } from '../platform/db.js';
import { audit, type Actor } from '../platform/audit.js';
import { AppError, badRequest } from '../core/errors.js';
import { isCountryCode } from '../core/countries.js';

export const JOB_KINDS = ['import-stop', 'import-ioda', 'import-ooni', 'import-signal', 'outages-link'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
/** Imports take a file; linking works on the stored signal series. */
export const UPLOAD_KINDS: readonly JobKind[] = ['import-stop', 'import-ioda', 'import-ooni', 'import-signal'];
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
export const CHUNK_BYTES = 512 * 1024;

/** The permission a kind of job needs, beyond `imports:run`. */
export const JOB_PERMS: Record<JobKind, string> = {
  'import-stop': 'incidents:write',
  'import-ioda': 'incidents:write',
  'import-ooni': 'measure:write',
  'import-signal': 'outages:write',
  'outages-link': 'outages:write',
};

const SIGNAL_FORMATS = ['ioda', 'radar', 'monash', 'csv'] as const;
const Country = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as IR' });
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)');

export const NewJobSchema = z
  .object({
    kind: z.enum(JOB_KINDS),
    fileName: z.string().trim().min(1).max(255).optional(),
    size: z.number().int().min(1, 'the file is empty').max(MAX_UPLOAD_BYTES, `must be at most ${MAX_UPLOAD_BYTES} bytes`).optional(),
    /** import-signal: the file's format (detected from the content when absent) and, for region/AS series, the country. */
    format: z.enum(SIGNAL_FORMATS).optional(),
    country: Country.optional(),
    /** outages-link: which stored series, and the label of new draft incidents. */
    from: Day.optional(),
    to: Day.optional(),
    tlp: z.enum(['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER']).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const upload = UPLOAD_KINDS.includes(v.kind);
    if (upload && !v.fileName) ctx.addIssue({ code: 'custom', path: ['fileName'], message: `is required for ${v.kind}` });
    if (upload && v.size === undefined) ctx.addIssue({ code: 'custom', path: ['size'], message: `is required for ${v.kind}` });
    if (!upload && (v.fileName || v.size !== undefined)) ctx.addIssue({ code: 'custom', path: ['fileName'], message: `${v.kind} takes no file` });
    if (v.from && v.to && v.from > v.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  })
  .openapi('NewJob');
export type NewJob = z.infer<typeof NewJobSchema>;

export type JobState = 'uploading' | 'queued' | 'running' | 'done' | 'failed' | 'interrupted';
const FINAL: readonly JobState[] = ['done', 'failed', 'interrupted'];
/** On PostgreSQL, a job not touched by its server for this long was interrupted (a live server touches its jobs every HEARTBEAT_MS). */
export const STALE_AFTER_MS = 2 * 60_000;
const HEARTBEAT_MS = 30_000;
/** Progress is written to the table at most this often (state changes at once). */
const PERSIST_EVERY_MS = 1000;

export interface Job {
  id: string;
  kind: JobKind;
  state: JobState;
  fileName: string | null;
  size: number | null;
  received: number;
  /** SHA-256 of the uploaded file, once complete */
  sha256: string | null;
  phase: string;
  done: number;
  total: number;
  /** The figures at the end: what the CLI prints as its summary table. */
  summary: Record<string, unknown> | null;
  /** Reasons rows were flagged, grouped (imports of STOP/IODA), or bad lines (OONI). */
  notes: { code: string; count: number; example: string }[];
  error: string | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface JobRecord extends Job {
  orgId: string;
  actor: Actor;
  input: NewJob;
  path: string | null;
  hash: Hash | null;
  /** persistence: the last write, whether another is wanted, when the last one started */
  saving: Promise<void>;
  dirty: boolean;
  savedAt: number;
  timer: NodeJS.Timeout | null;
}

interface Registry {
  /** the jobs this process runs (unfinished, and the recently finished ones) */
  jobs: Map<string, JobRecord>;
  chain: Promise<void>;
  heartbeat: NodeJS.Timeout | null;
}
const registries = new WeakMap<Db, Registry>();
function registry(db: Db): Registry {
  let r = registries.get(db);
  if (!r) registries.set(db, (r = { jobs: new Map(), chain: Promise.resolve(), heartbeat: null }));
  return r;
}

function publicJob(j: JobRecord): Job {
  const { orgId: _o, actor: _a, input: _i, path: _p, hash: _h, saving: _s, dirty: _d, savedAt: _t, timer: _m, ...pub } = j;
  return { ...pub, notes: [...pub.notes] };
}

type Row = Record<string, unknown>;
const isoOf = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());
function jobOfRow(r: Row, interrupted: boolean): Job {
  const state = interrupted ? 'interrupted' : (r.state as JobState);
  return {
    id: r.id as string, kind: r.kind as JobKind, state, fileName: (r.file_name as string | null) ?? null, size: r.size == null ? null : Number(r.size),
    received: Number(r.received), sha256: (r.sha256 as string | null) ?? null, phase: interrupted ? 'interrupted' : (r.phase as string), done: Number(r.done), total: Number(r.total),
    summary: (r.summary as Record<string, unknown> | null) ?? null, notes: (r.notes as Job['notes'] | null) ?? [],
    error: interrupted ? `The server stopped while this job was ${r.state}; run it again.` : ((r.error as string | null) ?? null),
    createdBy: r.created_by as string, createdAt: isoOf(r.created_at)!, startedAt: isoOf(r.started_at), finishedAt: isoOf(r.finished_at),
  };
}

/** Writes the progress still waiting for its once-a-second slot (the server calls this as it stops). */
export async function flushJobs(db: Db): Promise<void> {
  const r = registries.get(db);
  if (!r) return;
  await Promise.all([...r.jobs.values()].map((j) => (j.timer || j.dirty ? persist(db, j, true) : j.saving).catch(() => undefined)));
}

/** Writes the record now (state changes) or at most once a second (progress); writes never overlap. */
function persist(db: Db, j: JobRecord, now = false): Promise<void> {
  j.dirty = true;
  const wait = PERSIST_EVERY_MS - (Date.now() - j.savedAt);
  if (!now && wait > 0) {
    // written by the next state change, or at the latest in a second
    if (!j.timer) {
      j.timer = setTimeout(() => void persist(db, j, true), wait);
      j.timer.unref();
    }
    return j.saving;
  }
  if (j.timer) clearTimeout(j.timer);
  j.timer = null;
  j.saving = j.saving.then(async () => {
    if (!j.dirty) return;
    j.dirty = false;
    j.savedAt = Date.now();
    await db
      .query(
        `insert into ops_jobs (id, org_id, kind, state, file_name, size, received, sha256, phase, done, total, summary, notes, error, created_by, created_at, started_at, finished_at, heartbeat_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14, $15, $16, $17, $18, now())
         on conflict (id) do update set state = excluded.state, received = excluded.received, sha256 = excluded.sha256, phase = excluded.phase, done = excluded.done,
           total = excluded.total, summary = excluded.summary, notes = excluded.notes, error = excluded.error, started_at = excluded.started_at,
           finished_at = excluded.finished_at, heartbeat_at = now()`,
        [j.id, j.orgId, j.kind, j.state, j.fileName, j.size, j.received, j.sha256, j.phase, j.done, j.total, j.summary ? JSON.stringify(j.summary) : null, JSON.stringify(j.notes), j.error, j.createdBy, j.createdAt, j.startedAt, j.finishedAt],
      )
      .catch(() => {
        j.dirty = true; // try again with the next change
      });
  });
  return j.saving;
}

/** While this process holds unfinished jobs, it touches them, so that other servers on PostgreSQL do not take them for interrupted. */
function keepAlive(db: Db) {
  const reg = registry(db);
  if (reg.heartbeat) return;
  reg.heartbeat = setInterval(() => {
    const live = [...reg.jobs.values()].filter((j) => !FINAL.includes(j.state)).map((j) => j.id);
    if (!live.length) {
      clearInterval(reg.heartbeat!);
      reg.heartbeat = null;
      return;
    }
    void db.query('update ops_jobs set heartbeat_at = now() where id = any($1::uuid[])', [live]).catch(() => undefined);
  }, HEARTBEAT_MS);
  reg.heartbeat.unref();
}

/** Whether a stored unfinished job belongs to no running server. */
function isInterrupted(db: Db, r: Row): boolean {
  if (FINAL.includes(r.state as JobState)) return false;
  if (registry(db).jobs.has(r.id as string)) return false;
  if (db.kind === 'pglite') return true;
  return Date.now() - new Date(r.heartbeat_at as string).getTime() > STALE_AFTER_MS;
}

/** Jobs of the actor's organisation, newest first (the last 100), live ones as this process sees them. */
export async function listJobs(db: Db, actor: Actor): Promise<Job[]> {
  const reg = registry(db);
  const rows = (await db.query<Row>('select * from ops_jobs where org_id = $1 order by created_at desc, id limit 100', [actor.orgId])).rows;
  const out = rows.map((r) => {
    const live = reg.jobs.get(r.id as string);
    return live ? publicJob(live) : jobOfRow(r, isInterrupted(db, r));
  });
  // jobs whose first write has not landed yet
  const seen = new Set(out.map((j) => j.id));
  const fresh = [...reg.jobs.values()].filter((j) => j.orgId === actor.orgId && !seen.has(j.id)).map(publicJob);
  return [...fresh.reverse(), ...out];
}

function find(db: Db, actor: Actor, id: string): JobRecord {
  const j = registry(db).jobs.get(id);
  if (!j || j.orgId !== actor.orgId) throw new AppError(404, 'not_found', 'No such job running in this server.');
  return j;
}

export async function getJob(db: Db, actor: Actor, id: string): Promise<Job> {
  const j = registry(db).jobs.get(id);
  if (j && j.orgId === actor.orgId) return publicJob(j);
  const r = (await db.query<Row>('select * from ops_jobs where id = $1 and org_id = $2', [id, actor.orgId])).rows[0];
  if (!r) throw new AppError(404, 'not_found', 'No such job.');
  return jobOfRow(r, isInterrupted(db, r));
}

export async function createJob(db: Db, actor: Actor, input: NewJob, runner: JobRunner): Promise<Job> {
  const reg = registry(db);
  const id = randomUUID();
  const upload = UPLOAD_KINDS.includes(input.kind);
  let path: string | null = null;
  if (upload) {
    path = join(tmpdir(), `stackwatch-upload-${id}`);
    closeSync(openSync(path, 'wx', 0o600));
  }
  const j: JobRecord = {
    id, kind: input.kind, state: upload ? 'uploading' : 'queued', fileName: input.fileName ?? null, size: input.size ?? null, received: 0, sha256: null,
    phase: upload ? 'uploading' : 'queued', done: 0, total: 0, summary: null, notes: [], error: null, createdBy: actor.label,
    createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, orgId: actor.orgId, actor, input, path,
    hash: upload ? createHash('sha256') : null, saving: Promise.resolve(), dirty: false, savedAt: 0, timer: null,
  };
  reg.jobs.set(id, j);
  // finished jobs are read from the table; keep the last 100 in memory
  for (const k of reg.jobs.keys()) {
    if (reg.jobs.size <= 100) break;
    const old = reg.jobs.get(k)!;
    if (FINAL.includes(old.state)) reg.jobs.delete(k);
  }
  await persist(db, j, true);
  keepAlive(db);
  if (!upload) enqueue(db, j, runner);
  return publicJob(j);
}

/** Appends a chunk of the upload at `offset` (which must be what was received so far). */
export function appendChunk(db: Db, actor: Actor, id: string, offset: number, chunk: Uint8Array): Job {
  const j = find(db, actor, id);
  if (j.state !== 'uploading' || !j.path) throw new AppError(409, 'not_uploading', `This job is ${j.state}: it takes no more data.`);
  if (offset !== j.received) throw new AppError(409, 'wrong_offset', `The upload continues at byte ${j.received}, not ${offset}.`, 'offset');
  if (j.received + chunk.byteLength > (j.size ?? 0)) throw badRequest(`The upload is larger than the announced size (${j.size} bytes).`, 'size');
  appendFileSync(j.path, chunk);
  j.hash?.update(chunk);
  j.received += chunk.byteLength;
  void persist(db, j);
  return publicJob(j);
}

/** Starts the job once its file is complete. */
export async function startJob(db: Db, actor: Actor, id: string, runner: JobRunner): Promise<Job> {
  const j = find(db, actor, id);
  if (j.state !== 'uploading') throw new AppError(409, 'already_started', `This job is already ${j.state}.`);
  if (j.received !== j.size) throw new AppError(409, 'upload_incomplete', `Received ${j.received} of ${j.size} bytes: send the rest first.`, 'size');
  j.state = 'queued';
  j.phase = 'queued';
  if (j.hash) j.sha256 = j.hash.digest('hex');
  j.hash = null;
  await persist(db, j, true);
  enqueue(db, j, runner);
  return publicJob(j);
}

/** What actually runs a job (the wings' importers, see ./runner.ts); it reports progress through `job`. */
export type JobRunner = (db: Db, job: JobHandle) => Promise<void>;
export interface JobHandle {
  kind: JobKind;
  input: NewJob;
  actor: Actor;
  orgId: string;
  path: string | null;
  fileName: string | null;
  progress(phase: string, done?: number, total?: number): void;
  finish(summary: Record<string, unknown>, notes?: Job['notes']): void;
  sha256(): string;
}

function enqueue(db: Db, j: JobRecord, runner: JobRunner) {
  const reg = registry(db);
  reg.chain = reg.chain.then(() => run(db, j, runner)).catch(() => undefined);
}

async function run(db: Db, j: JobRecord, runner: JobRunner) {
  j.state = 'running';
  j.startedAt = new Date().toISOString();
  j.phase = 'starting';
  void persist(db, j, true);
  const what = { kind: j.kind, fileName: j.fileName, size: j.size, ...(j.input.country ? { country: j.input.country } : {}), ...(j.input.from ? { from: j.input.from } : {}), ...(j.input.to ? { to: j.input.to } : {}) };
  await audit(db, j.actor, 'job.start', 'job', null, null, { id: j.id, ...what }).catch(() => undefined);
  const handle: JobHandle = {
    kind: j.kind, input: j.input, actor: j.actor, orgId: j.orgId, path: j.path, fileName: j.fileName,
    progress(phase, done, total) {
      j.phase = phase;
      if (total !== undefined) j.total = total;
      if (done !== undefined) j.done = done;
      void persist(db, j);
    },
    finish(summary, notes = []) {
      j.summary = summary;
      j.notes = notes;
    },
    sha256: () => j.sha256 ?? '',
  };
  try {
    if (j.path && statSync(j.path).size !== j.size) throw new Error('the uploaded file is incomplete');
    await runner(db, handle);
    j.state = 'done';
    j.phase = 'done';
  } catch (e) {
    j.state = 'failed';
    j.phase = 'failed';
    j.error = (e as Error).message || String(e);
  } finally {
    j.finishedAt = new Date().toISOString();
    if (j.path) rmSync(j.path, { force: true });
    await persist(db, j, true);
    await audit(db, j.actor, j.state === 'done' ? 'job.done' : 'job.failed', 'job', null, null, { id: j.id, ...what, summary: j.summary, error: j.error }).catch(() => undefined);
  }
}

/** Waits until every queued job has finished (tests, shutdown). */
export function jobsIdle(db: Db): Promise<void> {
  return registry(db).chain;
}
