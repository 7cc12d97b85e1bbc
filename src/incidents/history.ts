import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/log.js';
import { loadHistory } from './import/service.js';
import { loadStarterLaws } from './laws-seed.js';
import { systemActor } from '../platform/auth.js';

/** Loads the shipped STOP and IODA data and the starter laws into the registry on first start; later starts skip it. */
export async function loadHistoryOnce(db: Db, orgId: string, seedDir: string, log: Logger): Promise<{ loaded: boolean; summary?: unknown }> {
  const done = (await db.query<{ value: unknown }>("select value from settings where key = 'history_loaded'")).rows[0];
  if (done) return { loaded: false };
  log.info('loading the real history (Access Now STOP, IODA) — first start only');
  const summary: Record<string, unknown> = { ...(await loadHistory(db, orgId, seedDir)) };
  // The starter laws (seed/laws/), linked to the incidents just loaded where their rules say so.
  summary.laws = await loadStarterLaws(db, { ...(await systemActor(db)), orgId, label: 'system (starter laws)' }, seedDir);
  await db.query("insert into settings (key, value) values ('history_loaded', $1) on conflict (key) do nothing", [JSON.stringify({ at: new Date().toISOString() })]);
  return { loaded: true, summary };
}
