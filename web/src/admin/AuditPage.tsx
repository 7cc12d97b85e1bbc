import type { AuditEntry, Page } from '../api/types.js';
import { useI18n } from '../i18n/index.js';
import { Field, Loaded, Pager } from '../ui/components.js';
import { useListParams } from '../ui/list.js';
import { useApi } from '../ui/useApi.js';

function json(v: unknown): string {
  return v === null || v === undefined ? '—' : JSON.stringify(v, null, 2);
}

export function AuditPage() {
  const { t, date } = useI18n();
  const { params, setFilter, setPage } = useListParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const entityType = params.get('entityType') ?? '';
  const action = params.get('action') ?? '';
  const res = useApi<Page<AuditEntry>>('/api/admin/audit', { page, pageSize: 50, entityType, action });

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('admin.audit')}</h1>
      </div>
      <p className="muted">{t('ops.audit.signIns')}</p>
      <form className="filters card" onSubmit={(e) => e.preventDefault()}>
        <Field label={t('admin.auditEntityType')}>
          {(p) => <input {...p} name="entityType" defaultValue={entityType} onBlur={(e) => setFilter('entityType', e.target.value.trim())} onKeyDown={(e) => e.key === 'Enter' && setFilter('entityType', e.currentTarget.value.trim())} />}
        </Field>
        <Field label={t('admin.auditAction')}>
          {(p) => <input {...p} name="action" defaultValue={action} onBlur={(e) => setFilter('action', e.target.value.trim())} onKeyDown={(e) => e.key === 'Enter' && setFilter('action', e.currentTarget.value.trim())} />}
        </Field>
      </form>
      <Loaded state={res} isEmpty={(d) => d.items.length === 0}>
        {(d) => (
          <>
            <table className="table responsive audit">
              <thead>
                <tr>
                  <th scope="col">{t('admin.auditWhen')}</th>
                  <th scope="col">{t('admin.auditWho')}</th>
                  <th scope="col">{t('admin.auditAction')}</th>
                  <th scope="col">{t('admin.auditEntity')}</th>
                  <th scope="col">{t('common.details')}</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((a) => (
                  <tr key={a.id}>
                    <td data-label={t('admin.auditWhen')}>
                      <time dateTime={a.at}>{date(a.at, true)}</time>
                    </td>
                    <td data-label={t('admin.auditWho')}>{a.actorLabel}</td>
                    <td data-label={t('admin.auditAction')}>
                      <code>{a.action}</code>
                    </td>
                    <td data-label={t('admin.auditEntity')}>
                      {a.entityType} {a.entityLabel ? <strong title={a.entityId ?? undefined}>{a.entityLabel}</strong> : <code>{a.entityId ?? ''}</code>}
                    </td>
                    <td data-label={t('common.details')}>
                      {a.redacted ? (
                        <span className="muted" data-testid="audit-redacted">{t('admin.auditRedacted')}</span>
                      ) : (a.before !== null && a.before !== undefined) || (a.after !== null && a.after !== undefined) ? (
                        <details>
                          <summary>{t('common.details')}</summary>
                          <div className="diff">
                            <div>
                              <h3>{t('admin.auditBefore')}</h3>
                              <pre>{json(a.before)}</pre>
                            </div>
                            <div>
                              <h3>{t('admin.auditAfter')}</h3>
                              <pre>{json(a.after)}</pre>
                            </div>
                          </div>
                        </details>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager page={d.page} pageSize={d.pageSize} total={d.total} onPage={setPage} />
          </>
        )}
      </Loaded>
    </div>
  );
}
