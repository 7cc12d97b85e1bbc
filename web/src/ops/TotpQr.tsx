import { useEffect, useState } from 'react';
import QRCode from 'qrcode';
import { useI18n } from '../i18n/index.js';

/** The otpauth:// link as a QR code (SVG, drawn in the browser: the secret never leaves the page). */
export function TotpQr({ url }: { url: string }) {
  const { t } = useI18n();
  const [svg, setSvg] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    QRCode.toString(url, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' })
      .then((s) => live && setSvg(s))
      .catch(() => live && setSvg(null));
    return () => {
      live = false;
    };
  }, [url]);
  if (!svg) return null;
  return (
    <figure className="field-wide totp-qr" data-testid="totp-qr">
      <img src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`} width={200} height={200} alt={t('ops.totp.qr')} style={{ background: '#fff' }} />
      <figcaption className="muted">{t('ops.totp.qr')}</figcaption>
    </figure>
  );
}
