import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { mkdirSync, openSync, closeSync, writeSync, readFileSync, unlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError } from '../core/errors.js';

/**
 * The one database handle every wing uses. PostgreSQL dialect only: an embedded PGlite by default, a real
 * PostgreSQL server when DATABASE_URL is set. Write SQL that runs on PostgreSQL 15.
 * Counts and bigints: cast in SQL (`count(*)::int`) so both drivers return numbers.
 */
export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * For the embedded database only (one process owns it, see DataDirLock): a counter that moves on every write to the
   * registry's tables, so that read caches keyed on it can never serve stale results. Null on PostgreSQL, where other
   * processes may write too — unless the Db listens for the registry's change notifications (migration 0003).
   */
  readonly registryGeneration: number | null;
  /** Runs several statements (no parameters). */
  exec(text: string): Promise<void>;
  /** Runs a text of several statements without parameters and returns the rows of the last one. */
  execRows<T = Record<string, unknown>>(text: string): Promise<{ rows: T[] }>;
  /** Runs `fn` in one transaction; rolls back on throw. Keep transactions short (PGlite has one connection). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Moves the registry's write generation by hand: for a described write (TransactionOptions) whose change the caches
   * keyed on the generation alone (the public site's prepared answers, src/publish/fastpath.ts) must see.
   */
  touchRegistry(): void;
  close(): Promise<void>;
}

export interface TransactionOptions {
  /**
   * The caller describes what the transaction changed in the registry to the registry's read caches itself, once it
   * has committed (src/incidents/store.ts, `noteIncidentCreated`), so that the caches drop only the results that the
   * change can affect: the write generation does not move. Only for a transaction whose every registry write that
   * description covers; anything else must leave this unset (the generation moves, every cached result is dropped).
   */
  describedRegistryChange?: boolean;
}

const WRITE_RE = /\b(insert|update|delete|truncate|copy|drop|alter)\b/i;
/**
 * Tables whose rows the registry's cached reads (and the public site) are made of: the registry's own, the data-set
 * records behind its figures, what each organisation publishes and its name (an organisation's deletion cascades).
 * A statement that writes and names one of them moves `registryGeneration`; nothing else does (a sign-in, the job
 * queue, another wing's tables), so caches keyed on it are not emptied for nothing.
 */
