import { useState, type FormEvent } from 'react';
import { api } from '../api/client.js';
import type { ApiToken } from '../api/types.js';
import { useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field, Loaded, Section } from '../ui/components.js';
import { SubmitButton, useFormState } from '../ui/form.js';
import { useApi } from '../ui/useApi.js';

/** Scopes offered when the server's /api/meta does not list its own. */
export const DEFAULT_SCOPES = ['incidents:read', 'incidents:write', 'laws:read', 'laws:write', 'measure:write', 'outages:write', 'audit:read'];

export function TokensPage() {
  const { t, label, date } = useI18n();
  const { meta } = useSession();
  const scopes = meta.tokenScopes?.length ? meta.tokenScopes : DEFAULT_SCOPES;
  const res = useApi<{ items: ApiToken[] }>('/api/tokens');
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>(scopes.filter((s) => s.endsWith(':read')));
  const [expires, setExpires] = useState('');
  const { errors, setErrors, failure, setFailure, busy, save } = useFormState();
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = t('form.err.required');
    if (chosen.length === 0) errs.scopes = t('form.err.required');
    const days = expires.trim() ? Number(expires) : undefined;
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) errs.expiresInDays = t('form.err.required');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    await save(async () => {
      const out = await api.post<{ token: ApiToken; secret: string }>('/api/tokens', { name: name.trim(), scopes: chosen, ...(days ? { expiresInDays: days } : {}) });
      setSecret(out.secret);
      setCopied(false);
      setName('');
      setExpires('');
      res.reload();
    });
  };

  const revoke = async (tok: ApiToken) => {
    if (!window.confirm(t('tokens.confirmRevoke', { name: tok.name }))) return;
    setFailure(null);
    try {
      await api.del(`/api/tokens/${encodeURIComponent(tok.id)}`);
      res.reload();
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
    }
  };

  const copy = async () => {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      /* clipboard may be denied; the secret stays selectable */
    }
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('tokens.title')}</h1>
      </div>
      <p className="muted">{t('tokens.intro')}</p>
      {failure && <ErrorBox error={failure} />}
      {secret && (
        <div className="notice notice-ok secret" role="status">
          <p>
            <strong>{t('tokens.secret')}</strong> — {t('tokens.secretOnce')}
          </p>
          <code className="secret-value" data-testid="token-secret">
            {secret}
          </code>{' '}
          <button type="button" className="btn btn-small" onClick={() => void copy()}>
            {copied ? t('common.copied') : t('common.copy')}
          </button>{' '}
          <button type="button" className="btn btn-small btn-quiet" onClick={() => setSecret(null)}>
            {t('common.close')}
          </button>
        </div>
      )}
      <Section title={t('tokens.title')}>
        <Loaded state={res} isEmpty={(d) => d.items.length === 0} empty={<p className="muted">{t('tokens.none')}</p>}>
          {(d) => (
            <table className="table responsive">
              <thead>
                <tr>
                  <th scope="col">{t('tokens.name')}</th>
                  <th scope="col">{t('tokens.prefix')}</th>
                  <th scope="col">{t('tokens.scopes')}</th>
                  <th scope="col">{t('common.created')}</th>
                  <th scope="col">{t('tokens.lastUsed')}</th>
                  <th scope="col">{t('tokens.expiresAt')}</th>
                  <th scope="col">{t('common.status')}</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((tok) => (
                  <tr key={tok.id} className={tok.revokedAt ? 'row-disabled' : undefined}>
                    <td data-label={t('tokens.name')}>{tok.name}</td>
                    <td data-label={t('tokens.prefix')}>
                      <code>{tok.prefix}…</code>
                    </td>
                    <td data-label={t('tokens.scopes')}>{tok.scopes.map((s) => label('scope', s)).join(', ')}</td>
                    <td data-label={t('common.created')}>{date(tok.createdAt)}</td>
                    <td data-label={t('tokens.lastUsed')}>{tok.lastUsedAt ? date(tok.lastUsedAt, true) : t('admin.never')}</td>
                    <td data-label={t('tokens.expiresAt')}>{tok.expiresAt ? date(tok.expiresAt) : '—'}</td>
                    <td data-label={t('common.status')}>
                      {tok.revokedAt ? (
                        <span className="muted">{t('tokens.revoked', { date: date(tok.revokedAt) })}</span>
                      ) : (
                        <button type="button" className="btn btn-small btn-danger" onClick={() => void revoke(tok)}>
                          {t('tokens.revoke')}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loaded>
      </Section>
      <Section title={t('tokens.create')}>
        <form className="form-grid" onSubmit={create} noValidate>
          <Field label={t('tokens.name')} error={errors.name} required>
            {(p) => <input {...p} name="tokenName" value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label={t('tokens.expires')} hint={t('tokens.expiresHint')} error={errors.expiresInDays}>
            {(p) => <input {...p} type="number" min={1} max={3650} inputMode="numeric" name="expiresInDays" value={expires} onChange={(e) => setExpires(e.target.value)} />}
          </Field>
          <fieldset className="field-wide checks">
            <legend>{t('tokens.scopes')}</legend>
            {scopes.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" checked={chosen.includes(s)} onChange={(e) => setChosen(e.target.checked ? [...chosen, s] : chosen.filter((x) => x !== s))} />
                {label('scope', s)} <code>{s}</code>
              </label>
            ))}
            {errors.scopes && (
              <p className="field-error" role="alert">
                {errors.scopes}
              </p>
            )}
          </fieldset>
          <SubmitButton busy={busy} className="form-actions field-wide">{t('tokens.create')}</SubmitButton>
        </form>
      </Section>
    </div>
  );
}
