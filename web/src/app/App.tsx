import { useEffect, useRef, useState } from 'react';
import { AuthProvider, useAuth } from '../auth/auth.js';
import { LoginPage } from '../auth/LoginPage.js';
import { I18nProvider, LANG_NAMES, LANGS, isLang, useI18n } from '../i18n/index.js';
import { Loading } from '../ui/components.js';
import { Link, match, useLocation } from './router.js';
import { IncidentList } from '../incidents/IncidentList.js';
import { IncidentPage } from '../incidents/IncidentPage.js';
import { IncidentEdit } from '../incidents/IncidentForm.js';
import { Overview } from '../map/Overview.js';
import { CountryPage } from '../map/CountryPage.js';
import { LawList } from '../laws/LawList.js';
import { LawPage } from '../laws/LawPage.js';
import { LawEdit } from '../laws/LawForm.js';
import { UsersPage } from '../admin/UsersPage.js';
import { TokensPage } from '../admin/TokensPage.js';
import { AccountPage } from '../auth/AccountPage.js';
import { AuditPage } from '../admin/AuditPage.js';
import { OutagesList } from '../outages/OutagesList.js';
import { OutageEventPage } from '../outages/OutageEventPage.js';
import { DeskCase, DeskQueue } from '../desk/DeskPage.js';
import { DeskGrants, DeskMisp, DeskSettings } from '../desk/DeskAdmin.js';
import { LedgerPage } from '../ledger/LedgerPage.js';
import { MappingPage } from '../ledger/MappingPage.js';
import { TimelinePage } from '../ledger/TimelinePage.js';
import { MeasurementsPage } from '../measure/MeasurementsPage.js';
import { MeasurementPage } from '../measure/MeasurementPage.js';
import { ImportsPage } from '../ops/ImportsPage.js';
import '../ops/ops.css';

export function App() {
  return (
    <I18nProvider>
      <AuthProvider>
        <Shell />
      </AuthProvider>
    </I18nProvider>
  );
}

function LanguageSwitcher() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="lang-switch">
      <span className="visually-hidden">{t('app.language')}</span>
      <select value={lang} onChange={(e) => isLang(e.target.value) && setLang(e.target.value)} aria-label={t('app.language')} name="lang">
        {LANGS.map((l) => (
          <option key={l} value={l} lang={l}>
            {LANG_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}

function Shell() {
  const { t, label } = useI18n();
  const { user, ready, logout } = useAuth();
  const loc = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => setMenuOpen(false), [loc.path]);

  const navItems: { to: string; label: string; show: boolean }[] = user
    ? [
        { to: '/', label: t('nav.overview'), show: true },
        { to: '/incidents', label: t('nav.incidents'), show: true },
        { to: '/outages', label: t('nav.outages'), show: true },
        { to: '/measurements', label: t('nav.measurements'), show: true },
        { to: '/laws', label: t('nav.laws'), show: true },
        { to: '/desk', label: t('nav.desk'), show: user.role === 'responder' || user.role === 'admin' },
        { to: '/ledger', label: t('nav.ledger'), show: true },
        { to: '/import', label: t('ops.nav'), show: user.role === 'admin' || user.role === 'analyst' },
        { to: '/tokens', label: t('nav.tokens'), show: true },
        { to: '/admin/users', label: t('nav.users'), show: user.role === 'admin' },
        { to: '/admin/audit', label: t('nav.audit'), show: user.role === 'admin' },
      ]
    : [];
  const isCurrent = (to: string) => (to === '/' ? loc.path === '/' : loc.path === to || loc.path.startsWith(`${to}/`));

  return (
    <>
      <a className="skip-link" href="#main" onClick={() => mainRef.current?.focus()}>
        {t('app.skip')}
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            <svg aria-hidden="true" width="22" height="22" viewBox="0 0 16 16">
              <rect width="16" height="16" rx="3" fill="currentColor" />
              <path d="M3 11h10M3 8h7M3 5h4" stroke="#fff" strokeWidth="1.6" />
            </svg>
            {t('app.name')}
          </Link>
          {user && (
            <button type="button" className="btn menu-toggle" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen((o) => !o)}>
              {t('app.menu')}
            </button>
          )}
          {user && (
            <nav id="main-nav" className={`main-nav${menuOpen ? ' open' : ''}`} aria-label={t('app.mainNav')}>
              <ul>
                {navItems
                  .filter((i) => i.show)
                  .map((i) => (
                    <li key={i.to}>
                      <Link to={i.to} aria-current={isCurrent(i.to) ? 'page' : undefined}>
                        {i.label}
                      </Link>
                    </li>
                  ))}
              </ul>
            </nav>
          )}
          <div className="topbar-tools">
            <LanguageSwitcher />
            {user && (
              <>
                <Link className="whoami" to="/account" title={t('nav.account')}>
                  {t('nav.signedInAs', { name: user.name || user.email, role: label('role', user.role) })}
                </Link>
                <button type="button" className="btn btn-quiet" onClick={() => void logout()}>
                  {t('nav.signOut')}
                </button>
              </>
            )}
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} ref={mainRef}>
        {!ready ? <Loading /> : !user ? <LoginPage /> : <Routes path={loc.path} />}
      </main>
    </>
  );
}

function Routes({ path }: { path: string }) {
  const { t } = useI18n();
  const { user } = useAuth();
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <Overview />;
  if (path === '/incidents') return <IncidentList />;
  if (path === '/incidents/new') return <IncidentEdit />;
  if ((m = match('/incidents/:id/edit', path))) return <IncidentEdit id={m.id} key={m.id} />;
  if ((m = match('/incidents/:id', path))) return <IncidentPage id={m.id ?? ''} key={m.id} />;
  if ((m = match('/countries/:cc', path))) return <CountryPage cc={(m.cc ?? '').toUpperCase()} key={m.cc} />;
  if (path === '/outages') return <OutagesList />;
  if ((m = match('/outages/events/:id', path))) return <OutageEventPage id={m.id ?? ''} key={m.id} />;
  if (path === '/measurements') return <MeasurementsPage />;
  if ((m = match('/measurements/:id', path))) return <MeasurementPage id={m.id ?? ''} key={m.id} />;
  if (path === '/desk') return <DeskQueue />;
  if (path === '/desk/grants') return <DeskGrants />;
  if (path === '/desk/misp') return <DeskMisp />;
  if (path === '/desk/settings') return <DeskSettings />;
  if ((m = match('/desk/cases/:id', path))) return <DeskCase id={m.id ?? ''} key={m.id} />;
  if (path === '/laws') return <LawList />;
  if (path === '/ledger') return <LedgerPage />;
  if (path === '/ledger/mapping') return <MappingPage />;
  if (path === '/ledger/timeline') return <TimelinePage />;
  if (path === '/laws/new') return <LawEdit />;
  if ((m = match('/laws/:id/edit', path))) return <LawEdit id={m.id} key={m.id} />;
  if ((m = match('/laws/:id', path))) return <LawPage id={m.id ?? ''} key={m.id} />;
  if (path === '/tokens') return <TokensPage />;
  if (path === '/import') return <ImportsPage />;
  if (path === '/account') return <AccountPage />;
  if (path.startsWith('/admin/') && user?.role !== 'admin') return <p className="notice">{t('app.forbidden')}</p>;
  if (path === '/admin/users') return <UsersPage />;
  if (path === '/admin/audit') return <AuditPage />;
  return (
    <div className="card">
      <h1>{t('app.notFound')}</h1>
      <Link to="/">{t('app.backHome')}</Link>
    </div>
  );
}
