/**
 * One way through the house: no module imports one above it. Every import of every file under
 * src/ (static, dynamic, type-only, and worker scripts started with `new URL('./x.js',
 * import.meta.url)`) is read with TypeScript's own pre-processor and checked against the layers
 * below (docs/ARCHITECTURE.md "Layers"): a module may import its own folder, and any folder of a
 * lower layer; an import of a folder of the same or a higher layer fails. Two libraries are
 * owned by one folder each: better-sqlite3 by store/, smol-toml by config/. And no file of src/
 * is over 400 lines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

/** Bottom first. A unit is a folder of src/ or a file at its top. */
export const LAYERS: readonly (readonly string[])[] = [
  ['types', 'errors'],
  ['log', 'unix-socket'],
  ['address'],
  ['config', 'verp', 'metrics'],
  ['store'],
  ['parse'],
  ['decode'],
  ['classify'],
  ['pipeline'],
  ['eval'],
  ['intake', 'control'],
  ['jobs'],
  ['daemon'],
  ['cli'],
  ['index', 'main'],
];

/** Third-party packages only one unit may import. */
const OWNED: Record<string, string> = { 'better-sqlite3': 'store', pg: 'store', 'smol-toml': 'config', superstruct: 'config' };

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The unit of a file under src/: its first folder, or its own name at the top. */
function unitOf(file: string): string {
  const rel = relative(SRC, file).split('/');
  return rel.length > 1 ? rel[0]! : rel[0]!.replace(/\.ts$/, '');
}

function layerOf(unit: string): number {
  const i = LAYERS.findIndex((l) => l.includes(unit));
  if (i < 0) throw new Error(`src/${unit} is in no layer: add it to LAYERS in test/layers.test.ts and to docs/ARCHITECTURE.md`);
  return i;
}

/** Every module specifier of a file: imports, exports, import(), and worker URLs. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  const out = info.importedFiles.map((f) => f.fileName);
  for (const m of text.matchAll(/new URL\(\s*'(\.{1,2}\/[^']+)'\s*,\s*import\.meta\.url\s*\)/g)) out.push(m[1]!);
  return out;
}

interface Edge {
  from: string;
  to: string;
  spec: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const f of files(SRC)) {
    for (const spec of specifiers(f)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(f), spec).replace(/\.js$/, '.ts');
        out.push({ from: relative(SRC, f), to: relative(SRC, target), spec });
      } else {
        out.push({ from: relative(SRC, f), to: `package:${spec}`, spec });
      }
    }
  }
  return out;
}

describe('layers', () => {
  const all = edges();

  it('reads the imports (a sanity check of the reader itself)', () => {
    expect(all.length).toBeGreaterThan(300);
    expect(all).toContainEqual(expect.objectContaining({ from: 'pipeline/analyze.ts', to: 'parse/message.ts' }));
    expect(all).toContainEqual(expect.objectContaining({ from: 'daemon/writer.ts', to: 'daemon/writer-thread.ts' }));
  });

  it('every file of src/ is in a layer', () => {
    for (const f of files(SRC)) expect(() => layerOf(unitOf(f)), f).not.toThrow();
  });

  it('no module imports a module of its own or a higher layer outside its own folder', () => {
    const upward: string[] = [];
    for (const e of all) {
      if (e.to.startsWith('package:')) continue;
      const from = unitOf(join(SRC, e.from));
      const to = unitOf(join(SRC, e.to));
      if (from === to) continue;
      if (layerOf(to) >= layerOf(from)) upward.push(`${e.from} imports ${e.spec} (${to} is not below ${from})`);
    }
    expect(upward).toEqual([]);
  });

  it('better-sqlite3 is imported only in store/, smol-toml and superstruct only in config/', () => {
    const misplaced = all
      .filter((e) => e.to.startsWith('package:'))
      .filter((e) => {
        const owner = OWNED[e.spec];
        return owner !== undefined && unitOf(join(SRC, e.from)) !== owner;
      })
      .map((e) => `${e.from} imports ${e.spec}`);
    expect(misplaced).toEqual([]);
  });

  it('no source file is over 400 lines (a file that grows past it does two jobs)', () => {
    const long = files(SRC)
      .map((f) => ({ f: relative(SRC, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > 400)
      .map((x) => `${x.f}: ${x.lines} lines`);
    expect(long).toEqual([]);
  });

  it('fails on an upward import (the check itself can fail)', () => {
    // store/ importing pipeline/ - what store/index.ts did before the store stopped driving it.
    expect(layerOf('pipeline')).toBeGreaterThan(layerOf('store'));
    expect(layerOf('decode')).toBeGreaterThan(layerOf('parse'));
  });
});
