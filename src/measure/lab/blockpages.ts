/**
 * Blockpages the lab's middlebox serves. Each carries the text by which a shipped OONI fingerprint
 * (seed/measurement/fingerprints/fingerprints_http.csv) recognises the real one; the rest of the page is ours.
 */
export interface Blockpage {
  /** the OONI fingerprint that must match this page */
  fingerprint: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

const page = (title: string, inner: string, lang = 'en') =>
  `<!DOCTYPE html>\n<html lang="${lang}">\n<head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n${inner}\n</body>\n</html>\n`;

export const BLOCKPAGES: Record<string, Blockpage> = {
  // Canada, Shaw: court-ordered piracy block
  'ca-court': {
    fingerprint: 'ooni.ca_1',
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
    body: page(
      'Site blocked',
      '<h1>Site blocked</h1>\n<p>Access to this site has been blocked by an Order issued by the Federal Court of Canada.</p>\n<p>Reference: T-1234-22</p>',
    ),
  },
  // Indonesia, national "Internet Positif" filtering
  'id-trustpositif': {
    fingerprint: 'ooni.id_6',
    status: 200,
    headers: { 'Content-Type': 'text/html' },
    body: page(
      'Internet Positif',
      '<div class="notice">This page is blocked by <a href=http://trustpositif.kominfo.go.id>TrustPositif Kominfo</a></div>\n<p>Situs ini diblokir.</p>',
      'id',
    ),
  },
  // Indonesia, ISP JLM "negatif konten"
  'id-negatif': {
    fingerprint: 'ooni.id_15',
    status: 200,
    headers: { 'Content-Type': 'text/html' },
    body: '<html><head><title>Negatif Konten</title></head><body><center><h2>Situs yang anda kunjungi termasuk negatif konten</h2></center></body></html>\n',
  },
  // WireFilter appliance (UAE / Saudi Arabia), recognised by its Server header
  'wirefilter': {
    fingerprint: 'ooni.ae_0',
    status: 403,
    headers: { 'Content-Type': 'text/html', Server: 'Protected by WireFilter 8000 (WF-02)' },
    body: page('Access denied', '<h1>Access to the requested page has been denied</h1><p>Please contact your administrator.</p>'),
  },
};

/** Redirects a censor sends instead of a page: the Location header is what the fingerprint knows. */
export const BLOCK_REDIRECTS: Record<string, { fingerprint: string; location: string }> = {
  'id-internetpositif': { fingerprint: 'ooni.id_0', location: 'http://internet-positif.org/?u=' },
  'gb-sky': { fingerprint: 'ooni.gb_3', location: 'http://block.cf.sky.com/?u=' },
};

/** A generic page a censor's DNS points blocked names at; not a known fingerprint (heuristics must catch it). */
export const GENERIC_BLOCKPAGE = page('Notice', '<h1>Notice</h1><p>The page you asked for is not available on this network.</p>');
