import countries from 'i18n-iso-countries';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
for (const lang of ['en', 'fr', 'es', 'ar']) {
  countries.registerLocale(require(`i18n-iso-countries/langs/${lang}.json`));
}

/** ISO 3166-1 alpha-2 codes, plus XK (Kosovo, user-assigned but used by every data set of the field). */
const EXTRA: Record<string, string> = { XK: 'Kosovo' };

export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && (countries.isValid(code) || code in EXTRA);
}

export function countryName(code: string, lang = 'en'): string {
  return EXTRA[code] ?? countries.getName(code, lang, { select: 'official' }) ?? code;
}

export function countryNumeric(code: string): string | undefined {
  return countries.alpha2ToNumeric(code) ?? undefined;
}

export function allCountryCodes(): string[] {
  return [...new Set([...Object.keys(countries.getAlpha2Codes()), ...Object.keys(EXTRA)])].sort();
}

/** Finds the ISO code for a country name as written in the field's data sets ("Iran", "DRC", "Congo, Dem. Rep."). */
const ALIASES: Record<string, string> = {
  'drc': 'CD', 'dr congo': 'CD', 'democratic republic of congo': 'CD', 'democratic republic of the congo': 'CD',
  'congo, dem. rep.': 'CD', 'congo (kinshasa)': 'CD', 'republic of congo': 'CG', 'republic of the congo': 'CG',
  'congo-brazzaville': 'CG', 'congo (brazzaville)': 'CG', 'congo': 'CG', 'iran': 'IR', 'russia': 'RU', 'syria': 'SY',
  'venezuela': 'VE', 'bolivia': 'BO', 'tanzania': 'TZ', 'vietnam': 'VN', 'viet nam': 'VN', 'laos': 'LA',
  'south korea': 'KR', 'north korea': 'KP', 'moldova': 'MD', 'palestine': 'PS', 'gaza': 'PS', 'west bank': 'PS',
  'state of palestine': 'PS', 'occupied palestinian territories': 'PS', 'kosovo': 'XK', 'turkey': 'TR', 'türkiye': 'TR', 'turkiye': 'TR',
  'ivory coast': 'CI', "cote d'ivoire": 'CI', "côte d'ivoire": 'CI', 'swaziland': 'SZ', 'eswatini': 'SZ',
  'burma': 'MM', 'myanmar (burma)': 'MM', 'the gambia': 'GM', 'gambia': 'GM', 'cape verde': 'CV',
  'usa': 'US', 'united states': 'US', 'united states of america': 'US', 'uk': 'GB', 'united kingdom': 'GB',
  'uae': 'AE', 'czech republic': 'CZ', 'macedonia': 'MK', 'north macedonia': 'MK', 'brunei': 'BN',
  'east timor': 'TL', 'timor-leste': 'TL', 'kyrgyzstan': 'KG', 'somaliland': 'SO', 'sudan': 'SD', 'south sudan': 'SS',
  'taiwan': 'TW', 'hong kong': 'HK', 'macau': 'MO', 'guinea-bissau': 'GW', 'guinea bissau': 'GW',
  // Spellings found in the STOP workbook and the IODA outage list.
  'iran (islamic republic of)': 'IR', 'palestine, state of': 'PS', 'palestinian territories': 'PS',
  'venezuela (bolivarian republic of)': 'VE', 'venezuela, bolivarian republic of': 'VE', 'tanzania, united republic of': 'TZ',
  'democraticrepubliccongo': 'CD', 'democratic republic of (drc)': 'CD', 'srilanka': 'LK', 'timor leste': 'TL',
  'kyrgyz republic (kyrgyzstan)': 'KG', 'kyrgyz republic': 'KG', 'united states of america (usa)': 'US',
  "ivory coast (cote d'ivoire)": 'CI', 'myanmar/burma': 'MM', 'bosnia & herzegovina': 'BA', 'antigua & barbuda': 'AG',
  'curacao': 'CW', 'saint martin': 'MF', 'bonaire/sint eustatius/saba': 'BQ', 'bonaire, sint eustatius and saba': 'BQ',
  'federated states of micronesia': 'FM', 'great britain': 'GB', 'reunion': 'RE',
};

export function countryCodeFromName(name: string): string | undefined {
  const n = name.trim();
  if (!n) return undefined;
  if (/^[A-Za-z]{2}$/.test(n) && isCountryCode(n.toUpperCase())) return n.toUpperCase();
  const alias = ALIASES[n.toLowerCase()];
  if (alias) return alias;
  return countries.getAlpha2Code(n, 'en') ?? undefined;
}
