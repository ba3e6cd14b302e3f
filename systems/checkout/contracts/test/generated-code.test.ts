/**
 * CI guards for the checkout contracts: the .proto files pass `buf lint`, and the committed
 * TypeScript in src/gen is byte-for-byte what `buf generate` makes of them today.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { genOutRelative, generateProtos, lintProtos, protoDir, repoRoot } from '../generate.js';

const STALE = 'src/gen is stale: run npm run proto:gen (and commit the result)';

/** Every file under `dir`, as sorted paths relative to it. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const tempDirs: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('checkout proto contracts', () => {
  test('when buf lint runs over contracts/proto, then it reports no problem', async () => {
    const result = await lintProtos();
    assert.equal(result.code, 0, `buf lint failed:\n${result.stdout}${result.stderr}`);
  });

  test('when a message has no comment, then buf lint refuses it (the config is really applied)', async () => {
    const copy = await tempDir('proto-lint-');
    await cp(protoDir, copy, { recursive: true });
    await appendFile(path.join(copy, 'checkout/v1/catalogo.proto'), '\nmessage SemComentario {}\n');
    const result = await lintProtos(copy);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /"SemComentario" should have a non-empty comment/);
  });

  test('when the protos are generated afresh, then the committed src/gen is identical byte for byte', async () => {
    const base = await tempDir('proto-gen-');
    const result = await generateProtos(base);
    assert.equal(result.code, 0, `buf generate failed:\n${result.stdout}${result.stderr}`);

    const fresh = path.join(base, genOutRelative);
    const committed = path.join(repoRoot, genOutRelative);
    const freshFiles = await listFiles(fresh);
    const committedFiles = await listFiles(committed).catch(() => []);
    assert.ok(freshFiles.length > 0, 'buf generate produced no file');
    assert.deepEqual(committedFiles, freshFiles, `${STALE}: the set of generated files differs`);

    const differing: string[] = [];
    for (const file of freshFiles) {
      const [a, b] = await Promise.all([
        readFile(path.join(fresh, file)),
        readFile(path.join(committed, file)),
      ]);
      if (!a.equals(b)) differing.push(file);
    }
    assert.deepEqual(differing, [], `${STALE}: these files differ: ${differing.join(', ')}`);
  });
});
