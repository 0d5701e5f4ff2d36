/**
 * What README.md and docs/ show is what rebound does:
 * - every `rebound SUBCOMMAND ...` in a code span or block names a real subcommand, and every
 *   option it shows is one that subcommand takes (checked against the CLI's own command table);
 * - the README's walkthrough runs as written (from the repository root, `/tmp/walk.db` moved to a
 *   temporary directory) and each comment holds, the exit statuses it names included;
 * - every sample's `.json` is exactly what `rebound parse --json` prints for it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { readmeBlock, ROOT_DIR } from '../support/readme.js';

const docs = ['README.md', ...readdirSync(join(ROOT_DIR, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Code spans and fenced-block lines of a markdown file, with the line they start on. */
function codeOf(text: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  let fenced = false;
  for (const [i, raw] of text.split('\n').entries()) {
    if (/^\s*```/.test(raw)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) out.push({ line: i + 1, code: raw });
    else for (const m of raw.matchAll(/`([^`]+)`/g)) out.push({ line: i + 1, code: m[1]! });
  }
  return out;
}

interface Shown {
  file: string;
  line: number;
  text: string;
  words: string[];
}

/** Every `rebound WORD ...` in code, cut at a comment, a pipe or the next shell command. */
const SUBCOMMANDS = new Set((await buildProgram(['node', 'rebound'])).commands.map((c) => c.name()));

function commandsShown(): Shown[] {
  const shown: Shown[] = [];
  for (const file of docs) {
    for (const { line, code } of codeOf(readFileSync(join(ROOT_DIR, file), 'utf8'))) {
      // A master.cf service named rebound ("rebound unix - n n ... pipe") is not a command.
      if (/^rebound\s+unix\s/.test(code)) continue;
      // In tables, `\|` separates alternatives.
      const flat = code.replaceAll('\\|', ' ');
      for (const m of flat.matchAll(/(^|.)rebound\s+([a-z][a-z-]*)([^#|;&]*)/g)) {
        const before = flat.slice(0, m.index + m[1]!.length);
        // Where a command starts: the start of the code, after a prompt, sudo, npx, && or ||, or
        // as the installed binary (/usr/bin/rebound ...). Elsewhere (an error message that names
        // rebound, a path ending in /rebound) only a real subcommand's name counts as one.
        const commandPosition = /(^|^\$ |\bsudo |\bnpx |&& |\|\| |; )$/.test(before) || /\/usr\/bin\/$/.test(before);
        if (!commandPosition && !SUBCOMMANDS.has(m[2]!)) continue;
        if (m[1] !== '' && /[\w.=-]/.test(m[1]!) && !/\/usr\/bin\/$/.test(before)) continue;
        const text = `rebound ${m[2]}${m[3]}`.trim();
        shown.push({ file, line, text, words: text.split(/\s+/) });
      }
    }
  }
  return shown;
}

function optionNames(cmd: Command): Set<string> {
  const names = new Set(['--help', '-h']);
  for (const o of cmd.options) {
    if (o.long) names.add(o.long);
    if (o.short) names.add(o.short);
    // --no-progress is declared as such; --progress is its implied positive.
    if (o.long?.startsWith('--no-')) names.add(o.long);
  }
  return names;
}

describe('every rebound command line in README.md and docs/', () => {
  let program: Command;
  beforeAll(async () => {
    program = await buildProgram(['node', 'rebound']);
  });
  const shown = commandsShown();

  it('finds the command lines (the check below covers something)', () => {
    expect(shown.length).toBeGreaterThan(60);
    // Each subcommand the CLI has is shown somewhere.
    expect([...SUBCOMMANDS].filter((c) => !shown.some((s) => s.words[1] === c))).toEqual([]);
    const files = new Set(shown.map((s) => s.file));
    for (const f of ['README.md', 'docs/CONFIG.md', 'docs/SOCKET.md', 'docs/IMAP.md']) expect(files, f).toContain(f);
  });

  it('names real subcommands and options', () => {
    expect(problemsIn(shown, program)).toEqual([]);
  });

  it('would catch a wrong subcommand or option (so the check above means something)', () => {
    const fake = (text: string): Shown => ({ file: 'x.md', line: 1, text, words: text.split(/\s+/) });
    expect(problemsIn([fake('rebound stauts a@b.c'), fake('rebound status --db x --jsn a@b.c'), fake('rebound verp sing a@b.c'), fake('rebound status --json --now T a@b.c')], program)).toEqual([
      'x.md:1: rebound stauts a@b.c: no subcommand "stauts"',
      'x.md:1: rebound status --db x --jsn a@b.c: "status" has no option --jsn',
      'x.md:1: rebound verp sing a@b.c: "verp" has no subcommand "sing"',
    ]);
  });
});

function problemsIn(shown: Shown[], program: Command): string[] {
  {
    const problems: string[] = [];
    for (const s of shown) {
      const where = `${s.file}:${s.line}: ${s.text}`;
      let cmd = program.commands.find((c) => c.name() === s.words[1]);
      if (!cmd) {
        problems.push(`${where}: no subcommand "${s.words[1]}"`);
        continue;
      }
      let rest = s.words.slice(2);
      if (cmd.commands.length > 0) {
        const sub = cmd.commands.find((c) => c.name() === rest[0]);
        if (!sub) {
          problems.push(`${where}: "${cmd.name()}" has no subcommand "${rest[0] ?? ''}"`);
          continue;
        }
        cmd = sub;
        rest = rest.slice(1);
      }
      const known = optionNames(cmd);
      for (const w of rest) {
        const flag = /^\[?(--?[a-zA-Z][\w-]*)/.exec(w)?.[1];
        if (flag && !known.has(flag)) problems.push(`${where}: "${cmd.name()}" has no option ${flag}`);
      }
    }
    return problems;
  }
}

describe('the README walkthrough, run as written', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rebound-walk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const block = readmeBlock('walkthrough');
  const steps = block
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [cmd, comment] = [l.replace(/\s+#.*$/, ''), /#\s*(.*)$/.exec(l)?.[1] ?? ''];
      return { cmd, comment };
    });

  /** What each comment says, as checks on the command's output, keyed by a part of the command. */
  const claims: [RegExp, (out: string, code: number | null) => void][] = [
    [
      /^npx rebound parse samples\/postfix\/\*\.eml samples\/written\/\*\.eml$/,
      (out) => {
        // "a readable table: 10 messages, a line per recipient"
        expect(out.split('\n').filter((l) => /^samples\/\S+\.eml: /.test(l))).toHaveLength(10);
        expect(out.split('\n').filter((l) => /^ {2}\S+@\S+ {2}/.test(l))).toHaveLength(10);
      },
    ],
    [
      /^npx rebound parse --json samples\/postfix\/02-no-such-user-bounce\.eml$/,
      (out) => {
        // "the JSON contract, as in samples/postfix/02-no-such-user-bounce.json"
        expect(JSON.parse(out)).toEqual(JSON.parse(readFileSync(join(ROOT_DIR, 'samples/postfix/02-no-such-user-bounce.json'), 'utf8')));
      },
    ],
    [
      /^npx rebound ingest /,
      (out) => {
        // "10 stored, 7 recipient failures"
        expect(out).toMatch(/10 read, 10 stored, 0 duplicates/);
        expect(out).toMatch(/bounces: +7 recipient failures/);
      },
    ],
    [
      /--now 2026-11-26T12:00Z spam\.blocked@example\.net$/,
      (out) => {
        // "suspended until 2026-11-27T04:35:20Z, not invalid"
        expect(out).toMatch(/may send now: +no - suspended until 2026-11-27T04:35:20\.000Z/);
        expect(out).toMatch(/email invalid: +no/);
      },
    ],
    [
      /--now 2026-11-27T06:00Z spam\.blocked@example\.net$/,
      (out) => {
        // "24 h after the bounce: may send again"
        expect(out).toMatch(/may send now: +yes/);
        expect(out).toMatch(/email suspended: +yes at 2026-11-26T04:35:20\.000Z/);
      },
    ],
    [
      /^npx rebound list .*--invalid$/,
      (out) => {
        // "no.such.user, moved.away (Postfix), frank (qmail)"
        expect(out.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['no.such.user@example.net', 'moved.away@example.net', 'frank@example.net']);
      },
    ],
    [
      /^npx rebound check /,
      (out) => {
        // "invalid, suspended, ok"
        expect(out.split('\n').filter(Boolean).map((l) => l.split('\t')[1])).toEqual(['invalid', 'suspended', 'ok']);
      },
    ],
  ];

  it('has the steps this test knows (a changed README needs its claims here too)', () => {
    expect(steps.map((s) => claims.filter(([re]) => re.test(s.cmd)).length)).toEqual(steps.map(() => 1));
  });

  it('runs each step from the repository root; every comment holds, its exit status too', () => {
    rmSync(join(dir, 'walk.db'), { force: true });
    for (const { cmd, comment } of steps) {
      const line = cmd.replaceAll('/tmp/walk.db', join(dir, 'walk.db'));
      const r = spawnSync('sh', ['-c', line], { cwd: ROOT_DIR, encoding: 'utf8', timeout: 60_000, env: { ...process.env, REBOUND_CONFIG: '' } });
      const out = `${r.stdout}`;
      const exit = /exit (\d+)/.exec(comment);
      expect(r.status, `${cmd}\n${r.stderr}`).toBe(exit ? Number(exit[1]) : 0);
      for (const [re, check] of claims) if (re.test(cmd)) check(out, r.status);
    }
  });
});

describe('samples: each .json is what `rebound parse --json` prints', { timeout: 60_000 }, () => {
  it('for every sample, run from the repository root as the README does', () => {
    const emls = ['postfix', 'written'].flatMap((d) =>
      readdirSync(join(ROOT_DIR, 'samples', d))
        .filter((f) => f.endsWith('.eml'))
        .map((f) => `samples/${d}/${f}`),
    );
    expect(emls.length).toBeGreaterThanOrEqual(10);
    const r = spawnSync(process.execPath, [join(ROOT_DIR, 'dist/main.js'), 'parse', '--json', ...emls], { cwd: ROOT_DIR, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { source: string });
    expect(got.map((g) => g.source)).toEqual(emls);
    for (const g of got) expect(g, g.source).toEqual(JSON.parse(readFileSync(join(ROOT_DIR, g.source.replace(/\.eml$/, '.json')), 'utf8')));
  });
});
