/**
 * Every regular expression in src/, found by reading the sources (TypeScript's own scanner, so a
 * pattern added tomorrow is covered without a list to keep), plus the alternations the classifier
 * builds at run time from its tables; and the adversarial inputs each one is timed on: long runs of
 * the pattern's own characters (test/patterns-linear.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface FoundPattern {
  /** Where it is: file:line, or the table it was built from. */
  where: string;
  re: RegExp;
}

const ROOT = new URL('../..', import.meta.url).pathname;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** The TypeScript files of src/ (those under `only` when given), relative to the repository. */
export function sourceFiles(only?: string[]): string[] {
  return tsFiles(join(ROOT, 'src'))
    .map((f) => relative(ROOT, f))
    .filter((rel) => !only || only.some((d) => rel.startsWith(d)));
}

function parse(rel: string): ts.SourceFile {
  return ts.createSourceFile(rel, readFileSync(join(ROOT, rel), 'utf8'), ts.ScriptTarget.ES2022, true);
}

/** Files (under `only`) that build a RegExp at run time (`new RegExp(...)`), with how many. */
export function dynamicPatternSites(only?: string[]): Map<string, number> {
  const sites = new Map<string, number>();
  for (const rel of sourceFiles(only)) {
    const sf = parse(rel);
    const visit = (n: ts.Node): void => {
      if ((ts.isNewExpression(n) || ts.isCallExpression(n)) && n.expression.getText(sf) === 'RegExp') sites.set(rel, (sites.get(rel) ?? 0) + 1);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return sites;
}

/** Every regular-expression literal in src/ (files under `only` when given). */
export function literalPatterns(only?: string[]): FoundPattern[] {
  const found: FoundPattern[] = [];
  for (const rel of sourceFiles(only)) {
    const sf = parse(rel);
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const lit = node.getText(sf);
        const end = lit.lastIndexOf('/');
        const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
        found.push({ where: `${rel}:${line}`, re: new RegExp(lit.slice(1, end), lit.slice(end + 1)) });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

// ---- the pattern's own characters ----

const CLASS_ESCAPES: Record<string, string> = {
  d: '09',
  D: 'a -',
  w: 'aZ_0',
  W: ' -.',
  s: ' \t\n',
  S: 'a.-',
};
const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', '0': '\0' };

/** Representatives of what a negated class allows: common text characters it does not exclude. */
const COMMON = 'a Z0.-_@<>:;,()[]"\'/=\n';

/**
 * The characters a pattern can match, roughly: its literals, the members (and range ends) of its
 * classes, a representative of each escape class, and for a negated class or `.` the common text
 * characters it allows. Good enough to build the runs that make a backtracking matcher retry.
 */
export function ownCharacters(re: RegExp): string[] {
  const src = re.source;
  const chars = new Set<string>();
  const add = (s: string): void => {
    for (const c of s) {
      chars.add(c);
      if (re.flags.includes('i')) {
        chars.add(c.toLowerCase());
        chars.add(c.toUpperCase());
      }
    }
  };
  /** Read one escape at src[i] === '\\'; returns [chars, next index]. */
  const escape = (i: number): [string, number] => {
    const c = src[i + 1] ?? '';
    if (c in CLASS_ESCAPES) return [CLASS_ESCAPES[c]!, i + 2];
    if (c in SIMPLE_ESCAPES && !(c === '0' && /\d/.test(src[i + 2] ?? ''))) return [SIMPLE_ESCAPES[c]!, i + 2];
    if (c === 'b' || c === 'B') return ['', i + 2];
    if (c === 'x') return [String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16)), i + 4];
    if (c === 'u' && src[i + 2] === '{') {
      const close = src.indexOf('}', i);
      return [String.fromCodePoint(parseInt(src.slice(i + 3, close), 16)), close + 1];
    }
    if (c === 'u') return [String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16)), i + 6];
    if (c === 'p' || c === 'P') {
      const close = src.indexOf('}', i);
      return ['aé', close + 1];
    }
    if (c === 'k') return ['', src.indexOf('>', i) + 1];
    if (/[1-9]/.test(c)) {
      let j = i + 1;
      while (/\d/.test(src[j] ?? '')) j++;
      return ['', j];
    }
    return [c, i + 2];
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const [s, next] = escape(i);
      add(s);
      i = next;
    } else if (c === '[') {
      const negated = src[i + 1] === '^';
      let j = negated ? i + 2 : i + 1;
      const members: string[] = [];
      while (j < src.length && src[j] !== ']') {
        let s: string;
        if (src[j] === '\\') [s, j] = escape(j);
        else s = src[j++]!;
        if (src[j] === '-' && src[j + 1] !== ']' && j + 1 < src.length && s.length === 1) {
          // A range: both ends and one inside.
          let e: string;
          let k = j + 1;
          if (src[k] === '\\') [e, k] = escape(k);
          else e = src[k++]!;
          const lo = s.codePointAt(0)!;
          const hi = e.codePointAt(0) ?? lo;
          members.push(s, e, String.fromCodePoint(Math.floor((lo + hi) / 2)));
          j = k;
        } else members.push(...s);
      }
      if (negated) {
        const allowed = new RegExp(`[^${src.slice(i + 2, j)}]`, re.flags.replace(/[gy]/g, ''));
        for (const r of COMMON) if (allowed.test(r)) add(r);
      } else add(members.join(''));
      i = j + 1;
    } else if (c === '.') {
      add('a.');
      i++;
    } else if (c === '(' && src[i + 1] === '?') {
      // Group syntax: (?: (?= (?! (?<= (?<! (?<name>
      if (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') i = src.indexOf('>', i) + 1;
      else i += src[i + 2] === '<' ? 4 : 3;
    } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(src.slice(i))) {
      i = src.indexOf('}', i) + 1;
    } else if ('()|*+?^$'.includes(c)) {
      i++;
    } else {
      add(c);
      i++;
    }
  }
  if (re.flags.includes('m') || re.flags.includes('s')) chars.add('\n');
  return [...chars].filter((c) => c !== '');
}

