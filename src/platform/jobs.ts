import PgBoss from 'pg-boss';
import type { Db } from './db.js';
import type { Logger } from './log.js';

/**
 * The in-process job queue: pg-boss on the same database handle (PGlite or PostgreSQL), so jobs survive restarts
 * and need no extra service. Wings register handlers with `work` and enqueue with `send`; schedules use cron.
 */
export class JobQueue {
  private boss: PgBoss | null = null;
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const db = this.db;
    this.boss = new PgBoss({
      db: { executeSql: (text: string, values?: unknown[]) => (values && values.length ? db.query(text, values) : db.execRows(text)) },
      schema: 'pgboss',
      supervise: true,
      schedule: true,
      migrate: true,
    } as never);
    this.boss.on('error', (e: Error) => this.log.error('job queue error', { err: e }));
    await this.boss.start();
  }

  private get b(): PgBoss {
    if (!this.boss) throw new Error('The job queue has not been started.');
    return this.boss;
  }

  async send(queue: string, data: object, options: { retryLimit?: number; singletonKey?: string } = {}): Promise<string | null> {
    await this.b.createQueue(queue).catch(() => undefined);
    return this.b.send(queue, data, { retryLimit: 3, retryBackoff: true, ...options });
  }

  async work<T extends object>(queue: string, handler: (data: T) => Promise<void>): Promise<void> {
    await this.b.createQueue(queue).catch(() => undefined);
    await this.b.work<T>(queue, { pollingIntervalSeconds: 1 }, async (jobs: PgBoss.Job<T>[]) => {
      for (const job of jobs) await handler(job.data);
    });
  }

  async schedule(queue: string, cron: string, data: object = {}): Promise<void> {
    await this.b.createQueue(queue).catch(() => undefined);
    await this.b.schedule(queue, cron, data);
  }

  async stop(): Promise<void> {
    if (this.boss) await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    this.boss = null;
  }
}
