/**
 * readme - the README's runnable blocks, found by the marker line before each fence
 * (`<!-- test/install: NAME -->`), so the tests run what the README says and fail when a block
 * they rely on disappears. Plus what the tests change before running a block: where things go
 * (a scratch root instead of /), which user (one of the test's own instead of `rebound`), no sudo.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT_DIR = join(import.meta.dirname, '..', '..');
export const README = readFileSync(join(ROOT_DIR, 'README.md'), 'utf8');

/** The text inside the fence that follows `<!-- test/install: NAME -->`. */
export function readmeBlock(name: string, text = README): string {
  const marker = `<!-- test/install: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no block marked ${marker}`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at + marker.length));
  if (!m) throw new Error(`README.md: no fenced block after ${marker}`);
  return m[1]!;
}

/** Lines of a block without comments, joined where they continue (master.cf, shell `\`). */
export function lines(block: string): string[] {
  return block.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}

export interface Scratch {
  /** The scratch root standing in for / (paths under it). */
  root: string;
  /** The test's own user standing in for `rebound`. */
  user: string;
  /** Extra path prefixes to map, e.g. Postfix's queue directory for /var/spool/postfix. */
  extra?: Record<string, string>;
}

/** Absolute paths the README names that go under the scratch root. */
const MAPPED = ['/opt/rebound', '/usr/bin/rebound', '/etc/rebound', '/var/lib/rebound', '/run/rebound', '/etc/systemd/system'];

/**
 * A README block as it is run in a scratch root: paths moved under `root`, the user `rebound`
 * replaced, `sudo` dropped, a leading `rebound` command made the installed binary's path.
 */
export function toScratch(block: string, s: Scratch): string {
  let t = block;
  for (const [from, to] of Object.entries(s.extra ?? {})) t = t.split(from).join(to);
  for (const p of MAPPED) t = t.split(p).join(`${s.root}${p}`);
  t = t.replace(/(^|&& |\|\| |; )sudo /gm, '$1');
  t = t.replace(/(^|&& |\|\| |; )rebound /gm, `$1${s.root}/usr/bin/rebound `);
  // The user and group names: option values and the last word of useradd/usermod.
  t = t.replace(/(-o|-g|--as-user|--service-user)( +)rebound\b/g, `$1$2${s.user}`);
  t = t.replace(/^(useradd .* |usermod .* )rebound$/gm, `$1${s.user}`);
  t = t.replace(/\buser( ?= ?)rebound\b/g, `user$1${s.user}`);
  return t;
}
