import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorCatalog, isErrorCode } from './catalog.js';

/**
 * docs/errors.md and errorCatalog describe the same errors: this test parses the table
 * `| code | HTTP | gRPC | title | when |` and compares both directions.
 */

interface DocRow {
  readonly line: number;
  readonly code: string;
  readonly status: number;
  readonly grpc: string;
  readonly title: string;
}

const DOC = new URL('../../../docs/errors.md', import.meta.url);

/** Cell text without surrounding spaces and one pair of backticks. */
function cell(text: string): string {
  return text.trim().replace(/^`(.*)`$/, '$1');
}

function parseCatalogTable(markdown: string): DocRow[] {
  const lines = markdown.split('\n');
  const header = lines.findIndex((l) =>
    /^\|\s*code\s*\|\s*HTTP\s*\|\s*gRPC\s*\|\s*title\s*\|\s*when\s*\|\s*$/.test(l),
  );
  assert.notEqual(
    header,
    -1,
    'docs/errors.md has no table with the header | code | HTTP | gRPC | title | when |',
  );
  assert.match(
    lines[header + 1] ?? '',
    /^\|(\s*:?-+:?\s*\|){5}\s*$/,
    'the catalog table header is not followed by a separator row',
  );
  const rows: DocRow[] = [];
  for (let i = header + 2; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.startsWith('|')) break;
    // Split on unescaped pipes; the "when" column keeps any further text.
    const cells = line.replace(/^\||\|\s*$/g, '').split(/(?<!\\)\|/);
    assert.ok(cells.length >= 5, `docs/errors.md line ${i + 1}: expected 5 cells, got ${cells.length}`);
    const [code = '', status = '', grpc = '', title = ''] = cells.map(cell);
    assert.match(
      status,
      /^\d{3}$/,
      `docs/errors.md line ${i + 1}: HTTP status "${status}" is not a 3-digit number`,
    );
    rows.push({ line: i + 1, code, status: Number(status), grpc, title });
  }
  return rows;
}

const rows = parseCatalogTable(readFileSync(DOC, 'utf8'));

test('when docs/errors.md is read, then its catalog table has rows', () => {
  assert.ok(rows.length > 0);
});

test('when a code is in errorCatalog, then docs/errors.md has exactly one row with the same status, gRPC name and title', () => {
  for (const [code, kind] of Object.entries(errorCatalog)) {
    const matching = rows.filter((r) => r.code === code);
    assert.equal(
      matching.length,
      1,
      `errorCatalog code "${code}" has ${matching.length} rows in docs/errors.md (expected 1)`,
    );
    const [row] = matching;
    assert.ok(row !== undefined);
    assert.equal(
      row.status,
      kind.status,
      `"${code}": docs say HTTP ${row.status}, catalog says ${kind.status} (line ${row.line})`,
    );
    assert.equal(
      row.grpc,
      kind.grpc,
      `"${code}": docs say gRPC ${row.grpc}, catalog says ${kind.grpc} (line ${row.line})`,
    );
    assert.equal(row.title, kind.title, `"${code}": docs title differs from the catalog (line ${row.line})`);
  }
});

test('when docs/errors.md names a code, then errorCatalog has it', () => {
  for (const row of rows) {
    assert.ok(
      isErrorCode(row.code),
      `docs/errors.md line ${row.line} names "${row.code}", which is not in errorCatalog`,
    );
  }
});

test('when the table is compared with the catalog, then both list the same number of codes', () => {
  assert.equal(rows.length, Object.keys(errorCatalog).length);
});