/** Runs of literal text in the pattern (two characters or more): the words it looks for. */
export function ownWords(re: RegExp): string[] {
  const words = new Set<string>();
  // Literal runs between syntax characters; escapes of punctuation count as the character.
  const plain = re.source.replace(/\\([^A-Za-z0-9])/g, '$1');
  for (const w of plain.split(/\\[A-Za-z]|\[[^\]]*\]|[()|*+?{}^$.\[\]]/)) {
    const t = w.replace(/^[:<=!]+/, '');
    if (t.length >= 2) words.add(t);
  }
  return [...words];
}

/**
 * The shortest text that takes a pattern up to its first unbounded quantifier: `500 ` for
 * /\b5\d\d \S+@\S+ rejected/, `host ` for /^host (\S+?).../, `<` for /^<([^<>\s]+@.../ ('' when
 * the pattern opens with one). Classes and escapes give one member, optional atoms are left out,
 * `{n}` repeats, groups are entered (their first alternative). Runs of the pattern's own
 * characters after it then reach the quantifiers an anchored pattern guards behind its opening.
 */
export function leadingLiteral(re: RegExp): string {
  const src = re.source;
  const CLASS: Record<string, string> = { d: '0', D: 'a', w: 'a', W: ' ', s: ' ', S: 'a', n: '\n', t: '\t', r: '\r' };
  let out = '';
  let i = 0;
  /** Skip a group from its "(" to the matching ")". */
  const skipGroup = (k: number): number => {
    let depth = 0;
    for (; k < src.length; k++) {
      const c = src[k]!;
      if (c === '\\') k++;
      else if (c === '[') while (k < src.length && src[k] !== ']') k += src[k] === '\\' ? 2 : 1;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return k + 1;
    }
    return k;
  };
  while (i < src.length) {
    const c = src[i]!;
    let atom: string;
    let next: number;
    if (c === '^' || c === '$') {
      i++;
      continue;
    } else if (c === '\\') {
      const n = src[i + 1] ?? '';
      if (n === 'b' || n === 'B') {
        i += 2;
        continue;
      }
      atom = n in CLASS ? CLASS[n]! : /[A-Za-z0-9]/.test(n) ? '' : n;
      if (atom === '') break;
      next = i + 2;
    } else if (c === '[') {
      let k = i + 1;
      const negated = src[k] === '^';
      if (negated) k++;
      const first = src[k] === '\\' ? (CLASS[src[k + 1] ?? ''] ?? src[k + 1] ?? 'a') : (src[k] ?? 'a');
      while (k < src.length && src[k] !== ']') k += src[k] === '\\' ? 2 : 1;
      atom = negated ? (new RegExp(src.slice(i, k + 1), re.flags.replace(/[gy]/g, '')).test('a') ? 'a' : '0') : first;
      next = k + 1;
    } else if (c === '(') {
      if (src[i + 1] === '?' && (src[i + 2] === '=' || src[i + 2] === '!' || (src[i + 2] === '<' && (src[i + 3] === '=' || src[i + 3] === '!')))) {
        i = skipGroup(i);
        continue;
      }
      const end = skipGroup(i);
      const q = src[end] ?? '';
      // An optional group is left out; a group that must match is entered (first alternative).
      if (q === '?' || q === '*' || (q === '{' && src[end + 1] === '0')) {
        i = end + (q === '{' ? src.indexOf('}', end) - end + 1 : 1);
        if (src[i] === '?') i++;
        continue;
      }
      const body = src.slice(src[i + 1] === '?' ? (src[i + 2] === '<' ? src.indexOf('>', i) + 1 : i + 3) : i + 1, end - 1);
      // An empty first alternative matches nothing more: the opening ends here.
      if (firstAlternative(body) === '') return out;
      const inner = leadingLiteral(new RegExp(firstAlternative(body), re.flags.replace(/[gy]/g, '')));
      out += inner;
      // Stop unless the group was rendered whole and is not repeated without bound.
      if (!renderedWhole(body, inner, re.flags) || q === '+' || q === '*' || q === '{') return out;
      i = end;
      continue;
    } else if (c === '.') {
      atom = 'a';
      next = i + 1;
    } else if (c === '|' || c === ')') {
      break;
    } else {
      atom = c;
      next = i + 1;
    }
    const q = src[next] ?? '';
    if (q === '?' || q === '*') break;
    if (q === '+') {
      // The first unbounded run: the inputs' runs take over from here.
      break;
    }
    if (q === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(next));
      if (!m) break;
      if (m[2] !== undefined && m[3] === '') break;
      out += atom.repeat(Number(m[1]));
      if (m[2] !== undefined) break;
      i = next + m[0].length;
      if (src[i] === '?') i++;
      continue;
    }
    out += atom;
    i = next;
  }
  return out;
}

