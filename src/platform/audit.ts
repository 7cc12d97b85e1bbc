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
  const rows = await db.query<{ id: number; at: Date; actor_label: string; action: string; entity_type: string; entity_id: string | null; before: unknown; after: unknown }>(
    `select id::int id, at, actor_label, action, entity_type, entity_id, before, after from audit_log where ${w}
     order by id desc limit ${opts.pageSize} offset ${(opts.page - 1) * opts.pageSize}`,
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
      before: r.before,
      after: r.after,
    })),
  };
}
