import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field } from '../ui/components.js';
import { useAuth } from './auth.js';

export function LoginPage() {
  const { t } = useI18n();
  const { login } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password, needTotp ? totp.trim() : undefined);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'totp_required') {
        setNeedTotp(true);
        setError(t('login.totpNeeded'));
      } else if (err instanceof ApiError && err.status === 401) {
        setError(t('login.failed'));
      } else {
        setError(err instanceof Error ? err.message : String(err));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <form className="card login-card" onSubmit={submit} noValidate aria-labelledby="login-title">
        <h1 id="login-title">{t('login.title')}</h1>
        <p className="muted">{t('app.tagline')}</p>
        {error && <ErrorBox error={error} />}
        <Field label={t('login.email')} required>
          {(p) => <input {...p} type="email" name="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label={t('login.password')} required>
          {(p) => (
            <input {...p} type="password" name="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        {needTotp && (
          <Field label={t('login.totp')} required>
            {(p) => (
              <input {...p} name="totp" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]*" maxLength={8} value={totp} onChange={(e) => setTotp(e.target.value)} autoFocus />
            )}
          </Field>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? t('login.busy') : t('login.submit')}
        </button>
      </form>
    </div>
  );
}
