import { z } from 'zod';
import type { Db, Queryable } from '../platform/db.js';
import { audit, type Actor } from '../platform/audit.js';
import { firstOrgId } from '../platform/auth.js';

/** What an organisation publishes and under which name. Without a row: its own name, and everything TLP:CLEAR. */
export const PublishSettingsSchema = z
  .object({
    publicName: z.string().trim().min(2, 'must be at least 2 characters').max(120),
    publishIncidents: z.boolean(),
    publishLaws: z.boolean(),
    publishMeasurements: z.boolean(),
    publishOutages: z.boolean(),
  })
  .strict();
export type PublishSettings = z.infer<typeof PublishSettingsSchema>;

export async function getSettings(db: Queryable, orgId: string): Promise<PublishSettings> {
  const r = (await db.query<Record<string, unknown>>(
    `select coalesce(ps.public_name, o.name) public_name, coalesce(ps.publish_incidents, true) pi, coalesce(ps.publish_laws, true) pl,
            coalesce(ps.publish_measurements, true) pm, coalesce(ps.publish_outages, true) po
       from orgs o left join publish_settings ps on ps.org_id = o.id where o.id = $1`,
    [orgId],
  )).rows[0];
  if (!r) return { publicName: 'Stackwatch', publishIncidents: true, publishLaws: true, publishMeasurements: true, publishOutages: true };
  return { publicName: r.public_name as string, publishIncidents: r.pi as boolean, publishLaws: r.pl as boolean, publishMeasurements: r.pm as boolean, publishOutages: r.po as boolean };
}

/** The organisation that runs this server (the first one): its public name heads the site. */
export async function siteSettings(db: Queryable): Promise<PublishSettings> {
  const org = await firstOrgId(db);
  return org ? getSettings(db, org) : getSettings(db, '00000000-0000-0000-0000-000000000000');
}

export async function updateSettings(db: Db, actor: Actor, input: unknown): Promise<PublishSettings> {
  const v = PublishSettingsSchema.parse(input);
  return db.transaction(async (tx) => {
    const before = await getSettings(tx, actor.orgId);
    await tx.query(
      `insert into publish_settings (org_id, public_name, publish_incidents, publish_laws, publish_measurements, publish_outages, updated_at)
       values ($1,$2,$3,$4,$5,$6, now())
       on conflict (org_id) do update set public_name = excluded.public_name, publish_incidents = excluded.publish_incidents, publish_laws = excluded.publish_laws,
         publish_measurements = excluded.publish_measurements, publish_outages = excluded.publish_outages, updated_at = now()`,
      [actor.orgId, v.publicName, v.publishIncidents, v.publishLaws, v.publishMeasurements, v.publishOutages],
    );
    await audit(tx, actor, 'publish.settings', 'publish_settings', actor.orgId, before, v);
    // writing publish_settings moves the registry's generation (src/platform/db.ts; a NOTIFY trigger on PostgreSQL),
    // so the cached public pages are rebuilt
    return v;
  });
}
