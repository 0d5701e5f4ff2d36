/**
 * rules - the shape of a classification rule, the context a rule sees, and the compiler that turns
 * a list of rules into one regular expression.
 * In: rule lists from phrases/<reason>.ts and providers/<provider>.ts. Out: compiled matchers.
 * RFCs: none here. Config keys: none.
 *
 * Rules are data: a lower-case phrase (substring) or a pattern over the normalised diagnostic. Each
 * rule says where its knowledge comes from (`source`: an RFC section, an MTA's own message string
 * and where it lives in that MTA's source, a provider's or blocklist operator's published reply
 * texts, or Sisimai's published reason definitions), quotes a real reply line of the family
 * (`seen`) and a variant written by us (`variant`: other words between the key terms, other codes,
 * a wrapped line) that it must match too, so that a rule is written for the family, not the sentence.
 * Per reason, all rules are joined into one alternation and tested once.
 */
import type { Action, Reason } from '../types.js';

/** One phrase rule. Exactly one of `phrase` or `pattern` is set. */
export interface PhraseRule {
  /** Lower-case substring of the normalised diagnostic (whitespace folded to single spaces). */
  phrase?: string;
  /**
   * Pattern over the same lower-case text. No flags, no capture groups. Linear on any input: no
   * unbounded quantifier next to another that can match the same characters (gaps between key terms
   * are bounded, e.g. `(?: \S{1,40}){0,3}`).
   */
  pattern?: RegExp;
  /** A real reply line of this family (addresses and hosts elided). */
  seen: string;
  /** The same family in other words: words between the key terms, other codes, wrapping. */
  variant: string;
  /** Where the knowledge comes from. A development sample alone is not a source. */
  source: string;
  /** Why this rule means what it says, or where it is not to be trusted. */
  note?: string;
  /**
   * Only for findings from these decoders (Finding.decodedBy), where the words are that MTA's own and
   * mean this only there. Such rules are tried before the provider and the general phrases.
   */
  mta?: readonly string[];
}

/** SMTP stage the rejection answered: connection/greeting, HELO/EHLO, MAIL FROM, RCPT TO, DATA. */
export type Stage = 'CONN' | 'HELO' | 'EHLO' | 'MAIL' | 'RCPT' | 'DATA' | '';

/** What every rule and refine function can see about one finding. All strings normalised. */
export interface Context {
  /** The diagnostic, lower-cased, whitespace folded, multi-line reply prefixes ("550-5.7.1 ") removed. */
  text: string;
  /**
   * `text` without what the reporting MTA wrote around the remote server's reply: Postfix's
   * "host mx.example.org[192.0.2.1] said:", Exim's "host mx.example.org [192.0.2.1]:", "(in reply
   * to RCPT TO command)". What the rejecting server itself said, for tests that ask what the reply
   * names (an IP address of ours, a temporary qualifier).
   */
  reply: string;
  /** The human-readable explanation the decoder saw for this recipient, normalised; '' if none. */
  human: string;
  /** The most specific enhanced status found ('5.7.606'), '' if none. */
  status: string;
  /** Three-digit reply code, '' if none. */
  replyCode: string;
  /** '4' or '5' (or '2'): class from the status or the reply code; '' if neither is known. */
  klass: string;
  /** The SMTP stage the rejection answered (Finding.lastCommand, or read from the text). */
  command: Stage;
  action: Action;
  /** Diagnostic-Code type, lower-case: 'smtp', 'x-unix', 'x-postfix', ... or ''. */
  diagnosticType: string;
  /** Lower-case host that rejected (Remote-MTA), '' if unknown. Recognises the receiving provider. */
  hosts: string;
  /** True when `hosts` is empty or only an IP literal: it names no host, so the recipient's domain must. */
  hostsAnonymous: boolean;
  /** Lower-case host that wrote the report (Reporting-MTA), '' if unknown. Tried after `hosts`. */
  reportingHost: string;
  /** Lower-case domain of the failed recipient, '' if unknown: names the receiving provider too. */
  recipientDomain: string;
  decodedBy: string;
}

