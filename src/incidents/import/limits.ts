import { stat } from 'node:fs/promises';
import yauzl from 'yauzl';
import { ImportFileError } from './stop.js';

/**
 * Size limits on import files, checked before anything is parsed (docs/security.md, "Imports"). Measured on the real
 * files: the STOP workbook 2016–2022 is 0.36 MB, 2.9 MB unpacked, and exceljs (which holds the whole workbook in
 * memory) peaks at about 16 times the unpacked size; the IODA outage list is 0.8 MB and its reader peaks at about
 * 30 times the file. The limits give about ten times the real files' size, which keeps an import under about
 * 0.5 GB of memory. A spreadsheet is a zip: its unpacked size is read from the zip's directory first, so a small file
 * that would unpack to gigabytes is refused without being opened.
 */
export const IMPORT_LIMITS = {
  xlsxBytes: 8 * 1024 * 1024,
  xlsxUnpackedBytes: 32 * 1024 * 1024,
  csvBytes: 8 * 1024 * 1024,
} as const;

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Refuses a file larger than `max` bytes, from its size on disk (nothing is read). */
export async function checkFileSize(file: string, max: number): Promise<void> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImportFileError(code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${(e as Error).message}`);
  }
  if (size > max) throw new ImportFileError(`the file is ${mb(size)}; the limit is ${mb(max)}`);
}

/** Refuses a zip (xlsx) whose entries would unpack to more than `max` bytes in all, reading only its directory. */
export function checkZipExpansion(buf: Buffer, max = IMPORT_LIMITS.xlsxUnpackedBytes): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(new ImportFileError(`not a readable .xlsx workbook (${err?.message ?? 'no zip directory'})`));
      let total = 0;
      zip.on('entry', (entry: yauzl.Entry) => {
        total += entry.uncompressedSize;
        if (total > max) {
          zip.close();
          return reject(new ImportFileError(`the workbook unpacks to more than ${mb(max)}; the limit protects the server's memory`));
        }
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', (e: Error) => reject(new ImportFileError(`not a readable .xlsx workbook (${e.message})`)));
      zip.readEntry();
    });
  });
}
