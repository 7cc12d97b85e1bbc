/** Runs console jobs with the same functions the CLI commands use (see ./jobs.ts). */
import { readFileSync } from 'node:fs';
import type { Db } from '../platform/db.js';
import type { JobHandle, JobRunner } from './jobs.js';
import { importIodaOutages, importStop } from '../incidents/import/service.js';
import type { ImportSummary } from '../incidents/import/model.js';
import { importJsonl } from '../measure/analysis/store.js';
import { parseSignalText } from '../outages/signals/index.js';
import { checkStorable, importSeries, loadSeries } from '../outages/store.js';
import { detect } from '../outages/detect/index.js';
import { defaultConfig } from '../outages/detect/config.js';
import { linkEvents, saveEvents } from '../outages/link.js';

function registrySummary(job: JobHandle, s: ImportSummary) {
  const groups = new Map<string, { count: number; example: string }>();
  for (const f of s.flags) {
    const g = groups.get(f.code);
    if (g) g.count++;
    else groups.set(f.code, { count: 1, example: `${f.sheet ? `${f.sheet} ` : ''}row ${f.row}: ${f.reason}`.slice(0, 200) });
  }
  job.finish(
    { rowsRead: s.rowsRead, imported: s.imported, merged: s.merged, unchanged: s.unchanged, flagged: s.flagged, skipped: s.skipped, perSheet: s.perSheet },
    [...groups.entries()].sort((a, b) => b[1].count - a[1].count).map(([code, g]) => ({ code, ...g })),
  );
}

export const runJob: JobRunner = async (db: Db, job: JobHandle) => {
  const onProgress = (done: number, total: number) => job.progress('importing', done, total);
  const opts = { orgId: job.orgId, actorLabel: job.actor.label, onProgress };
  switch (job.kind) {
    case 'import-stop':
      job.progress('reading the workbook');
      return registrySummary(job, await importStop(db, job.path!, opts));
    case 'import-ioda':
      job.progress('reading the file');
      return registrySummary(job, await importIodaOutages(db, job.path!, opts));
    case 'import-ooni': {
      job.progress('reading measurements');
      const r = await importJsonl(db, readFileSync(job.path!, 'utf8'), job.fileName ?? 'upload.jsonl', { actor: job.actor, onProgress });
      job.finish(
        { lines: r.lines, imported: r.imported, alreadyStored: r.duplicates, bad: r.problems.length },
        r.problems.slice(0, 20).map((p) => ({ code: `line ${p.line}`, count: 1, example: p.message.slice(0, 200) })),
      );
      return;
    }
    case 'import-signal': {
      job.progress('reading the signal file');
      const parsed = parseSignalText(readFileSync(job.path!, 'utf8'), { ...(job.input.format ? { format: job.input.format } : {}), ...(job.input.country ? { country: job.input.country } : {}) });
      if (!parsed.series.length) throw new Error(`${job.fileName} holds no signal series (labelled events belong to "outages evaluate --labels")`);
      checkStorable(parsed.series);
      job.progress('storing series', 0, parsed.series.length);
      const r = await importSeries(db, parsed.series, { fileName: job.fileName ?? 'upload', sha256: job.sha256(), format: parsed.format });
      job.progress('stored', parsed.series.length, parsed.series.length);
      job.finish({ format: parsed.format, series: r.series, points: r.points, seriesDays: r.days });
      return;
    }
    case 'outages-link': {
      job.progress('loading stored series');
      const toSec = (d: string | undefined, end = false) => (d ? Math.floor(Date.parse(`${d}T00:00:00Z`) / 1000) + (end ? 86_400 : 0) : undefined);
      const series = await loadSeries(db, { country: job.input.country, from: toSec(job.input.from), to: toSec(job.input.to, true) });
      if (!series.length) throw new Error('No stored signal series match: import a signal file first (kind import-signal, or "stackwatch outages import").');
      job.progress('detecting', 0, series.length);
      const d = detect(series, defaultConfig(), { trace: true });
      job.progress('saving events', 0, d.events.length);
      const saved = await saveEvents(db, d.events, { source: 'store', perSeries: d.perSeries });
      job.progress('linking to incidents', 0, saved.length);
      const links = await linkEvents(db, saved.map((s) => s.event), { actor: job.actor, tlp: job.input.tlp ?? 'TLP:GREEN' });
      const actions: Record<string, number> = {};
      for (const l of links) if (l) actions[l.action] = (actions[l.action] ?? 0) + 1;
      job.progress('done', saved.length, saved.length);
      job.finish({ series: series.length, events: d.events.length, newEvents: saved.filter((s) => s.created).length, ...actions });
      return;
    }
  }
};