/** The phrase table for one reason. */
export interface ReasonPhrases {
  reason: Reason;
  rules: PhraseRule[];
  /**
   * Optional second look once a phrase matched: return the reason to record (possibly another one,
   * e.g. "user unknown" answered to DATA is a filter, not a bad address), or null to let later
   * tables try.
   */
  refine?: (ctx: Context, evidence: string) => Reason | null;
  /**
   * Optional cheap guard: literals of which every match of any rule contains at least one. When
   * none occurs the table's alternation (leading \b groups, tried at every position) is skipped.
   * Keep it in step with the rules; the tests check every rule's `seen` and `variant` pass it.
   */
  keys?: RegExp;
}

/** One provider rule: a provider-specific code or phrase that decides the reason outright. */
export interface ProviderRule {
  /** Enhanced status codes this rule applies to ('5.7.606'); a RegExp tests the whole status. */
  status?: string | RegExp;
  phrase?: string;
  pattern?: RegExp;
  reason: Reason;
  seen: string;
  /** Another wording of the same documented reply (for phrase and pattern rules). */
  variant?: string;
  /** The provider's page (or the operator's documentation) that says what this reply means. */
  source: string;
  note?: string;
}

/** A receiving provider: how to recognise it and its own codes and texts. */
export interface Provider {
  /** Short kebab-case name, same as the file: 'google', 'microsoft'. */
  name: string;
  /**
   * Tested on the remote host (Remote-MTA), then, when that names no host (absent or an IP
   * literal), on the recipient's domain, and last on the reporting host.
   */
  hosts: RegExp;
  /** Tested on Context.text: texts only this provider writes (its help URLs, its code formats). */
  marks?: RegExp;
  rules: ProviderRule[];
  /** Optional: a decision that a table cannot express (codes plus command). */
  decide?: (ctx: Context) => { reason: Reason; evidence: string } | null;
  /** Where `decide` takes its knowledge from (required when `decide` is set). */
  decideSource?: string;
}

/** A compiled phrase table: one alternation for the general rules, one per MTA for qualified rules. */
export interface CompiledPhrases {
  reason: Reason;
  re: RegExp | null;
  byMta: ReadonlyMap<string, RegExp>;
  refine?: ReasonPhrases['refine'];
  keys?: RegExp;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The source of one alternative; shared by both rule kinds. */
function ruleSource(r: { phrase?: string; pattern?: RegExp }): string {
  if (r.pattern) return `(?:${r.pattern.source})`;
  if (r.phrase) return escapeRe(r.phrase.toLowerCase());
  throw new Error('classify rule without phrase or pattern');
}

/** Join rules into one RegExp, or null when the list is empty. Throws on a malformed table (a bug). */
export function compileRules(rules: ReadonlyArray<{ phrase?: string; pattern?: RegExp }>): RegExp | null {
  if (rules.length === 0) return null;
  return new RegExp(rules.map(ruleSource).join('|'));
}

export function compilePhrases(t: ReasonPhrases): CompiledPhrases {
  const general = t.rules.filter((r) => !r.mta);
  const mtas = new Set(t.rules.flatMap((r) => r.mta ?? []));
  const byMta = new Map<string, RegExp>();
  for (const m of mtas) byMta.set(m, compileRules(t.rules.filter((r) => r.mta?.includes(m)))!);
  if (general.length === 0 && byMta.size === 0) throw new Error(`classify: empty phrase table for ${t.reason}`);
  // Same shape for every table (monomorphic property access in the hot loop).
  return { reason: t.reason, re: compileRules(general), byMta, refine: t.refine, keys: t.keys };
}

/** Match one rule alone (tests use this to prove every rule matches its own `seen` line). */
export function ruleRegExp(r: { phrase?: string; pattern?: RegExp }): RegExp {
  return new RegExp(ruleSource(r));
}
