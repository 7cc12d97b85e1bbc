import { serve, type ServerType } from '@hono/node-server';
import { join, resolve } from 'node:path';
import { createServer as createHttpServer, type RequestListener, type ServerOptions as HttpServerOptions } from 'node:http';
import { enableRegistryCache, openDb, type Db } from './platform/db.js';
import { migrate } from './platform/migrate.js';
import { bootstrapAdmin } from './platform/auth.js';
import { createLogger, silentLogger, type Logger } from './platform/log.js';
import { JobQueue } from './platform/jobs.js';
import { buildApp } from './app.js';
import { bindLedger, closeLedgerFor } from './ledger/engine.js';
import { loadConfig, type Config } from './platform/config.js';
import { loadHistoryOnce } from './incidents/history.js';
import { startCliSocket, type CliSocket } from './ops/remote.js';
import { startDeskJobs } from './desk/jobs.js';
import { configureAlerts, startAlerts } from './publish/alerts.js';
import { startLiveSources } from './outages/live.js';
import { flushJobs } from './ops/jobs.js';
import { bindSnapshotStore, startSnapshots } from './publish/snapshot.js';
import { publicFastPath } from './publish/fastpath.js';

export interface ServerOptions extends Partial<Config> {
  quiet?: boolean;
  log?: Logger;
  /** Start the job queue (on by default; tests that do not need it may turn it off). */
  jobs?: boolean;
  webDir?: string;
  /** Serve the local CLI over a Unix socket in the data directory (embedded database only; on by default). */
  cliSocket?: boolean;
  /** How long close() waits for requests in flight before it closes their connections (default 10 s). */
  closeGraceMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  db: Db;
  jobs: JobQueue | null;
  admin: { email: string; generatedPassword?: string; created: boolean };
  history: { loaded: boolean; summary?: unknown; ms: number };
  close(): Promise<void>;
}

/** Opens the database, migrates, creates the first admin, loads the real history once, and serves the app. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const { quiet, log: givenLog, jobs: withJobs = true, webDir, cliSocket: withCliSocket = true, closeGraceMs = 10_000, ...overrides } = options;
  const cfg = loadConfig(options.quiet ? {} : process.env, overrides);
  const log = givenLog ?? (quiet ? silentLogger : createLogger(cfg.logLevel));
  const dataDir = cfg.dataDir === 'memory://' ? 'memory://' : resolve(cfg.dataDir);
  const db = await openDb({ databaseUrl: cfg.databaseUrl, dataDir });
  bindLedger(db, { dataDir, clickhouseUrl: options.quiet ? undefined : process.env.LEDGER_CLICKHOUSE_URL });
  let server: ServerType | null = null;
  let jobs: JobQueue | null = null;
  let cliSocket: CliSocket | null = null;
  try {
    await migrate(db);
    await enableRegistryCache(db);
    const admin = await bootstrapAdmin(db, { email: cfg.adminEmail, password: cfg.adminPassword });
    const t0 = performance.now();
    const history = cfg.loadHistory ? await loadHistoryOnce(db, admin.orgId, cfg.seedDir, log) : { loaded: false };
    const historyMs = Math.round(performance.now() - t0);
    if (withJobs) {
      jobs = new JobQueue(db, log);
      await jobs.start();
      await startDeskJobs(jobs, db, log);
      await startLiveSources(jobs, db, log);
    }
    const alerts = configureAlerts({ db, jobs, log, baseUrl: cfg.publicUrl, smtpUrl: process.env.STACKWATCH_SMTP_URL, mailFrom: process.env.STACKWATCH_MAIL_FROM });
    await startAlerts(alerts);
    const snapDir = process.env.STACKWATCH_SNAPSHOT_DIR || (dataDir === 'memory://' ? '' : join(dataDir, 'snapshots'));
    if (snapDir) bindSnapshotStore(db, { dir: resolve(snapDir), keep: Number(process.env.STACKWATCH_SNAPSHOT_KEEP ?? 10) });
    if (jobs) await startSnapshots(jobs, db, log);
    const app = buildApp({ db, log, secureCookies: cfg.publicUrl?.startsWith('https:') ?? false, webDir, trustedProxies: cfg.trustedProxies });
    const port = await new Promise<number>((res, rej) => {
      // Cached public answers are written from the fast path, before the request reaches the app (publish/fastpath.ts).
      const createServer = ((o: HttpServerOptions, listener: RequestListener) => createHttpServer(o, publicFastPath(db, listener))) as never;
      server = serve({ fetch: app.fetch, port: cfg.port, hostname: cfg.host, createServer }, (info) => res(info.port));
      server.on('error', rej);
    });
    if (withCliSocket && db.kind === 'pglite' && dataDir !== 'memory://') {
      const { main } = await import('./cli.js');
      cliSocket = await startCliSocket({ db, dataDir, log, run: main });
    }
    const url = `http://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${port}`;
    if (!cfg.publicUrl) alerts.baseUrl = url;
    log.info('stackwatch listening', { url, database: db.kind });
    let closing: Promise<void> | null = null;
    return {
      url,
      port,
      db,
      jobs,
      admin,
      history: { ...history, ms: historyMs },
      close: () =>
        (closing ??= (async () => {
          // Stop taking connections, let in-flight requests finish, then close the queue and the database.
          await cliSocket?.close();
          await new Promise<void>((res) => {
            if (!server) return res();
            const s = server as unknown as { close(cb: () => void): void; closeAllConnections?: () => void };
            // A request still open after the grace period (a stalled client, a stream nobody reads) is cut, so that
            // stopping the server never waits on a client.
            const cut = setTimeout(() => s.closeAllConnections?.(), closeGraceMs);
            s.close(() => {
              clearTimeout(cut);
              res();
            });
          });
          await jobs?.stop();
          await flushJobs(db);
          await closeLedgerFor(db);
          await db.close();
          log.info('stackwatch stopped');
        })()),
    };
  } catch (e) {
    await cliSocket?.close().catch(() => undefined);
    await jobs?.stop().catch(() => undefined);
    await closeLedgerFor(db).catch(() => undefined);
    await db.close().catch(() => undefined);
    throw e;
  }
}