/** The first top-level alternative of a pattern source. */
function firstAlternative(src: string): string {
  let depth = 0;
  for (let k = 0; k < src.length; k++) {
    const c = src[k]!;
    if (c === '\\') k++;
    else if (c === '[') while (k < src.length && src[k] !== ']') k += src[k] === '\\' ? 2 : 1;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return src.slice(0, k);
  }
  return src;
}

/** Whether `text` is a whole match of the group's first alternative (the rendering did not stop early). */
function renderedWhole(body: string, text: string, flags: string): boolean {
  try {
    return new RegExp(`^(?:${firstAlternative(body)})$`, flags.replace(/[gym]/g, '')).test(text);
  } catch {
    return false;
  }
}

/** A small deterministic generator (the inputs must be the same in every run). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function fill(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

/**
 * The hostile inputs for one pattern, each `length` characters: every own character repeated (and
 * once more with a character after it that the pattern cannot use, so a trailing `\s*$` or a
 * needed terminator fails at the very end), the whole alphabet in turn, each literal word repeated
 * with and without a blank, and seeded random mixtures of the alphabet.
 */
export function hostileInputs(re: RegExp, length: number): { name: string; text: string }[] {
  const alphabet = ownCharacters(re);
  const out: { name: string; text: string }[] = [];
  const show = (s: string): string => JSON.stringify(s.length > 12 ? `${s.slice(0, 12)}…` : s);
  const lead = leadingLiteral(re);
  for (const c of alphabet) {
    out.push({ name: `${show(c)} x ${length}`, text: fill(c, length) });
    out.push({ name: `${show(c)} x ${length - 1} then \\x01`, text: fill(c, length - 1) + '\x01' });
    if (lead !== '') out.push({ name: `${show(lead)} then ${show(c)} x ${length - lead.length}`, text: lead + fill(c, length - lead.length) });
  }
  if (alphabet.length > 1) out.push({ name: 'own alphabet in turn', text: fill(alphabet.join(''), length) });
  for (const w of ownWords(re).slice(0, 24)) {
    out.push({ name: `${show(w)} repeated`, text: fill(w, length) });
    out.push({ name: `${show(w + ' ')} repeated`, text: fill(`${w} `, length) });
  }
  const rand = rng(alphabet.join('').length * 7919 + re.source.length);
  for (let k = 0; k < 3 && alphabet.length > 1; k++) {
    // Runs of a few characters drawn from the alphabet, so structure (an '@' among letters, a
    // colon after a word) appears by chance.
    let s = '';
    while (s.length < length) {
      const c = alphabet[Math.floor(rand() * alphabet.length)]!;
      s += c.repeat(1 + Math.floor(rand() * 6));
    }
    out.push({ name: `random mixture ${k + 1}`, text: s.slice(0, length) });
  }
  return out;
}

/** Where untrusted text meets patterns: everything that reads a message, an envelope, a socket
 *  request or an address. (config/, cli/, jobs/, metrics and log read the operator's own input.) */
export const UNTRUSTED = ['src/parse/', 'src/decode/', 'src/classify/', 'src/address/', 'src/control/', 'src/verp/', 'src/intake/', 'src/store/normalise.ts', 'src/pipeline/plan.ts', 'src/pipeline/analyze.ts'];

/** Run a pattern the way the code does: one exec, or every match for a global one. */
export function runPattern(re: RegExp, text: string): number {
  re.lastIndex = 0;
  if (!re.global) return re.exec(text) ? 1 : 0;
  let n = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    n++;
    if (m[0] === '') re.lastIndex++;
  }
  re.lastIndex = 0;
  return n;
}
