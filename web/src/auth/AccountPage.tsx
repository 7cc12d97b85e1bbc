import { useState, type FormEvent } from 'react';
import { TotpQr } from '../ops/TotpQr.js';
import { api } from '../api/client.js';
import { useSession } from './auth.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field, Section } from '../ui/components.js';
import { SubmitButton, useFormState } from '../ui/form.js';

/** The signed-in person's own account: a new password, and a second factor (TOTP) for sign-in. */
export function AccountPage() {
  const { t } = useI18n();
  const { user } = useSession();
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('account.title')}</h1>
      </div>
      <p className="muted">{t('account.intro', { email: user.email })}</p>
      <PasswordForm />
      <SecondFactor enabled={user.totpEnabled ?? false} />
    </div>
  );
}

function PasswordForm() {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [done, setDone] = useState(false);
  const { errors, setErrors, failure, setFailure, busy, save } = useFormState();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setDone(false);
    const errs: Record<string, string> = {};
    if (!current) errs.currentPassword = t('form.err.required');
    if (next.length < 12) errs.newPassword = t('form.err.password');
    else if (next !== again) errs.again = t('account.err.mismatch');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    await save(async () => {
      await api.post('/api/auth/password', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setAgain('');
      setDone(true);
    });
  };
  return (
    <Section title={t('account.password')}>
      {failure && <ErrorBox error={failure} />}
      {done && (
        <p className="notice notice-ok" role="status">
          {t('account.passwordChanged')}
        </p>
      )}
      <form className="form-grid" onSubmit={(e) => void submit(e)} noValidate>
        <Field label={t('account.current')} error={errors.currentPassword} required>
          {(p) => <input {...p} type="password" name="currentPassword" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />}
        </Field>
        <Field label={t('account.new')} error={errors.newPassword} hint={t('form.err.password')} required>
          {(p) => <input {...p} type="password" name="newPassword" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />}
        </Field>
        <Field label={t('account.again')} error={errors.again} required>
          {(p) => <input {...p} type="password" name="again" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />}
        </Field>
        <SubmitButton busy={busy}>{t('account.changePassword')}</SubmitButton>
      </form>
    </Section>
  );
}

function SecondFactor({ enabled }: { enabled: boolean }) {
  const { t } = useI18n();
  const [setup, setSetup] = useState<{ secret: string; otpauthUrl: string } | null>(null);
  const [code, setCode] = useState('');
  const [on, setOn] = useState(enabled);
  // Starting (or replacing) the second factor needs the current password, and a current code when one is on.
  const [password, setPassword] = useState('');
  const [oldCode, setOldCode] = useState('');
  const { errors, setErrors, failure, setFailure, busy, save } = useFormState();
  const start = () => {
    const errs: Record<string, string> = {};
    if (!password) errs.currentPassword = t('form.err.required');
    if (on && !/^\d{6}$/.test(oldCode.trim())) errs.oldCode = t('account.err.code');
    setErrors(errs);
    if (Object.keys(errs).length) return Promise.resolve();
    return save(async () => {
      setFailure(null);
      setSetup(await api.post<{ secret: string; otpauthUrl: string }>('/api/auth/totp/setup', { currentPassword: password, ...(on ? { code: oldCode.trim() } : {}) }));
      setPassword('');
      setOldCode('');
    });
  };
  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code.trim())) {
      setErrors({ code: t('account.err.code') });
      return;
    }
    setErrors({});
    await save(async () => {
      await api.post('/api/auth/totp/enable', { code: code.trim() });
      setOn(true);
      setSetup(null);
    });
  };
  return (
    <Section title={t('account.totp')}>
      {failure && <ErrorBox error={failure} />}
      <p className="muted">{t('account.totpIntro')}</p>
      {on && !setup ? (
        <p className="notice notice-ok" role="status" data-testid="totp-on">
          {t('account.totpOn')}
        </p>
      ) : null}
      {!setup ? (
        <div className="form-grid">
          <Field label={t('account.current')} error={errors.currentPassword} required>
            {(p) => <input {...p} type="password" name="totpCurrentPassword" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
          </Field>
          {on ? (
            <Field label={t('account.totpCode')} error={errors.oldCode} required>
              {(p) => <input {...p} inputMode="numeric" autoComplete="one-time-code" name="oldCode" dir="ltr" value={oldCode} onChange={(e) => setOldCode(e.target.value)} />}
            </Field>
          ) : null}
          <button type="button" className="btn" disabled={busy} onClick={() => void start()}>
            {on ? t('account.totpReset') : t('account.totpStart')}
          </button>
        </div>
      ) : (
        <form className="form-grid" onSubmit={(e) => void confirm(e)} noValidate>
          <TotpQr url={setup.otpauthUrl} />
          <p className="field-wide">{t('account.totpKey')}</p>
          <code className="secret-value field-wide" data-testid="totp-secret" dir="ltr">
            {setup.secret}
          </code>
          <p className="muted field-wide">
            <a href={setup.otpauthUrl}>{t('account.totpLink')}</a>
          </p>
          <Field label={t('account.totpCode')} error={errors.code} required>
            {(p) => <input {...p} inputMode="numeric" autoComplete="one-time-code" name="code" dir="ltr" value={code} onChange={(e) => setCode(e.target.value)} />}
          </Field>
          <SubmitButton busy={busy}>{t('account.totpConfirm')}</SubmitButton>
        </form>
      )}
    </Section>
  );
}
