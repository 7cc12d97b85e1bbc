/** The data sets behind the public record: what each is, how Stackwatch uses it, its licence and the attribution. */
export interface Dataset { id: string; name: string; what: string; method: string[]; licence: string; attribution: string; url: string }

export const DATASETS: Dataset[] = [
  {
    id: 'stop',
    name: 'Access Now #KeepItOn STOP',
    what: 'The Shutdown Tracker Optimization Project: every internet shutdown Access Now and the #KeepItOn coalition documented, 2016–2022, one sheet per period.',
    method: [
      'Each row of a yearly sheet is one shutdown, counted under that sheet\'s year; the combined 2016+2017+2018 sheet is counted by its own year column. A shutdown still in force in a later year appears again in that year\'s sheet: Stackwatch stores it once and keeps the later row as evidence, and the annual figures count the rows, as Access Now does.',
      'Rows are mapped to the incident taxonomy (full, regional or mobile shutdown, throttling, service blocking); dates are days; an empty end date means ongoing or not recorded. Figures in reports link to the public query listing the rows behind them.',
      'Access Now\'s published yearly counts: 2018 — 196 in 25 countries; 2019 — 213 in 33; 2020 — 155 in 29 (the shipped sheet, a later revision, holds 159 rows in 29 countries, one an exact duplicate); 2021 — 182 in 34; 2022 — 187 in 35.',
    ],
    licence: 'Access Now STOP data: free to use with attribution.',
    attribution: 'Source: Access Now #KeepItOn STOP data (accessnow.org/keepiton).',
    url: 'https://www.accessnow.org/campaign/keepiton/',
  },
  {
    id: 'ioda',
    name: 'IODA investigated outages',
    what: 'Outages that analysts of IODA (Internet Outage Detection and Analysis, Georgia Tech) investigated, 2018–2022, with begin and end to the minute, scope and cause.',
    method: [
      'An IODA outage that matches a STOP shutdown (same country, compatible cause and place, overlapping time with one day of tolerance) is attached to it as evidence; the others are separate incidents.',
      'Confirmed outage events detected by Stackwatch\'s own signal analysis appear on country pages once a person has reviewed them.',
    ],
    licence: 'Research data; cite the paper.',
    attribution: 'IODA, Georgia Tech; "Destination Unreachable: Characterizing Internet Outages and Shutdowns", ACM SIGCOMM 2023.',
    url: 'https://ioda.inetintel.cc.gatech.edu/',
  },
  {
    id: 'citizenlab',
    name: 'Citizen Lab test lists',
    what: 'Lists of websites relevant to censorship research, global and per country, with categories; the inputs of website-blocking measurements.',
    method: ['Measurements test the URLs of these lists; a site is listed as blocked on a country page when measurements found DNS, TCP/IP, TLS or HTTP interference.'],
    licence: 'CC BY-NC-SA 4.0.',
    attribution: 'Citizen Lab and contributors, github.com/citizenlab/test-lists.',
    url: 'https://github.com/citizenlab/test-lists',
  },
  {
    id: 'ooni',
    name: 'OONI measurements and blocking fingerprints',
    what: 'Web connectivity measurements in OONI\'s open data format, and OONI\'s fingerprints of known block pages and DNS block addresses.',
    method: [
      'Each measurement keeps the raw OONI JSON; Stackwatch\'s verdict names the evidence (DNS tampering, TCP/IP blocking, TLS interference, a confirmed block page, HTTP differences, throttling).',
      'Open data snapshots publish the measurements as OONI JSONL with the probe\'s own address replaced by 127.0.0.1.',
    ],
    licence: 'OONI open data: CC BY 4.0 (measurements); blocking fingerprints published by OONI.',
    attribution: 'Open Observatory of Network Interference (OONI), ooni.org.',
    url: 'https://ooni.org/data/',
  },
  {
    id: 'ledger',
    name: 'Takedown demands: Google, Lumen, EU DSA',
    what: 'Government demands to remove content and the platforms\' answers: Google Transparency Report government removal requests (per country, half-year and requester type, with the share removed), notices from the Lumen database, and the EU Digital Services Act Transparency Database\'s statements of reasons.',
    method: [
      'Country pages show, per year, the requests a government sent to Google and the share of the items requested that Google removed (under law or under its policies), over the rows that report outcomes. Google reports fewer than 10 as "<10": it is kept as the range 1–9, so totals are at least the low figure.',
      'Infrastructure interventions (a domain seized, a certificate revoked, an app removed, hosting withdrawn) appear when an analyst recorded them and marked them TLP:CLEAR; rows marked TLP:GREEN or above are never public.',
      'Provenance of every row (file, SHA-256, row) stays in the ledger; the public figures are aggregates of TLP:CLEAR rows only.',
    ],
    licence: 'Google Transparency Report data: Google\'s terms for the Transparency Report downloads. Lumen: the Lumen database\'s terms of use. EU DSA Transparency Database: EU open data (European Commission reuse policy).',
    attribution: 'Google Transparency Report (transparencyreport.google.com); Lumen, Berkman Klein Center for Internet & Society (lumendatabase.org); European Commission, DSA Transparency Database (transparency.dsa.ec.europa.eu).',
    url: 'https://transparencyreport.google.com/government-removals/overview',
  },
];
