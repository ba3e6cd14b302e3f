/**
 * Lines of code behind each way of running the checkout, for the report's complexity discussion:
 * the files only one transport needs (its contracts, entry points, clients and platform package),
 * the synchronous orchestration gRPC and REST share, and the core all three share. A file is
 * counted once, under the first rule that takes it; tests, test helpers and generated code are
 * left out. Lines = lines with something besides blanks and comments.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeSize } from '../results.js';

/** Glob patterns (relative to the repository root, `/` separated): `*` one name, `**` any folders. */
export const CODE_SIZE_RULES: readonly { readonly key: string; readonly patterns: readonly string[] }[] = [
  {
    key: 'grpc',
    patterns: [
      'contracts/proto/**/*.proto',
      'systems/checkout/*/src/entry-points/grpc.ts',
      'systems/checkout/clients/src/grpc.ts',
      'systems/checkout/clients/src/codec.ts',
      'systems/checkout/kit/src/grpc-handlers.ts',
      'packages/grpc-kit/src/**/*.ts',
    ],
  },
  {
    key: 'rest',
    patterns: [
      'systems/checkout/*/src/entry-points/http.ts',
      'systems/checkout/clients/src/rest.ts',
      'systems/checkout/kit/src/http-routes.ts',
      'packages/http-kit/src/**/*.ts',
    ],
  },
  {
    key: 'async',
    patterns: [
      'systems/checkout/contracts/src/messages.ts',
      'systems/checkout/kit/src/worker.ts',
      'systems/checkout/*/src/entry-points/broker.ts',
      'systems/checkout/pedidos/src/entry-points/async-*.ts',
      'systems/checkout/pedidos/src/app-async.ts',
      'systems/checkout/pedidos/src/application/async-checkout.ts',
      'systems/checkout/pedidos/src/application/orchestrator.ts',
      'systems/checkout/pedidos/src/application/redrive.ts',
      'systems/checkout/pedidos/src/domain/saga.ts',
      'systems/checkout/pedidos/src/domain/redrive.ts',
      'systems/checkout/pedidos/src/adapters/saga-store.ts',
      'systems/checkout/pedidos/src/adapters/credentials.ts',
      'packages/outbox/src/**/*.ts',
      'packages/messaging/src/**/*.ts',
      'systems/checkout/async/src/**/*.ts',
    ],
  },
  {
    // The synchronous chain's orchestration (deadlines, compensation, recovery), whatever the transport.
    key: 'sync',
    patterns: ['systems/checkout/pedidos/src/application/pedidos-service.ts'],
  },
  {
    // What every variant runs: the services' rules, application layer and storage, the ports.
    key: 'shared',
    patterns: [
      'systems/checkout/*/src/domain/**/*.ts',
      'systems/checkout/*/src/application/**/*.ts',
      'systems/checkout/*/src/adapters/**/*.ts',
      'systems/checkout/contracts/src/ports.ts',
      'systems/checkout/contracts/src/validation.ts',
      'systems/checkout/kit/src/*.ts',
    ],
  },
];

/** Never counted: tests, their helpers and fixtures, generated code. */
export function isExcluded(path: string): boolean {
  return (
    /\.test\.ts$/.test(path) ||
    /\.fixture\.ts$/.test(path) ||
    /(^|\/)(testing|test-helpers|broker-testing)\.ts$/.test(path) ||
    /(^|\/)(test|gen|node_modules|dist)\//.test(path)
  );
}

/** `*` matches within one path segment, `**` any number of whole segments. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*' && pattern[i + 1] === '*') {
      // "**/" = zero or more folders.
      source += pattern[i + 2] === '/' ? '(?:[^/]+/)*' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Lines of C-like source (TypeScript, proto) that hold code: blank lines and lines that are only
 * `//` or `/* … *\/` comments do not count. Strings and template literals are skipped over, so a
 * `//` inside a URL is code.
 */
export function countCodeLines(text: string): number {
  let count = 0;
  let inBlock = false;
  let quote: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    let code = quote === '`';
    for (let i = 0; i < line.length; i++) {
      const char = line[i] ?? '';
      const next = line[i + 1];
      if (inBlock) {
        if (char === '*' && next === '/') {
          inBlock = false;
          i++;
        }
      } else if (quote !== null) {
        code = true;
        if (char === '\\') i++;
        else if (char === quote) quote = null;
      } else if (char === '/' && next === '/') break;
      else if (char === '/' && next === '*') {
        inBlock = true;
        i++;
      } else if (char === '"' || char === "'" || char === '`') {
        quote = char;
        code = true;
      } else if (char.trim() !== '') code = true;
    }
    // A quote left open at the end of a line: only template literals span lines.
    if (quote !== null && quote !== '`') quote = null;
    if (code) count++;
  }
  return count;
}

/** The files under `root` (relative, `/` separated), skipping node_modules, dist and dot folders. */
function listFiles(root: string, folder: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, folder), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')
        ? []
        : listFiles(root, path);
    return entry.isFile() ? [path] : [];
  });
}

/** The top folders the rules look into (the part of each pattern before its first wildcard's folder). */
function searchRoots(): string[] {
  const roots = CODE_SIZE_RULES.flatMap((rule) =>
    rule.patterns.map((p) => p.split('/').slice(0, 2).join('/')),
  );
  return [...new Set(roots)].filter((r, _, all) => !all.some((o) => o !== r && r.startsWith(`${o}/`)));
}

export function measureCodeSize(repoRoot: string): CodeSize {
  const files = [...new Set(searchRoots().flatMap((root) => listFiles(repoRoot, root)))]
    .filter((f) => !isExcluded(f))
    .sort();
  const rules = CODE_SIZE_RULES.map((rule) => ({ key: rule.key, patterns: rule.patterns.map(globToRegExp) }));
  const result: Record<string, { files: string[]; lines: number }> = {};
  for (const rule of rules) result[rule.key] = { files: [], lines: 0 };
  for (const file of files) {
    const rule = rules.find((r) => r.patterns.some((p) => p.test(file)));
    const entry = rule === undefined ? undefined : result[rule.key];
    if (entry === undefined) continue;
    entry.files.push(file);
    entry.lines += countCodeLines(readFileSync(join(repoRoot, file), 'utf8'));
  }
  return result;
}
