/** Import files are measured before they are parsed (issue #7): a huge CSV or a spreadsheet that unpacks to
 * gigabytes is refused at once, with a clear message, while the real STOP workbook and IODA list pass. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';
import { checkFileSize, checkZipExpansion, IMPORT_LIMITS } from '../../src/incidents/import/limits.js';
import { importIodaOutages, importStop } from '../../src/incidents/import/service.js';
import type { Db } from '../../src/platform/db.js';

const STOP = '../shared/data/shutdowns/keepiton-stop-2016-2022.xlsx';
const IODA = '../shared/data/shutdowns/ioda-investigated-outages-2018-2022.csv';

function zipOf(entries: [string, Buffer][]): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of entries) z.addBuffer(data, name);
  z.end();
  const chunks: Buffer[] = [];
  return new Promise((res, rej) => {
    z.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => res(Buffer.concat(chunks))).on('error', rej);
  });
}

describe('import size limits', () => {
  const notUsed = {} as Db; // the limits refuse before the database is touched

  it('pass the real files', async () => {
    await expect(checkFileSize(STOP, IMPORT_LIMITS.xlsxBytes)).resolves.toBeUndefined();
    await expect(checkFileSize(IODA, IMPORT_LIMITS.csvBytes)).resolves.toBeUndefined();
    await expect(checkZipExpansion(readFileSync(STOP))).resolves.toBeUndefined();
  });

  it('refuse an oversized CSV and spreadsheet by their size on disk, before reading them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-limits-'));
    try {
      const csv = join(dir, 'huge.csv');
      writeFileSync(csv, 'a,b\n');
      truncateSync(csv, IMPORT_LIMITS.csvBytes + 1); // sparse: no real data is written or read
      const t0 = performance.now();
      await expect(importIodaOutages(notUsed, csv, {} as never)).rejects.toThrow(/the limit is 8\.0 MB/);
      expect(performance.now() - t0).toBeLessThan(1000);
      const xlsx = join(dir, 'huge.xlsx');
      writeFileSync(xlsx, 'PK');
      truncateSync(xlsx, IMPORT_LIMITS.xlsxBytes + 1);
      await expect(importStop(notUsed, xlsx, {} as never)).rejects.toThrow(/the limit is 8\.0 MB/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuse a small spreadsheet that would unpack past the limit, from the zip directory alone', async () => {
    const bomb = await zipOf([['xl/worksheets/sheet1.xml', Buffer.alloc(3 * 1024 * 1024, 0x20)], ['xl/workbook.xml', Buffer.from('<workbook/>')]]);
    expect(bomb.length).toBeLessThan(64 * 1024); // 3 MB of spaces pack into a few kilobytes
    await expect(checkZipExpansion(bomb, 1024 * 1024)).rejects.toThrow(/unpacks to more than 1\.0 MB/);
    await expect(checkZipExpansion(Buffer.from('not a zip at all'))).rejects.toThrow(/not a readable \.xlsx/);
  });
});
