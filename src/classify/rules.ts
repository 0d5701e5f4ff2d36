/**
 * rules - the shape of a classification rule, the context a rule sees, and the compiler that turns
 * a list of rules into one regular expression.
 * In: rule lists from phrases/<reason>.ts and providers/<provider>.ts. Out: compiled matchers.
 * RFCs: none here. Config keys: none.
 *
 * Rules are data, as in Sisimai's Reason/*.pm: a lower-case phrase (substring) or a pattern over the
 * normalised diagnostic, each quoting a real bounce line it was written for (`seen`). Per reason, all
 * rules are joined into one alternation and tested once, so a finding costs a few dozen regex scans
 * of a short string rather than hundreds of tests.
 */
import type { Action, Reason } from '../types.js';

/** One phrase rule. Exactly one of `phrase` or `pattern` is set. */
export interface PhraseRule {
  /** Lower-case substring of the normalised diagnostic (whitespace folded to single spaces). */
  phrase?: string;
  /** Pattern over the same lower-case text. No flags, no captures needed; keep it linear. */
  pattern?: RegExp;
  /** A real bounce line of the kind this rule matches (addresses and hosts elided). */
  seen: string;
  /** Why this rule means what it says, or where it is not to be trusted. */
  note?: string;
}

/** What every rule and refine function can see about one finding. All strings normalised. */
export interface Context {
  /** The diagnostic, lower-cased, whitespace folded, multi-line reply prefixes ("550-5.1.1 ") removed. */
  text: string;
  /** The most specific enhanced status found ('5.7.606'), '' if none. */
  status: string;
  /** Three-digit reply code, '' if none. */
  replyCode: string;
  /** '4' or '5' (or '2'): class from the status or the reply code; '' if neither is known. */
  klass: string;
  /** Upper-case SMTP command the rejection answered ('RCPT', 'DATA', ...), '' if unknown. */
  command: string;
  action: Action;
  /** Diagnostic-Code type, lower-case: 'smtp', 'x-unix', 'x-postfix', ... or ''. */
  diagnosticType: string;
  /** Lower-case host that rejected (Remote-MTA), '' if unknown. Recognises the receiving provider. */
  hosts: string;
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
   * Keep it in step with the rules; the tests check every rule's `seen` line passes it.
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
  note?: string;
}

/** A receiving provider: how to recognise it and its own codes and texts. */
export interface Provider {
  /** Short kebab-case name, same as the file: 'google', 'microsoft'. */
  name: string;
  /** Tested on Context.hosts (remote MTA, reporting MTA, decoder name): recognises the provider. */
  hosts: RegExp;
  /** Tested on Context.text when the hosts are unknown: texts only this provider writes (URLs). */
  marks?: RegExp;
  rules: ProviderRule[];
  /** Optional: a decision that a table cannot express (codes plus command). */
  decide?: (ctx: Context) => { reason: Reason; evidence: string } | null;
}

/** A compiled phrase table: one alternation. */
export interface CompiledPhrases {
  reason: Reason;
  re: RegExp;
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
  const re = compileRules(t.rules);
  if (!re) throw new Error(`classify: empty phrase table for ${t.reason}`);
  // Same shape for every table (monomorphic property access in the hot loop).
  return { reason: t.reason, re, refine: t.refine, keys: t.keys };
}

/** Match one rule alone (tests use this to prove every rule matches its own `seen` line). */
export function ruleRegExp(r: { phrase?: string; pattern?: RegExp }): RegExp {
  return new RegExp(ruleSource(r));
}
