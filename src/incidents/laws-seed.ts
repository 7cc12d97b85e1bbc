import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Db } from '../platform/db.js';
import type { Actor } from '../platform/audit.js';
import { INCIDENT_TYPES } from '../core/taxonomy.js';
import { LawInputSchema } from './model.js';
import { createLaw } from './service.js';

/**
 * The starter set of laws (seed/laws/starter-laws.json): real laws the shipped incidents and the field's reports refer
 * to, written by the project from public sources. Loaded on first start with the history; each law is linked to the
 * shipped incidents its `links` rules select (country, types, source, dates), and nowhere else.
 */
const LinkRule = z
  .object({
    types: z.array(z.enum(INCIDENT_TYPES)).min(1),
    origin: z.string().max(40).optional(),
    from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
    to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
    reason: z.string().min(10),
  })
  .strict();
const SeedFile = z.object({
  about: z.string(),
  licence: z.string(),
  laws: z.array(z.object({ links: z.array(LinkRule).default([]) }).passthrough()).min(1),
});

export const STARTER_LAWS_FILE = 'laws/starter-laws.json';

export async function loadStarterLaws(db: Db, actor: Actor, seedDir: string): Promise<{ created: number; skipped: number; links: number }> {
  const file = SeedFile.parse(JSON.parse(await readFile(join(seedDir, STARTER_LAWS_FILE), 'utf8')));
  let created = 0;
  let skipped = 0;
  let links = 0;
  for (const raw of file.laws) {
    const { links: rules, ...rest } = raw;
    const input = LawInputSchema.parse(rest);
    const exists = await db.query('select 1 from laws where org_id = $1 and country = $2 and title = $3', [actor.orgId, input.country, input.title]);
    if (exists.rows.length) {
      skipped++;
      continue;
    }
    const law = await createLaw(db, actor, input);
    created++;
    for (const rule of rules) {
      const p: unknown[] = [law.id, actor.orgId, input.country, rule.types, rule.origin ?? null, rule.from ?? null, rule.to ?? null];
      const r = await db.query(
        `insert into law_incidents (law_id, incident_id)
         select $1, i.id from incidents i
          where i.org_id = $2 and i.country = $3 and i.type = any($4::text[]) and i.merged_into is null and i.start_at is not null
            and ($5::text is null or i.origin = $5) and ($6::date is null or i.start_at >= $6::date) and ($7::date is null or i.start_at < $7::date)
         on conflict do nothing returning incident_id`,
        p,
      );
      links += r.rows.length;
      if (r.rows.length) {
        await db.query(
          `insert into audit_log (actor_label, org_id, action, entity_type, entity_id, after) values ($1, $2, 'law.link', 'law', $3, $4::jsonb)`,
          [actor.label, actor.orgId, law.id, JSON.stringify({ rule, incidents: r.rows.length })],
        );
      }
    }
  }
  return { created, skipped, links };
}