const REGISTRY_RE = /\b(incidents|incident_\w+|laws|law_incidents|dataset_records|publish_settings|orgs)\b/i;
/** Whether a statement may change what the registry's cached reads return (see REGISTRY_RE). */
export function writesRegistry(text: string): boolean {
  return WRITE_RE.test(text) && REGISTRY_RE.test(text);
}
/** A plain read: one statement that starts with SELECT (or WITH) and changes nothing. */
const READ_RE = /^\s*(select|with)\b(?![\s\S]*\b(insert|update|delete|for\s+update|nextval|setval|pg_advisory)\b)/i;

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  registryGeneration = 0;
  touchRegistry() {
    this.registryGeneration++;
  }
  private noteWrite(text: string): boolean {
    if (!writesRegistry(text)) return false;
    this.registryGeneration++;
    return true;
  }
  /** Whether the single connection is in use, and who waits for it, in the order they get it (see `serial`). */
  private busy = false;
  private readonly waiting: { key: number; seq: number; write: boolean; go: () => void }[] = [];
  private seq = 0;
  private readonly fifo = process.env.STACKWATCH_BENCH_BASELINE === '1';
  constructor(
    readonly pglite: PGlite,
    private readonly lock?: DataDirLock,
    /** How far ahead of waiting reads a write goes (ms); see `serial`. */
    readonly writeLeadMs = WRITE_LEAD_MS,
  ) {}
  /**
   * PGlite has a single connection: serialise work so a transaction never interleaves with other queries.
   * Who gets the connection next: the oldest request, where a request's age is counted from its arrival (every
   * statement of one request carries its arrival time, see `withRequestTicket`), and a write (a request that changes
   * data, a statement that changes data, every transaction) counts as `writeLeadMs` older than it is. So
   *  - a request's later statements go before requests that arrived after it: a list page of three statements
   *    waits for the queue once, not three times;
   *  - a write goes before every read that arrived less than `writeLeadMs` before it, so that a crowd of readers
   *    cannot starve writers; and a read is never overtaken by a write that arrived more than `writeLeadMs` after
   *    it, so that busy writers cannot starve readers either (a time-based share, whatever the number of writers).
   * `STACKWATCH_BENCH_BASELINE=1` restores one queue of statements in arrival order (the behaviour before, kept for
   * the baseline of bench/registry-load.ts).
   */
  private async serial<T>(fn: () => Promise<T>, write = true): Promise<T> {
    if (this.busy) {
      const ticket = requestTicket.getStore();
      const isWrite = ticket ? ticket.write : write;
      const at = ticket ? ticket.at : performance.now();
      const entry: { key: number; seq: number; write: boolean; go: () => void } = { key: this.fifo ? 0 : at - (isWrite ? this.writeLeadMs : 0), seq: this.seq++, write: isWrite, go: () => undefined };
      await new Promise<void>((res) => {
        entry.go = res;
        // Sorted by (key, seq); the queue is short (one entry per request in flight), so a linear insert is enough.
        let i = this.waiting.length;
        while (i > 0 && (this.waiting[i - 1]!.key > entry.key || (this.waiting[i - 1]!.key === entry.key && this.waiting[i - 1]!.seq > entry.seq))) i--;
        this.waiting.splice(i, 0, entry);
      });
    } else this.busy = true;
    try {
      return await fn();
    } finally {
      // Hand over on the next turn of the event loop, not at once: PGlite's work resolves in microtasks, so chaining
      // straight on would keep Node from reading sockets until the queue is empty — a write request that arrives
      // while reads are queued could not even be received, let alone go first. Choosing then, not now, also lets
      // the request that just ran queue its next statement (in its microtasks) and keep its place.
      if (this.fifo) this.handOver();
      else setImmediate(this.handOver);
    }
  }
  private readonly handOver = () => {
    const next = this.waiting.shift();
    if (next) next.go();
    else this.busy = false;
  };
  /** Connection slots still waiting (reads, writes): for health checks and the load benchmark. */
  get queued(): { reads: number; writes: number } {
    const writes = this.waiting.filter((w) => w.write).length;
    return { reads: this.waiting.length - writes, writes };
  }
  /**
   * A registry write moves the generation when it is sent and once more when it is done: a read that a request
   * queued before it but under the new generation (see `serial`: an older request goes first) is then never kept.
   */
  private afterWrite<T>(wrote: boolean, p: Promise<T>): Promise<T> {
    return wrote ? p.finally(() => this.registryGeneration++) : p;
  }
  query<T>(text: string, params?: unknown[]) {
    return this.afterWrite(this.noteWrite(text), this.serial(async () => {
      const r = await this.pglite.query<T>(text, params as never[]);
      return { rows: r.rows };
    }, !READ_RE.test(text)));
  }
  exec(text: string) {
    return this.afterWrite(this.noteWrite(text), this.serial(async () => {
      await this.pglite.exec(text);
    }));
  }
  execRows<T>(text: string) {
    return this.afterWrite(this.noteWrite(text), this.serial(async () => {
      const results = await this.pglite.exec(text);
      return { rows: (results[results.length - 1]?.rows ?? []) as T[] };
    }));
  }
  transaction<T>(fn: (tx: Queryable) => Promise<T>, opts: TransactionOptions = {}) {
    // The generation moves when a statement writes the registry, and once more when such a transaction ends; a
    // transaction that writes no registry table (a sign-in, a session, another wing's rows) leaves it alone, and one
    // whose caller describes its registry change to the caches itself (TransactionOptions) leaves it to the caller.
    const described = opts.describedRegistryChange === true;
    let wrote = false;
    return this.serial(() =>
      this.pglite.transaction(async (tx) =>
        fn({
          query: async <R>(text: string, params?: unknown[]) => {
            if (!described && this.noteWrite(text)) wrote = true;
            return { rows: (await tx.query<R>(text, params as never[])).rows };
          },
        }).finally(() => {
          if (wrote) this.registryGeneration++;
        }),
      ),
    );
  }
  async close() {
    // Behind every query already queued (as a read, so queued writes go first too).
    await this.serial(() => this.pglite.close(), false);
    this.lock?.release();
  }
}

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  /** Null (no caching) until a listener for registry changes is connected, and again if it is lost. */
  registryGeneration: number | null = null;
  private listener: pg.Client | null = null;
  /**
   * Backend process ids of this pool's connections: a change notification from one of them is our own write, which
   * moved the generation already (or was described to the caches, see TransactionOptions).
   */
  private readonly ownBackends = new Set<number>();
  constructor(
    readonly pool: pg.Pool,
    private readonly connectionString: string,
    /**
     * Connections for transactions (the writes) apart from the pool that single statements (the reads) share, so
     * that a write never waits for a connection behind a crowd of readers (and the readers keep theirs while writes
     * wait on each other's commits).
     */
    readonly txPool: pg.Pool = pool,
  ) {
    const pidOf = (c: pg.PoolClient) => (c as unknown as { processID: number | null }).processID;
    for (const p of new Set([pool, txPool])) {
      p.on('connect', (c) => {
        const pid = pidOf(c);
        if (pid != null) this.ownBackends.add(pid);
      });
      p.on('remove', (c) => {
        const pid = pidOf(c);
        if (pid != null) this.ownBackends.delete(pid);
      });
    }
  }

  /**
   * Listens for the registry's change notifications (sent by triggers, whichever process writes) and moves the
   * generation on each, so cached reads are dropped within milliseconds of another process's commit. Our own writes
   * move it at once, before the notification arrives.
   */
  async listenForRegistryChanges(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    const lost = () => {
      this.registryGeneration = null;
      this.listener = null;
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => {
      if (this.ownBackends.has(msg.processId)) return;
      if (this.registryGeneration !== null) this.registryGeneration++;
    });
    await client.connect();
    await client.query('listen stackwatch_registry');
    this.listener = client;
    this.registryGeneration = 0;
  }
  touchRegistry() {
    if (this.registryGeneration !== null) this.registryGeneration++;
  }
  private noteWrite(text: string): boolean {
    if (!writesRegistry(text)) return false;
    if (this.registryGeneration !== null) this.registryGeneration++;
    return true;
  }
  /** Moves the generation again once a registry write is done: a read that ran beside it is then never kept. */
  private afterWrite<T>(wrote: boolean, p: Promise<T>): Promise<T> {
    return wrote ? p.finally(() => {
      if (this.registryGeneration !== null) this.registryGeneration++;
    }) : p;
  }
  async query<T>(text: string, params?: unknown[]) {
    const r = await this.afterWrite(this.noteWrite(text), this.pool.query(text, params));
    return { rows: r.rows as T[] };
  }
  async exec(text: string) {
    await this.afterWrite(this.noteWrite(text), this.pool.query(text));
  }
  async execRows<T>(text: string) {
    const r = (await this.afterWrite(this.noteWrite(text), this.pool.query(text))) as unknown as pg.QueryResult | pg.QueryResult[];
    const last = Array.isArray(r) ? r[r.length - 1] : r;
    return { rows: (last?.rows ?? []) as T[] };
  }
  async transaction<T>(fn: (tx: Queryable) => Promise<T>, opts: TransactionOptions = {}) {
    const described = opts.describedRegistryChange === true;
    const client = await this.txPool.connect();
    let wrote = false;
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R>(t: string, p?: unknown[]) => {
          if (!described && this.noteWrite(t)) wrote = true;
          return { rows: (await client.query(t, p)).rows as R[] };
        },
      });
      await client.query('COMMIT');
      // After the commit too: a read that ran between the statement and the commit saw the old rows.
      if (wrote && this.registryGeneration !== null) this.registryGeneration++;
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }
  async close() {
    const l = this.listener;
    this.registryGeneration = null;
    this.listener = null;
    if (l) {
      l.removeAllListeners('end');
      await l.end().catch(() => undefined);
    }
    // both pools end even if one fails to; the first failure is then reported
    const ended = await Promise.allSettled([this.pool.end(), this.txPool !== this.pool ? this.txPool.end() : undefined]);
    const failed = ended.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

// Return int8 and numeric as JS numbers on node-postgres too (PGlite does the same), timestamps as Date.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/** An exclusive lock on an embedded data directory: a second process gets a clear error instead of corrupting it. */
export class DataDirLock {
  private constructor(private readonly path: string) {}
  static acquire(dir: string): DataDirLock {
    const path = join(dir, 'stackwatch.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new DataDirLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number(readFileSync(path, 'utf8').trim());
        if (pid && pid !== process.pid && isAlive(pid)) {
          throw new AppError(
            409,
            'data_dir_locked',
            `The data directory ${dir} is in use by another Stackwatch process (pid ${pid}). Stop it first, or point STACKWATCH_DATA_DIR elsewhere.`,
          );
        }
        if (pid === process.pid) throw new AppError(409, 'data_dir_locked', `The data directory ${dir} is already open in this process.`);
        unlinkSync(path); // stale lock from a process that died
      }
    }
    throw new AppError(409, 'data_dir_locked', `Could not lock ${dir}.`);
  }
  release() {
    try {
      if (existsSync(this.path) && readFileSync(this.path, 'utf8').trim() === String(process.pid)) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Starts listening for registry changes on PostgreSQL (after migrations created the triggers); no-op on PGlite. */
export async function enableRegistryCache(db: Db): Promise<void> {
  if (db instanceof PostgresDb) await db.listenForRegistryChanges();
}

/**
 * While a running server executes a command sent by the local CLI (src/ops/remote.ts), `openDb` lends that
 * command the server's own handle instead of opening the data directory a second time (which the lock forbids).
 * Closing a lent handle does nothing: the server keeps it.
 */
const lent = new AsyncLocalStorage<Db>();

/**
 * A request's place in the embedded database's queue: when it arrived, and whether it is a write (a person waiting to
 * see something saved, from its first read to its commit). Every statement of the request waits with that place.
 * See PgliteDb.serial.
 */
const requestTicket = new AsyncLocalStorage<{ at: number; write: boolean }>();
/** Default lead of a write over waiting reads on the embedded database (ms); STACKWATCH_WRITE_LEAD_MS changes it. */
const WRITE_LEAD_MS = Number(process.env.STACKWATCH_WRITE_LEAD_MS ?? 250);
/** Runs a write request: all of its statements go before reads that arrived up to the write lead before it. */
export function withWritePriority<T>(fn: () => Promise<T>): Promise<T> {
  return requestTicket.run({ at: performance.now(), write: true }, fn);
}
/** Runs a read request: all of its statements keep the place of its arrival in the queue. */
export function withRequestTicket<T>(fn: () => Promise<T>): Promise<T> {
  return requestTicket.run({ at: performance.now(), write: false }, fn);
}
export function withLentDb<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  return lent.run(db, fn);
}
/** Whether this code runs for a command that a server lent its handle to. */
export function runsOnLentDb(): boolean {
  return lent.getStore() !== undefined;
}
/** The server's own handle while a command runs for the local CLI (src/ops/remote.ts), else undefined. */
export function lentDb(): Db | undefined {
  return lent.getStore();
}
function lentHandle(db: Db): Db {
  return {
    get kind() {
      return db.kind;
    },
    get registryGeneration() {
      return db.registryGeneration;
    },
    query: (t, p) => db.query(t, p),
    exec: (t) => db.exec(t),
    execRows: (t) => db.execRows(t),
    // Not described: the registry's caches are kept per handle object (the server's), so a change made through a
    // lent handle moves the generation that they share instead.
    transaction: (fn) => db.transaction(fn),
    touchRegistry: () => db.touchRegistry(),
    close: async () => undefined,
  };
}

export interface OpenOptions {
  /** postgres://… for a real server; otherwise the embedded database. */
  databaseUrl?: string;
  /** Data directory for the embedded database; `memory://` or undefined for an in-memory one (tests). */
  dataDir?: string;
  /** Embedded database: how far ahead of waiting reads a write goes, in ms (default 250; see PgliteDb.serial). */
  writeLeadMs?: number;
}

export async function openDb(opts: OpenOptions): Promise<Db> {
  const borrowed = lent.getStore();
  if (borrowed) return lentHandle(borrowed);
  if (opts.databaseUrl) {
    const size = Math.max(2, Number(process.env.STACKWATCH_PG_POOL) || 20);
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: size });
    // Transactions get their own connections: half the pool's size again (at least 4; STACKWATCH_PG_TX_POOL).
    const txPool = new pg.Pool({ connectionString: opts.databaseUrl, max: Math.max(2, Number(process.env.STACKWATCH_PG_TX_POOL) || Math.max(4, Math.ceil(size / 2))) });
    // An idle connection that the server drops (restart, admin command) must not crash the process: the pool
    // replaces it on the next query.
    pool.on('error', () => undefined);
    txPool.on('error', () => undefined);
    // Constructed before the first connection, so that it knows every backend of its pools (see ownBackends).
    const db = new PostgresDb(pool, opts.databaseUrl, txPool);
    await pool.query('select 1');
    return db;
  }
  if (!opts.dataDir || opts.dataDir === 'memory://') {
    return new PgliteDb(await PGlite.create(), undefined, opts.writeLeadMs);
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const lock = DataDirLock.acquire(opts.dataDir);
  try {
    const pglite = await PGlite.create({ dataDir: join(opts.dataDir, 'pg') });
    return new PgliteDb(pglite, lock, opts.writeLeadMs);
  } catch (e) {
    lock.release();
    throw e;
  }
}
