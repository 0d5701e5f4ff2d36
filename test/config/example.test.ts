/**
 * The example config documents every key with its default (Postfix check-postconf-undocumented):
 * parsing it must give exactly `defaultConfig`, and every key without a default must appear there
 * as a commented-out `# key = value` line in its own section.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { configKeys, defaultConfig } from '../../src/config/schema.js';

const keys = new Map(configKeys().map((k) => [k.path, k]));

const file = new URL('../../config/rebound.example.toml', import.meta.url).pathname;
const text = readFileSync(file, 'utf8');

/** `section.key` for every commented-out `# key = value` line, by the section it sits in. */
function commentedKeys(): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\s*\[([a-zA-Z0-9_.]+)\]/.exec(line);
    if (header) section = header[1]!;
    if (/^#\s*\[\[imap\.mailboxes\]\]/.test(line)) section = 'imap.mailboxes[]';
    const kv = /^#\s*([a-zA-Z][a-zA-Z0-9_.]*)\s*=\s*(.*?)\s*(#.*)?$/.exec(line);
    if (kv) out.set(`${section}.${kv[1]}`, kv[2]!);
  }
  return out;
}

describe('config/rebound.example.toml', () => {
  it('sets every key in defaultConfig to its default, and nothing else', () => {
    expect(parse(text)).toEqual(defaultConfig);
  });

  it('loads cleanly and gives the defaults', () => {
    expect(loadConfig(file)).toEqual(loadConfig());
  });

  it('shows every key without a default as a commented-out line', () => {
    const commented = commentedKeys();
    const optional = [...keys.values()].filter((k) => k.optional && !k.path.startsWith('imap.mailboxes[].')).map((k) => k.path);
    const mailboxKeys = [...keys.keys()].filter((k) => k.startsWith('imap.mailboxes[].'));
    const missing = [...new Set([...optional, ...mailboxKeys])].filter((k) => !commented.has(k));
    expect(missing).toEqual([]);
  });

  it('gives commented-out values that are valid TOML of the right type', () => {
    for (const [key, value] of commentedKeys()) {
      const doc = parse(`v = ${value}`) as { v: unknown };
      const kind = keys.get(key)?.kind;
      if (kind === 'string') expect(typeof doc.v, key).toBe('string');
      if (kind === 'number') expect(typeof doc.v, key).toBe('number');
    }
  });

  it('is described key by key in docs/CONFIG.md', () => {
    const doc = readFileSync(new URL('../../docs/CONFIG.md', import.meta.url), 'utf8');
    const leaves = (v: unknown, path: string): string[] =>
      typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0
        ? Object.entries(v).flatMap(([k, x]) => leaves(x, path ? `${path}.${k}` : k))
        : [path];
    const keys = [...leaves(defaultConfig, '').filter((k) => k !== 'intake.smtp.tls'), ...commentedKeys().keys()];
    expect(keys.filter((k) => !doc.includes(`| \`${k}\` |`))).toEqual([]);
  });

  it('has no key that the schema does not know', () => {
    const commented = [...commentedKeys().keys()];
    const known = (k: string): boolean => keys.has(k);
    expect(commented.filter((k) => !known(k))).toEqual([]);
  });
});
