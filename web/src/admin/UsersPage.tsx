import { useState, type FormEvent } from 'react';
import { api } from '../api/client.js';
import type { AdminUser } from '../api/types.js';
import { useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field, Loaded, Section } from '../ui/components.js';
import { SubmitButton, useFormState } from '../ui/form.js';
import { choicesOf, SelectField } from '../ui/fields.js';
import { useApi } from '../ui/useApi.js';

export function UsersPage() {
  const { t, label, date } = useI18n();
  const { user: me, meta } = useSession();
  const res = useApi<{ items: AdminUser[] }>('/api/admin/users');
  const [failure, setFailure] = useState<string | null>(null);

  const update = async (u: AdminUser, patch: { role?: string; disabled?: boolean }) => {
    setFailure(null);
    try {
      const updated = await api.patch<AdminUser>(`/api/admin/users/${encodeURIComponent(u.id)}`, patch);
      if (res.data && updated && typeof updated === 'object' && 'id' in updated)
        res.setData({ items: res.data.items.map((x) => (x.id === u.id ? { ...x, ...updated } : x)) });
      else res.reload();
    } catch (e) {
      setFailure(e instanceof Error ? e.message : String(e));
      res.reload();
    }
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('admin.users')}</h1>
      </div>
      {failure && <ErrorBox error={failure} />}
      <Section title={t('admin.users')}>
        <Loaded state={res}>
          {(d) => (
            <table className="table responsive">
              <thead>
                <tr>
                  <th scope="col">{t('admin.name')}</th>
                  <th scope="col">{t('admin.org')}</th>
                  <th scope="col">{t('admin.role')}</th>
                  <th scope="col">{t('admin.totp')}</th>
                  <th scope="col">{t('admin.lastLogin')}</th>
                  <th scope="col">{t('common.status')}</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((u) => (
                  <tr key={u.id} className={u.disabled ? 'row-disabled' : undefined} data-email={u.email}>
                    <td data-label={t('admin.name')}>
                      <strong>{u.name}</strong>
                      <br />
                      <span className="muted">{u.email}</span>
                    </td>
                    <td data-label={t('admin.org')}>{u.orgName}</td>
                    <td data-label={t('admin.role')}>
                      <select
                        value={u.role}
                        aria-label={t('admin.changeRole', { name: u.name || u.email })}
                        disabled={u.id === me.id}
                        onChange={(e) => void update(u, { role: e.target.value })}
                      >
                        {meta.roles.map((r) => (
                          <option key={r} value={r}>
                            {label('role', r)}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td data-label={t('admin.totp')}>{u.totpEnabled ? t('common.yes') : t('common.no')}</td>
                    <td data-label={t('admin.lastLogin')}>{u.lastLoginAt ? date(u.lastLoginAt, true) : t('admin.never')}</td>
                    <td data-label={t('common.status')}>
                      <span className="muted">{u.disabled ? t('admin.disabled') : t('admin.active')}</span>{' '}
                      {u.id !== me.id && (
                        <button type="button" className="btn btn-small" onClick={() => void update(u, { disabled: !u.disabled })}>
                          {u.disabled ? t('admin.enable') : t('admin.disable')}
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
      <AddUser roles={meta.roles} onAdded={res.reload} />
    </div>
  );
}

function AddUser({ roles, onAdded }: { roles: string[]; onAdded: () => void }) {
  const { t, label } = useI18n();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState(roles.includes('analyst') ? 'analyst' : (roles[0] ?? ''));
  const [password, setPassword] = useState('');
  const { errors, setErrors, failure, setFailure, busy, save } = useFormState();
  const [done, setDone] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setDone(null);
    const errs: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) errs.email = t('form.err.email');
    if (!name.trim()) errs.name = t('form.err.required');
    if (password.length < 12) errs.password = t('form.err.password');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    await save(async () => {
      // Users are always added to the admin's own organisation (the server refuses any other).
      await api.post('/api/admin/users', { email: email.trim(), name: name.trim(), role, password });
      setDone(t('admin.userAdded', { email: email.trim() }));
      setEmail('');
      setName('');
      setPassword('');
      onAdded();
    });
  };

  return (
    <Section title={t('admin.addUser')}>
      {failure && <ErrorBox error={failure} />}
      {done && (
        <p className="notice notice-ok" role="status">
          {done}
        </p>
      )}
      <form className="form-grid" onSubmit={submit} noValidate>
        <Field label={t('admin.email')} error={errors.email} required>
          {(p) => <input {...p} type="email" name="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label={t('admin.name')} error={errors.name} required>
          {(p) => <input {...p} name="name" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <SelectField label={t('admin.role')} error={errors.role} name="role" value={role} onChange={setRole} choices={choicesOf(roles, (r) => label('role', r))} />
        <Field label={t('admin.password')} error={errors.password} hint={t('form.err.password')} required>
          {(p) => <input {...p} type="password" name="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <SubmitButton busy={busy} className="form-actions field-wide">{t('admin.addUser')}</SubmitButton>
      </form>
    </Section>
  );
}
