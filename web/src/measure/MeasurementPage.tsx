import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link } from '../app/router.js';
import { useSession } from '../auth/auth.js';
import { interpolateNodes, useI18n } from '../i18n/index.js';
import { ErrorBox, Loading, Section } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';
import { AttachToIncident, canAttach } from './AnalystActions.js';
import { useMeasureI18n } from './i18n.js';
import { compareDns, compareHttp, compareTcp, compareTls, testKeys, type CertSummary, type StepOutcome } from './logic.js';
import type { MeasurementDetail, RawMeasurement } from './types.js';
import { VerdictBadge } from './VerdictCounts.js';
import './measure.css';

/** Hex SHA-256 of some bytes, computed in the browser (null while computing or where WebCrypto is unavailable). */
function useSha256(data: Uint8Array | string | null): string | null {
  const [hex, setHex] = useState<string | null>(null);
  useEffect(() => {
    setHex(null);
    if (data === null || typeof crypto === 'undefined' || !crypto.subtle) return;
    let live = true;
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    crypto.subtle
      .digest('SHA-256', bytes.slice().buffer)
      .then((d) => live && setHex([...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('')))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [data]);
  return hex;
}

function Outcome({ o, okKey }: { o: StepOutcome | null; okKey: 'measure.ok.tcp' | 'measure.ok.tls' | 'measure.ok.dns' }) {
  const { mt } = useMeasureI18n();
  if (!o) return <span className="muted">{mt('measure.notAttempted')}</span>;
  return o.ok ? <span className="m-ok">✓ {mt(okKey)}</span> : <span className="m-fail">✗ {mt('measure.failed', { failure: o.failure ?? '?' })}</span>;
}

/** Two columns, probe and control, with their headings; stacks on phones. */
function SideBySide({ probe, control, testId }: { probe: ReactNode; control: ReactNode; testId: string }) {
  const { mt } = useMeasureI18n();
  return (
    <div className="m-sides" data-testid={testId}>
      <div className="m-side m-side-probe">
        <h3>{mt('measure.probeSide')}</h3>
        {probe}
      </div>
      <div className="m-side m-side-control">
        <h3>{mt('measure.controlSide')}</h3>
        {control}
      </div>
    </div>
  );
}

function Addr({ ip, asn, marked }: { ip: string; asn?: number | undefined; marked?: boolean }) {
  return (
    <li className={marked ? 'm-addr m-addr-diff' : 'm-addr'}>
      <code dir="ltr">{ip}</code>
      {asn !== undefined && asn > 0 && <span className="muted"> AS{asn}</span>}
    </li>
  );
}

function DnsStep({ tk }: { tk: ReturnType<typeof testKeys> }) {
  const { mt } = useMeasureI18n();
  const d = compareDns(tk);
  const controlSet = new Set(d.control?.addrs ?? []);
  const probeSet = new Set(d.probe.addrs);
  return (
    <>
      <SideBySide
        testId="step-dns"
        probe={
          d.probe.byType.length === 0 ? (
            <p className="muted">{mt('measure.notAttempted')}</p>
          ) : (
            <dl className="facts">
              {d.probe.byType.map((q, i) => (
                <div key={`${q.type}-${i}`} className="m-fact-pair">
                  <dt>
                    {mt('measure.query')} {q.type}
                  </dt>
                  <dd>
                    {q.addrs.length ? (
                      <ul className="m-addrs">
                        {q.addrs.map((a) => (
                          <Addr key={a} ip={a} asn={d.asn[a]} marked={!!d.control && !controlSet.has(a)} />
                        ))}
                      </ul>
                    ) : (
                      <span className={q.failure && q.failure !== 'dns_no_answer' ? 'm-fail' : 'muted'}>{q.failure ?? mt('measure.noAddress')}</span>
                    )}
                    {q.resolver && <span className="cell-sub muted" dir="ltr">{q.resolver}</span>}
                  </dd>
                </div>
              ))}
            </dl>
          )
        }
        control={
          !d.control ? (
            <p className="muted">{mt('measure.controlMissing')}</p>
          ) : (
            <dl className="facts">
              <dt>{mt('measure.addresses')}</dt>
              <dd>
                {d.control.addrs.length ? (
                  <ul className="m-addrs">
                    {d.control.addrs.map((a) => (
                      <Addr key={a} ip={a} asn={d.asn[a]} marked={!probeSet.has(a)} />
                    ))}
                  </ul>
                ) : (
                  <span className="m-fail">{d.control.failure ?? mt('measure.noAddress')}</span>
                )}
              </dd>
            </dl>
          )
        }
      />
      <div className="m-compare" data-testid="dns-compare">
        {d.control && d.probeOnly.length === 0 && d.controlOnly.length === 0 && d.probe.addrs.length > 0 && <p className="m-ok">{mt('measure.sameAddresses')}</p>}
        {d.control && d.probeOnly.length > 0 && <p className="m-fail">{mt('measure.onlyProbe', { addrs: d.probeOnly.join(', ') })}</p>}
        {d.controlOnly.length > 0 && <p className="m-fail">{mt('measure.onlyControl', { addrs: d.controlOnly.join(', ') })}</p>}
        {d.consistency && <p className="muted">{mt('measure.dnsConsistency', { value: d.consistency })}</p>}
      </div>
    </>
  );
}

/** One row per address: probe and control side by side, rows that differ marked. */
function CompareTable<R extends { differs: boolean }>({
  testId,
  rows,
  address,
  probe,
  control,
}: {
  testId: string;
  rows: R[];
  address: (r: R) => string;
  probe: (r: R) => ReactNode;
  control: (r: R) => ReactNode;
}) {
  const { mt } = useMeasureI18n();
  if (!rows.length) return <p className="muted">{mt('measure.notAttempted')}</p>;
  return (
    <table className="table compact m-cmp" data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">{mt('measure.address')}</th>
          <th scope="col">{mt('measure.probeSide')}</th>
          <th scope="col">{mt('measure.controlSide')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={address(r)} className={r.differs ? 'm-row-diff' : undefined}>
            <th scope="row">
              <code dir="ltr">{address(r)}</code>
              {r.differs && <span className="cell-sub m-fail">{mt('measure.differs')}</span>}
            </th>
            <td data-label={mt('measure.probeSide')}>{probe(r)}</td>
            <td data-label={mt('measure.controlSide')}>{control(r)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A term and its value, left to right, when there is a value. */
function LtrFact({ term, value }: { term: string; value: string | null | undefined }) {
  if (!value) return null;
  return (
    <>
      <dt>{term}</dt>
      <dd dir="ltr">{value}</dd>
    </>
  );
}

function TcpStep({ tk }: { tk: ReturnType<typeof testKeys> }) {
  return (
    <CompareTable
      testId="step-tcp"
      rows={compareTcp(tk)}
      address={(r) => r.endpoint}
      probe={(r) => <Outcome o={r.probe} okKey="measure.ok.tcp" />}
      control={(r) => <Outcome o={r.control} okKey="measure.ok.tcp" />}
    />
  );
}

function Certificate({ c }: { c: CertSummary }) {
  const { date } = useI18n();
  const { mt } = useMeasureI18n();
  const der = useMemo(() => {
    try {
      return Uint8Array.from(atob(c.der), (ch) => ch.charCodeAt(0));
    } catch {
      return null;
    }
  }, [c.der]);
  const sha = useSha256(der);
  return (
    <dl className="facts m-cert">
      <dt>{mt('measure.certSubject')}</dt>
      <dd dir="ltr">{c.subject ?? '—'}</dd>
      <dt>{mt('measure.certIssuer')}</dt>
      <dd dir="ltr">{c.issuer ?? '—'}</dd>
      {c.names.length > 0 && (
        <>
          <dt>{mt('measure.certNames')}</dt>
          <dd dir="ltr">{c.names.join(', ')}</dd>
        </>
      )}
      <dt>{mt('measure.certValidity')}</dt>
      <dd>{mt('measure.certValidityRange', { from: date(c.notBefore), to: date(c.notAfter) })}</dd>
      {sha && (
        <>
          <dt>{mt('measure.certSha256')}</dt>
          <dd>
            <code className="m-hash">{sha}</code>
          </dd>
        </>
      )}
    </dl>
  );
}

function TlsStep({ tk }: { tk: ReturnType<typeof testKeys> }) {
  const { mt } = useMeasureI18n();
  return (
    <CompareTable
      testId="step-tls"
      rows={compareTls(tk)}
      address={(r) => r.address}
      probe={(r) => (
        <>
          <Outcome o={r.probe} okKey="measure.ok.tls" />
          {r.probe && (
            <dl className="facts m-small">
              <LtrFact term={mt('measure.sni')} value={r.probe.serverName} />
              <LtrFact term={mt('measure.tlsVersion')} value={r.probe.version} />
              <LtrFact term={mt('measure.cipher')} value={r.probe.cipher} />
              <LtrFact term={mt('measure.alpn')} value={r.probe.alpn} />
            </dl>
          )}
          {r.probe?.noVerify && <p className="muted">{mt('measure.noVerify')}</p>}
          {r.probe && r.probe.certs.length > 0 && (
            <details className="m-certs">
              <summary>{r.probe.certs.length === 1 ? mt('measure.certificate') : mt('measure.certificates', { count: r.probe.certs.length })}</summary>
              {r.probe.certs.map((c, i) => (
                <Certificate key={i} c={c} />
              ))}
            </details>
          )}
        </>
      )}
      control={(r) => (
        <>
          <Outcome o={r.control} okKey="measure.ok.tls" />
          {r.control?.serverName && (
            <dl className="facts m-small">
              <dt>{mt('measure.sni')}</dt>
              <dd dir="ltr">{r.control.serverName}</dd>
            </dl>
          )}
        </>
      )}
    />
  );
}

/** How much of the probe's response body the page shows (the raw measurement has all of it). */
const BODY_EXCERPT = 4000;

function HttpStep({ tk }: { tk: ReturnType<typeof testKeys> }) {
  const { num } = useI18n();
  const { mt, mtn } = useMeasureI18n();
  const h = compareHttp(tk);
  const bytes = (n: number | null | undefined) => (n === null || n === undefined ? '—' : mtn('measure.bytes', n, { n: num(n) }));
  const ms = (n: number | null | undefined) => (n === null || n === undefined ? '—' : mt('measure.ms', { n: num(Math.round(n)) }));
  const match = (v: boolean | null) => (v === null ? <span className="muted">{mt('measure.match.na')}</span> : v ? <span className="m-ok">✓ {mt('measure.match.yes')}</span> : <span className="m-fail">✗ {mt('measure.match.no')}</span>);
  const p = h.probe;
  const c = h.control;
  const rows: { key: string; label: string; probe: ReactNode; control: ReactNode; differs: boolean }[] = [
    {
      key: 'status',
      label: mt('measure.status'),
      probe: p?.failure ? <span className="m-fail">{mt('measure.failed', { failure: `${p.failure}${p.failedOperation ? ` (${p.failedOperation})` : ''}` })}</span> : (p?.status ?? '—'),
      control: c?.failure ? <span className="m-fail">{mt('measure.failed', { failure: c.failure })}</span> : (c?.status ?? '—'),
      differs: !!p && !!c && (p.status !== c.status || !!p.failure !== !!c.failure),
    },
    {
      key: 'length',
      label: mt('measure.bodyLength'),
      probe: (
        <>
          {bytes(p?.bodyLength)}
          {p?.truncated && <span className="muted"> ({mt('measure.truncated')})</span>}
        </>
      ),
      control: bytes(c?.bodyLength),
      differs: !!p && !!c && p.bodyLength !== c.bodyLength,
    },
    { key: 'title', label: mt('measure.pageTitle'), probe: <span dir="auto">{p?.title ?? '—'}</span>, control: <span dir="auto">{c?.title ?? '—'}</span>, differs: !!p && !!c && (p.title ?? '') !== (c.title ?? '') },
    { key: 'transfer', label: mt('measure.transfer'), probe: ms(p?.failure ? null : p?.transferMs), control: ms(c?.failure ? null : c?.transferMs), differs: false },
  ];
  return (
    <>
      {!p && <p className="muted">{mt('measure.noRequest')}</p>}
      <table className="table compact m-cmp" data-testid="step-http">
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">{mt('measure.probeSide')}</th>
            <th scope="col">{mt('measure.controlSide')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} className={r.differs ? 'm-row-diff' : undefined} data-field={r.key}>
              <th scope="row">{r.label}</th>
              <td data-label={mt('measure.probeSide')}>{r.probe}</td>
              <td data-label={mt('measure.controlSide')}>{r.control}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h3>{mt('measure.matches')}</h3>
      <dl className="facts m-matches">
        <dt>{mt('measure.match.status')}</dt>
        <dd>{match(h.matches.status)}</dd>
        <dt>{mt('measure.match.bodyLength')}</dt>
        <dd>
          {match(h.matches.bodyLength)}
          {h.matches.bodyProportion !== null && (
            <span className="muted">
              {' '}
              · {mt('measure.match.bodyProportion')} {num(Math.round(h.matches.bodyProportion * 1000) / 1000)}
            </span>
          )}
        </dd>
        <dt>{mt('measure.match.headers')}</dt>
        <dd>{match(h.matches.headers)}</dd>
        <dt>{mt('measure.match.title')}</dt>
        <dd>{match(h.matches.title)}</dd>
      </dl>

      {h.chain.length > 0 && (
        <>
          <h3>{mt('measure.redirects')}</h3>
          <ol className="m-chain" data-testid="redirect-chain">
            {h.chain.map((hop, i) => (
              <li key={i}>
                <code dir="ltr" className="m-url">
                  {hop.method ?? 'GET'} {hop.url ?? '?'}
                </code>{' '}
                {hop.failure ? (
                  <span className="m-fail">{mt('measure.failed', { failure: `${hop.failure}${hop.failedOperation ? ` (${hop.failedOperation})` : ''}` })}</span>
                ) : (
                  <span>
                    → <strong>{hop.status ?? '—'}</strong>
                    {hop.location && (
                      <>
                        {' '}
                        <code dir="ltr" className="m-url">
                          Location: {hop.location}
                        </code>
                      </>
                    )}
                  </span>
                )}
              </li>
            ))}
          </ol>
        </>
      )}

      {p?.body && (
        <details className="m-headers" data-testid="probe-body">
          <summary>{mt('measure.body', { n: num(Math.min(p.body.length, BODY_EXCERPT)) })}</summary>
          <pre className="m-body" dir="ltr">
            {p.body.slice(0, BODY_EXCERPT)}
          </pre>
        </details>
      )}

      {h.headers.length > 0 && (
        <details className="m-headers">
          <summary>{mt('measure.headers')}</summary>
          <table className="table compact m-cmp">
            <thead>
              <tr>
                <th scope="col">{mt('measure.header')}</th>
                <th scope="col">{mt('measure.probeSide')}</th>
                <th scope="col">{mt('measure.controlSide')}</th>
              </tr>
            </thead>
            <tbody>
              {h.headers.map((r) => (
                <tr key={r.name} className={r.probe === null || r.control === null ? 'm-row-diff' : undefined}>
                  <th scope="row">
                    <code dir="ltr">{r.name}</code>
                  </th>
                  <td dir="ltr" data-label={mt('measure.probeSide')}>
                    {r.probe ?? '—'}
                  </td>
                  <td dir="ltr" data-label={mt('measure.controlSide')}>
                    {r.control ?? '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </>
  );
}

function RawDownload({ detail }: { detail: MeasurementDetail }) {
  const { mt } = useMeasureI18n();
  // The stored bytes themselves, so the download is the proof: its SHA-256 must equal the one recorded at import.
  const [bytes, setBytes] = useState<Uint8Array | null>(null);
  useEffect(() => {
    let live = true;
    setBytes(null);
    fetch(`/api/measure/measurements/${encodeURIComponent(detail.id)}/raw`, { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(String(r.status)))))
      .then((b) => live && setBytes(new Uint8Array(b)))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [detail.id]);
  const sha = useSha256(bytes);
  const [href, setHref] = useState<string | null>(null);
  useEffect(() => {
    if (!bytes) return;
    const url = URL.createObjectURL(new Blob([bytes.slice().buffer], { type: 'application/json' }));
    setHref(url);
    return () => URL.revokeObjectURL(url);
  }, [bytes]);
  return (
    <dl className="facts">
      <dt>{mt('measure.sha256')}</dt>
      <dd>
        <code className="m-hash" data-testid="sha256">
          {detail.sha256}
        </code>
      </dd>
      <dt>{mt('measure.raw')}</dt>
      <dd>
        {href && (
          <a className="btn" href={href} download={`measurement-${detail.sha256.slice(0, 16)}.json`}>
            {mt('measure.download')}
          </a>
        )}
        {sha && (
          <p className="muted" data-testid="download-check" data-same={sha === detail.sha256 ? 'yes' : 'no'}>
            {sha === detail.sha256 ? mt('measure.downloadSame') : mt('measure.downloadDiffers')}
          </p>
        )}
      </dd>
    </dl>
  );
}

export function MeasurementPage({ id }: { id: string }) {
  const { country, date, num } = useI18n();
  const { mt } = useMeasureI18n();
  const { user } = useSession();
  const res = useApi<MeasurementDetail>(`/api/measure/measurements/${encodeURIComponent(id)}`);
  if (res.error) return <ErrorBox error={res.error} onRetry={res.reload} />;
  if (!res.data) return <Loading />;
  const d = res.data;
  const m = (d.measurement && typeof d.measurement === 'object' ? d.measurement : {}) as RawMeasurement;
  const tk = testKeys(m);
  const ev = tk.x_stackwatch ?? null;
  const url = d.input ?? m.input ?? d.id;
  const isWc = (m.test_name ?? 'web_connectivity') === 'web_connectivity';
  const helper = m.test_helpers ? Object.values(m.test_helpers).find((h) => h?.address)?.address : undefined;
  const reasons = d.reasons.length ? d.reasons : (ev?.reasons ?? []);
  const thr = ev?.throttling ?? null;
  const rate = (n: number | undefined) => (n === undefined ? '—' : `${num(Math.round(n / 1024))} KiB`);

  return (
    <article className="page measure m-detail" data-measurement-id={d.id} data-verdict={d.verdict}>
      <div className="page-head">
        <div>
          <p className="eyebrow">
            <Link to="/measurements">{mt('measure.back')}</Link> · {country(d.probeCc)} · AS{d.probeAsn}
          </p>
          <h1>
            {interpolateNodes(mt('measure.detailTitle'), {
              url: (
                <bdi dir="ltr" className="m-url">
                  {url}
                </bdi>
              ),
            })}
          </h1>
          <p className="badges">
            <VerdictBadge verdict={d.verdict} />
            {d.fingerprint && <span className="m-fp">{mt('measure.confirmedBy', { fp: d.fingerprint })}</span>}
          </p>
        </div>
      </div>

      <div className="grid-2">
        <Section title={mt('measure.verdictSection')}>
          <div data-testid="verdict-evidence">
            <dl className="facts">
              <dt>{mt('measure.verdict')}</dt>
              <dd>
                <VerdictBadge verdict={d.verdict} />
              </dd>
              {d.fingerprint && (
                <>
                  <dt>{mt('measure.fingerprint')}</dt>
                  <dd>
                    <code>{d.fingerprint}</code>
                  </dd>
                </>
              )}
              <dt>{mt('measure.ooniVerdict')}</dt>
              <dd>
                <code>{String(d.blocking ?? 'null')}</code> / <code>{String(d.accessible ?? 'null')}</code>
              </dd>
              {thr && thr.ratio !== undefined && (
                <>
                  <dt>{mt('measure.throttling')}</dt>
                  <dd>{mt('measure.throttlingText', { probe: rate(thr.probe_bytes_per_s), control: rate(thr.control_bytes_per_s), ratio: num(Math.round(thr.ratio * 10) / 10) })}</dd>
                </>
              )}
            </dl>
            {reasons.length > 0 && (
              <>
                <h3>{mt('measure.reasons')}</h3>
                <ul className="m-reasons" data-testid="reasons">
                  {reasons.map((r, i) => (
                    <li key={i} dir="ltr">
                      {r}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        </Section>
        <Section title={mt('measure.facts')}>
          <dl className="facts">
            <dt>{mt('measure.measuredAt')}</dt>
            <dd>
              <time dateTime={d.start}>{date(d.start, true)}</time>
            </dd>
            <dt>{mt('measure.network')}</dt>
            <dd>
              {country(d.probeCc)} · AS{d.probeAsn}
              {m.probe_network_name ? ` · ${m.probe_network_name}` : ''}
            </dd>
            <LtrFact term={mt('measure.resolver')} value={m.resolver_ip} />
            <LtrFact term={mt('measure.helper')} value={helper} />
            <dt>{mt('measure.reportId')}</dt>
            <dd>
              <code className="m-hash">{d.reportId}</code>
            </dd>
            {m.software_name && (
              <>
                <dt>{mt('measure.software')}</dt>
                <dd>
                  {m.software_name} {m.software_version ?? ''}
                </dd>
              </>
            )}
          </dl>
          <RawDownload detail={d} />
        </Section>
      </div>

      {!isWc ? (
        <p className="notice">{mt('measure.notWebConnectivity', { test: m.test_name ?? '?' })}</p>
      ) : (
        <Section title={mt('measure.steps')}>
          <p className="muted">{mt('measure.stepsHint')}</p>
          {tk.control_failure && <p className="notice notice-error">{mt('measure.noControl', { failure: tk.control_failure })}</p>}
          <div className="m-steps">
            <section className="m-step" aria-labelledby="m-step-dns">
              <h2 id="m-step-dns">{mt('measure.step.dns')}</h2>
              <DnsStep tk={tk} />
            </section>
            <section className="m-step" aria-labelledby="m-step-tcp">
              <h2 id="m-step-tcp">{mt('measure.step.tcp')}</h2>
              <TcpStep tk={tk} />
            </section>
            <section className="m-step" aria-labelledby="m-step-tls">
              <h2 id="m-step-tls">{mt('measure.step.tls')}</h2>
              <TlsStep tk={tk} />
            </section>
            <section className="m-step" aria-labelledby="m-step-http">
              <h2 id="m-step-http">{mt('measure.step.http')}</h2>
              <HttpStep tk={tk} />
            </section>
          </div>
        </Section>
      )}

      {canAttach(user) && (
        <div className="card">
          <AttachToIncident ids={[d.id]} />
        </div>
      )}
    </article>
  );
}
