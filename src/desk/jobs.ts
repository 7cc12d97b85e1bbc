/**
 * The desk's scheduled jobs on the platform's pg-boss queue: service targets every minute, grant deadlines every
 * hour, retention every night. Each handler takes the clock from `now()`, so tests drive them with a fixed time.
 */
import type { Db } from '../platform/db.js';
import type { JobQueue } from '../platform/jobs.js';
import type { Logger } from '../platform/log.js';
import { grantDeadlines, retentionTick, slaTick } from './service.js';

export const DESK_QUEUES = { sla: 'desk-sla', grants: 'desk-grant-deadlines', retention: 'desk-retention' } as const;

export async function startDeskJobs(queue: JobQueue, db: Db, log: Logger, now: () => Date = () => new Date()): Promise<void> {
  await queue.work(DESK_QUEUES.sla, async () => {
    const r = await slaTick(db, now(), log);
    if (r.warned || r.escalated) log.info('desk service targets', r);
  });
  await queue.work(DESK_QUEUES.grants, async () => {
    await grantDeadlines(db, now(), log);
  });
  await queue.work(DESK_QUEUES.retention, async () => {
    const r = await retentionTick(db, now());
    if (r.destroyed) log.info('desk retention', r);
  });
  await queue.schedule(DESK_QUEUES.sla, '* * * * *');
  await queue.schedule(DESK_QUEUES.grants, '7 * * * *');
  await queue.schedule(DESK_QUEUES.retention, '17 3 * * *');
}
