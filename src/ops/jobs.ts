/**
 * Long work started from the console, run inside the server: imports of an uploaded file (Access Now STOP workbook,
 * IODA investigated-outages CSV, OONI measurement JSONL, connectivity-signal file) and outage linking. The console
 * uploads a file in chunks, starts the job and polls its status (phase, done/total, summary).
 *
 * Jobs run one at a time, so that an import never competes with another for the embedded database's single
 * connection; each import keeps its own all-or-nothing batches, so a failed job leaves whole batches only, as the CLI
 * does. Job status lives in the server's memory (the import runs and the audit log keep the durable record): after a
 * restart the list starts empty. Starting and finishing a job are audited with who did it.
 */
import { randomUUID, createHash } from 'node:crypto';
import { appendFileSync, closeSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
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

export type JobState = 'uploading' | 'queued' | 'running' | 'done' | 'failed';

export interface Job {
  id: string;
  kind: JobKind;
  state: JobState;
  fileName: string | null;
  size: number | null;
  received: number;
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
}

interface Registry {
  jobs: Map<string, JobRecord>;
  chain: Promise<void>;
}
const registries = new WeakMap<Db, Registry>();
function registry(db: Db): Registry {
  let r = registries.get(db);
  if (!r) registries.set(db, (r = { jobs: new Map(), chain: Promise.resolve() }));
  return r;
}

function publicJob(j: JobRecord): Job {
  const { orgId: _o, actor: _a, input: _i, path: _p, ...pub } = j;
  return { ...pub, notes: [...pub.notes] };
}

/** Jobs of the actor's organisation, newest first (at most the last 100 are kept). */
export function listJobs(db: Db, actor: Actor): Job[] {
  return [...registry(db).jobs.values()].filter((j) => j.orgId === actor.orgId).reverse().map(publicJob);
}

function find(db: Db, actor: Actor, id: string): JobRecord {
  const j = registry(db).jobs.get(id);
  if (!j || j.orgId !== actor.orgId) throw new AppError(404, 'not_found', 'No such job (jobs are kept in memory until the server restarts).');
  return j;
}

export function getJob(db: Db, actor: Actor, id: string): Job {
  return publicJob(find(db, actor, id));
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
    id, kind: input.kind, state: upload ? 'uploading' : 'queued', fileName: input.fileName ?? null, size: input.size ?? null, received: 0,
    phase: upload ? 'uploading' : 'queued', done: 0, total: 0, summary: null, notes: [], error: null, createdBy: actor.label,
    createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, orgId: actor.orgId, actor, input, path,
  };
  reg.jobs.set(id, j);
  // keep the last 100
  for (const k of reg.jobs.keys()) {
    if (reg.jobs.size <= 100) break;
    const old = reg.jobs.get(k)!;
    if (old.state === 'done' || old.state === 'failed') reg.jobs.delete(k);
  }
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
  j.received += chunk.byteLength;
  return publicJob(j);
}

/** Starts the job once its file is complete. */
export async function startJob(db: Db, actor: Actor, id: string, runner: JobRunner): Promise<Job> {
  const j = find(db, actor, id);
  if (j.state !== 'uploading') throw new AppError(409, 'already_started', `This job is already ${j.state}.`);
  if (j.received !== j.size) throw new AppError(409, 'upload_incomplete', `Received ${j.received} of ${j.size} bytes: send the rest first.`, 'size');
  j.state = 'queued';
  j.phase = 'queued';
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
  const what = { kind: j.kind, fileName: j.fileName, size: j.size, ...(j.input.country ? { country: j.input.country } : {}), ...(j.input.from ? { from: j.input.from } : {}), ...(j.input.to ? { to: j.input.to } : {}) };
  await audit(db, j.actor, 'job.start', 'job', null, null, { id: j.id, ...what }).catch(() => undefined);
  const handle: JobHandle = {
    kind: j.kind, input: j.input, actor: j.actor, orgId: j.orgId, path: j.path, fileName: j.fileName,
    progress(phase, done, total) {
      j.phase = phase;
      if (total !== undefined) j.total = total;
      if (done !== undefined) j.done = done;
    },
    finish(summary, notes = []) {
      j.summary = summary;
      j.notes = notes;
    },
    sha256: () => (j.path ? createHash('sha256').update(readFileSync(j.path)).digest('hex') : ''),
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
    await audit(db, j.actor, j.state === 'done' ? 'job.done' : 'job.failed', 'job', null, null, { id: j.id, ...what, summary: j.summary, error: j.error }).catch(() => undefined);
  }
}

/** Waits until every queued job has finished (tests, shutdown). */
export function jobsIdle(db: Db): Promise<void> {
  return registry(db).chain;
}
