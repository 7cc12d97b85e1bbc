import type { Queryable } from './db.js';
import type { Role } from '../core/taxonomy.js';

/** Who does something: a signed-in user, a user acting through an API token, or the system itself. */
export interface Actor {
  userId: string | null;
  label: string;
  orgId: string;
  role: Role;
  /** Scopes of the API token used, or null for a console session (all the role allows). */
  scopes?: string[] | null;
}

/** Appends one entry to the audit log. Call it inside the transaction that makes the change. */
export async function audit(
  tx: Queryable,
  actor: Actor,
  action: string,
  entityType: string,
  entityId: string | null,
  before: unknown,
  after: unknown,
): Promise<void> {
  await tx.query(
    `insert into audit_log (actor_user_id, actor_label, org_id, action, entity_type, entity_id, before, after)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [actor.userId, actor.label, actor.orgId, action, entityType, entityId, before == null ? null : JSON.stringify(before), after == null ? null : JSON.stringify(after)],
  );
}

export interface AuditEntry {
  id: number;
  at: string;
  actorLabel: string;
  action: string;
  entityType: string;
  entityId: string | null;
  /** The entity's name when it still exists (user e-mail, incident or law title, token name). */
  entityLabel?: string | null;
  before: unknown;
  after: unknown;
}

export async function listAudit(
  db: Queryable,
  orgId: string,
  opts: { page: number; pageSize: number; entityType?: string; action?: string },
): Promise<{ items: AuditEntry[]; total: number }> {
  const where = ['(org_id = $1 or org_id is null)'];
  const params: unknown[] = [orgId];
  if (opts.entityType) {
    params.push(opts.entityType);
    where.push(`entity_type = $${params.length}`);
  }
  if (opts.action) {
    params.push(opts.action);
    where.push(`action = $${params.length}`);
  }
  const w = where.join(' and ');
  const total = (await db.query<{ n: number }>(`select count(*)::int n from audit_log where ${w}`, params)).rows[0]?.n ?? 0;
  // What the entry is about, by name rather than id (a user's e-mail, an incident's or law's title, a token's name).
  const rows = await db.query<{ id: number; at: Date; actor_label: string; action: string; entity_type: string; entity_id: string | null; entity_label: string | null; before: unknown; after: unknown }>(
    `select a.id::int id, a.at, a.actor_label, a.action, a.entity_type, a.entity_id, a.before, a.after,
       case a.entity_type
         when 'user' then (select u.email from users u where u.id::text = a.entity_id::text)
         when 'incident' then (select i.title from incidents i where i.id::text = a.entity_id::text)
         when 'law' then (select l.title from laws l where l.id::text = a.entity_id::text)
         when 'api_token' then (select t.name from api_tokens t where t.id::text = a.entity_id::text)
       end as entity_label
     from (select * from audit_log where ${w} order by id desc limit ${opts.pageSize} offset ${(opts.page - 1) * opts.pageSize}) a
     order by a.id desc`,
    params,
  );
  return {
    total,
    items: rows.rows.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      actorLabel: r.actor_label,
      action: r.action,
      entityType: r.entity_type,
      entityId: r.entity_id,
      entityLabel: r.entity_label,
      before: r.before,
      after: r.after,
    })),
  };
}
