import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GENESIS_HASH, hashRecord, type AuditRecord } from '@dslab/audit-log';
import { createReceiptSigner, type ReceiptSigner } from '../src/adapters/receipts.js';
import { DEV_RECEIPT_SIGNING_KEY } from '../src/config.js';
import type { ReceiptClaims } from '../src/domain/receipt.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli/receipt-verify.ts', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as `npm run receipt:verify` runs it: node --import tsx, from the repository root. */
function receiptVerify(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', cli, ...args],
      { cwd: root, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** An audit chain in the scheduler's format: seq 1..n, each linked to the one before. */
function chain(events: { event_type: string; details: Record<string, unknown> }[]): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (const [i, event] of events.entries()) {
    const unsigned: Omit<AuditRecord, 'hash'> = {
      seq: i + 1,
      timestamp_utc: `2026-12-01T02:59:5${i}.000Z`,
      level: 'AUDIT',
      event_type: event.event_type,
      service: 'servico-agendamento',
      actor: { cientista_id: 7, email: 'vera@example.org', papel: 'cientista' },
      details: event.details,
      prev_hash: prev,
    };
    const record = { ...unsigned, hash: hashRecord(unsigned) };
    records.push(record);
    prev = record.hash;
  }
  return records;
}

const slot = {
  telescopio_id: 'Hubble-Acad',
  horario_inicio_utc: '2026-12-01T03:00:00.000Z',
  horario_fim_utc: '2026-12-01T03:05:00.000Z',
};

const trail = chain([
  { event_type: 'COTA_DEFINIDA', details: { cientista_id: 7, minutos: 600 } },
  {
    event_type: 'AGENDAMENTO_CRIADO',
    details: {
      agendamento_id: 42,
      cientista_id: 7,
      ...slot,
      recursos: ['Hubble-Acad_2026-12-01T03:00:00Z'],
      tokens: [101],
      recebido_em_utc: '2026-12-01T02:59:59.950Z',
      horario_clique_utc: '2026-12-01T02:59:59.870Z',
      incerteza_ms: 12,
    },
  },
  {
    event_type: 'AGENDAMENTO_RECUSADO',
    details: { cientista_id: 8, ...slot, motivo: 'slot-taken', recebido_em_utc: '2026-12-01T02:59:59.953Z' },
  },
]);

function wonClaims(entry: AuditRecord): ReceiptClaims {
  return {
    sub: '7',
    resultado: 'concedido',
    ...slot,
    recursos: ['Hubble-Acad_2026-12-01T03:00:00Z'],
    agendamento_id: 42,
    tokens_fencing: [101],
    recebido_em_utc: '2026-12-01T02:59:59.950Z',
    horario_clique_utc: '2026-12-01T02:59:59.870Z',
    incerteza_ms: 12,
    audit_seq: entry.seq,
    audit_hash: entry.hash,
  };
}

// Every case spawns its own CLI process; they share only read-only fixtures, so a few run side by side.
describe('npm run receipt:verify', { concurrency: 4 }, () => {
  let dir: string;
  let signer: ReceiptSigner;
  let receipt: string;
  let jwksFile: string;
  let server: Server;
  let jwksUrl: string;
  const file = (name: string, content: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  };
  const won = (): AuditRecord => {
    const entry = trail[1];
    assert.ok(entry);
    return entry;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'receipt-verify-'));
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    signer = await createReceiptSigner({
      privateKeyPem: pem,
      now: () => Date.parse('2026-12-01T02:59:59.960Z'),
    });
    receipt = await signer.sign(wonClaims(won()));
    jwksFile = file('jwks.json', signer.jwks);
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(signer.jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('when a won receipt is checked against its key set, then it exits 0 and explains the win', async () => {
    const run = await receiptVerify(receipt, '--jwks', jwksFile);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Outcome: GRANTED — booking 42 to scientist 7/);
    assert.match(run.stdout, /Fencing tokens: 101/);
    assert.match(run.stdout, new RegExp(`signature valid \\(key kid ${signer.kid}`));
    assert.doesNotMatch(run.stderr, /DEVELOPMENT/);
  });

  test('when the argument is a saved 201 body (JSON with recibo) and the key set a URL, then it verifies', async () => {
    const body = file('booking-201.json', { id: 42, status: 'ativo', recibo: receipt, _links: {} });
    const run = await receiptVerify(body, '--jwks', jwksUrl);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /signature valid/);
  });

  test('when one character of the payload is changed, then it exits 1 and says the signature does not match', async () => {
    const [header, payload, signature] = receipt.split('.');
    assert.ok(header !== undefined && payload !== undefined && signature !== undefined);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: '8' })).toString('base64url');
    const run = await receiptVerify(`${header}.${forged}.${signature}`, '--jwks', jwksFile);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /receipt NOT valid: The signature does not match key/);
    assert.doesNotMatch(run.stdout, /Outcome/);
  });

  test('when no key set is given, then the development key is used and a warning says it proves nothing', async () => {
    const dev = await createReceiptSigner({ privateKeyPem: DEV_RECEIPT_SIGNING_KEY, now: () => Date.now() });
    const run = await receiptVerify(await dev.sign(wonClaims(won())));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stderr, /WARNING: no --jwks given.*DEVELOPMENT key/s);
    assert.match(run.stdout, /the development key/);
    // A receipt from a real key does not verify against the development key.
    const other = await receiptVerify(receipt);
    assert.equal(other.code, 1, other.stdout + other.stderr);
    assert.match(other.stdout, /not in the given key set/);
  });

  test('when the receipt is missing or unreadable, then it exits 2 with a message and no stack trace', async () => {
    const missing = await receiptVerify('--jwks', jwksFile);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Missing the receipt/);
    assert.match(missing.stderr, /Usage: npm run receipt:verify/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);

    const noRecibo = await receiptVerify(
      file('problem.json', { type: 'x', status: 409 }),
      '--jwks',
      jwksFile,
    );
    assert.equal(noRecibo.code, 2);
    assert.match(noRecibo.stderr, /without a "recibo" member/);

    const badJwks = await receiptVerify(receipt, '--jwks', join(dir, 'absent.json'));
    assert.equal(badJwks.code, 2);
    assert.match(badJwks.stderr, /Cannot read the key set/);
    assert.doesNotMatch(badJwks.stderr, /\n\s+at /);
  });

  test('when the audit entries hold the receipt entry with the same hash and chain intact, then it exits 0', async () => {
    const asArray = await receiptVerify(receipt, '--jwks', jwksFile, '--audit', file('audit.json', trail));
    assert.equal(asArray.code, 0, asArray.stdout + asArray.stderr);
    assert.match(asArray.stdout, /audit chain intact: 3 entries, seq 1–3/);
    assert.match(
      asArray.stdout,
      new RegExp(`audit entry seq 2 matches the receipt \\(hash ${won().hash}\\)`),
    );

    // The body of GET /auditoria?apos=1 (a page that does not start at the genesis entry).
    const page = { _links: { self: { href: '/auditoria?apos=1&limite=100' } }, entradas: trail.slice(1) };
    const asPage = await receiptVerify(receipt, '--jwks', jwksFile, '--audit', file('auditoria.json', page));
    assert.equal(asPage.code, 0, asPage.stdout + asPage.stderr);
    assert.match(asPage.stdout, /audit chain intact: 2 entries, seq 2–3/);
  });

  test('when the audit entry differs from the receipt or the trail was altered, then it exits 1 and says where', async () => {
    // Another trail whose seq 2 is a different booking: the hash differs from the receipt's.
    const otherTrail = chain([
      { event_type: 'COTA_DEFINIDA', details: { cientista_id: 7, minutos: 600 } },
      { event_type: 'AGENDAMENTO_CRIADO', details: { agendamento_id: 43, cientista_id: 9, ...slot } },
    ]);
    const mismatch = await receiptVerify(
      receipt,
      '--jwks',
      jwksFile,
      '--audit',
      file('other.json', otherTrail),
    );
    assert.equal(mismatch.code, 1, mismatch.stdout + mismatch.stderr);
    assert.match(mismatch.stdout, /audit mismatch: audit entry seq 2 has hash .* but the receipt says/);
    assert.match(mismatch.stdout, /records cientista_id 9, the receipt sub 7/);

    // The entry the receipt names, edited after the fact without recomputing its hash.
    const edited = trail.map((r) => (r.seq === 2 ? { ...r, details: { ...r.details, cientista_id: 8 } } : r));
    const tampered = await receiptVerify(receipt, '--jwks', jwksFile, '--audit', file('edited.json', edited));
    assert.equal(tampered.code, 1, tampered.stdout + tampered.stderr);
    assert.match(tampered.stdout, /audit chain BROKEN: entry seq 2: stored hash .* the entry was altered/);

    // The entry is absent from a range that covers it.
    const gap = [trail[0], trail[2]];
    const missing = await receiptVerify(receipt, '--jwks', jwksFile, '--audit', file('gap.json', gap));
    assert.equal(missing.code, 1, missing.stdout + missing.stderr);
    assert.match(missing.stdout, /audit chain BROKEN: entry seq 3: expected seq 2/);
    assert.match(missing.stdout, /seq 2 is missing from the given entries/);
  });

  test('when the audit trail is app.log lines, then its AUDIT lines are read', async () => {
    const log = [
      'INFO:2026-12-01T02:59:59.950Z:servico-agendamento:Requisição recebida para POST /agendamentos [trace=abc]',
      ...trail.map((r) => `AUDIT:${r.timestamp_utc}:servico-agendamento:${JSON.stringify(r)} [trace=abc]`),
    ].join('\n');
    const run = await receiptVerify(receipt, '--jwks', jwksFile, '--audit', file('app.log', log));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /audit entry seq 2 matches the receipt/);
  });
});
