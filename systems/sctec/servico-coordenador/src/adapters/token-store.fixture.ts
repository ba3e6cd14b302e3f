/**
 * Child process for the crash test in token-store.test.ts: hands out tokens from a file
 * store and prints each one on its own line *after* it was handed out, as a real
 * coordinator would send it in a response. Usage: <mark file> <block size> <count | "forever">.
 * stdout to a pipe is synchronous on Linux, so every printed line has really left the process.
 */
import { createFileTokenStore } from './token-store.js';

const [path, blockSize, count] = process.argv.slice(2);
if (path === undefined || blockSize === undefined || count === undefined) {
  throw new Error('usage: token-store.fixture.ts <mark file> <block size> <count | forever>');
}
const store = createFileTokenStore(path, { blockSize: Number(blockSize) });
const limit = count === 'forever' ? Infinity : Number(count);
for (let i = 0; i < limit; i++) process.stdout.write(`${store.next()}\n`);
