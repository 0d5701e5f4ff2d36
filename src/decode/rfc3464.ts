/**
 * decode/rfc3464 - the generic decoder for standard delivery status notifications.
 * In: DecodeInput whose tree holds a message/delivery-status or message/global-delivery-status part
 * (RFC 3464, RFC 6533), usually inside multipart/report (RFC 6522), at any depth.
 * Out: one Finding per recipient record, in report order; Report.original from the returned
 * message (message/rfc822) or headers (text/rfc822-headers).
 * What the fields leave out comes from the human-readable part (dsn-human.ts). The same fields
 * written as plain text are dsn-text.ts (rfc3464Text), tried after the MTA decoders.
 * No config keys.
 *
 * Sample (Postfix):
 *   Reporting-MTA: dns; mail.example.jp
 *
 *   Final-Recipient: rfc822; kijitora@example.org
 *   Action: failed
 *   Status: 5.1.1
 *   Remote-MTA: dns; mx.example.org
 *   Diagnostic-Code: smtp; 550 5.1.1 <kijitora@example.org>: Recipient address rejected:
 *       User unknown in local recipient table
 */
import {
  findLastCommand,
  findReplyCode,
  mostSpecificStatus,
  parseDeliveryStatus,
  looksLikeAddress,
  readAddressField,
  readMtaField,
  readStatusField,
  splitTyped,
  squeeze,
  stripComments,
  type Fields,
} from '../parse/dsn.js';
import type { MimePart } from '../parse/message.js';
import type { Action, Finding } from '../types.js';
import { findOriginal } from './text.js';
import type { DecodeInput, DecodeResult, Decoder } from './types.js';
import { completeFromTranscript, diagnosticFromTranscript, fillFromText, refineFromTranscript } from './dsn-human.js';
import { rfc3464Text } from './dsn-text.js';

export { deferralPattern, fillFromText } from './dsn-human.js';
export { rfc3464Text } from './dsn-text.js';

const NAME = 'rfc3464';

const DS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const ATTACHED = new Set(['message/rfc822', 'message/global', 'message/partial-rfc822']);

/**
 * The delivery-status parts of a tree. Those outside any attached message come first; a DSN that
 * only exists inside an attached message (a relay that wraps the bounce it passes on) is used when
 * there is no other and `attached` allows it (the registry allows it only for a message from a
 * mail system: a person forwarding a bounce is not a bounce).
 */
export function findDeliveryStatusParts(root: MimePart, opts: { attached: boolean } = { attached: true }): MimePart[] {
  const outer: MimePart[] = [];
  const inner: MimePart[] = [];
  const visit = (p: MimePart, attached: boolean): void => {
    if (DS_TYPES.has(p.type)) {
      (attached ? inner : outer).push(p);
      return;
    }
    const a = attached || ATTACHED.has(p.type);
    for (const c of p.parts) visit(c, a);
  };
  visit(root, false);
  return outer.length > 0 || !opts.attached ? outer : inner;
}

/**
 * A multipart/report;report-type=delivery-status whose delivery-status part is mislabelled
 * (text/plain): the fields arrive in the message's text (inline text parts are joined by the
 * parser), and are read from there before the MTA decoders get a turn. Reads the text only for
 * such a report.
 */
export function mislabelledReport(input: DecodeInput): boolean {
  const root = input.msg.root;
  return (
    root.type === 'multipart/report' &&
    (root.params['report-type'] ?? '').toLowerCase().includes('delivery-status') &&
    findDeliveryStatusParts(root).length === 0 &&
    looksLikeDsn(input.text)
  );
}

/** Cheap check that a text holds RFC 3464 recipient fields. */
export function looksLikeDsn(text: string): boolean {
  return /^(?:Final|Original)-Recipient[ \t]*:/im.test(text) && /^(?:Action|Status)[ \t]*:/im.test(text);
}

function readAction(v: string | undefined, status: string, fields: Fields): Action {
  if (v !== undefined) {
    const a = stripComments(v).toLowerCase().split(/[\s;]/)[0] ?? '';
    if (a === 'failed' || a === 'delayed' || a === 'delivered' || a === 'relayed' || a === 'expanded') return a;
    if (a.startsWith('fail')) return 'failed';
    if (a.startsWith('delay')) return 'delayed';
    if (a.startsWith('deliver')) return 'delivered';
  }
  // No (usable) Action: infer from the status class.
  if (status.startsWith('2.')) return 'delivered';
  if (status.startsWith('4.') && fields['will-retry-until'] !== undefined) return 'delayed';
  if (status.startsWith('5.') || status.startsWith('4.')) return 'failed';
  return '';
}

/** One recipient record to a Finding. */
function toFinding(r: Fields, message: Fields, decodedBy: string): Finding {
  // Which address: the one we sent to. Original-Recipient (the ORCPT we gave) when it is an
  // address - Final-Recipient may be what an alias or forward expanded it to - else
  // Final-Recipient, unless that is not an address either (a local alias or pipe).
  let recipient = readAddressField(r['final-recipient']);
  const orig = readAddressField(r['original-recipient']);
  if (looksLikeAddress(orig)) recipient = orig;
  else if (!recipient.includes('@')) {
    const actual = readAddressField(r['x-actual-recipient']);
    if (orig.includes('@')) recipient = orig;
    else if (actual.includes('@') && !/\s|\|/.test(actual)) recipient = actual;
    else if (recipient === '') recipient = orig || actual;
  }

  const diag = r['diagnostic-code'] !== undefined ? splitTyped(r['diagnostic-code']) : { type: '', value: '' };
  const diagnostic = squeeze(diag.value);
  const statusField = readStatusField(r['status']);
  const status = mostSpecificStatus(statusField, diagnostic);
  return {
    recipient,
    action: readAction(r['action'], status, r),
    status,
    // "X-Unix; 255" is an exit status, not an SMTP reply.
    replyCode: diag.type === '' || diag.type === 'smtp' ? findReplyCode(diagnostic) : '',
    diagnostic,
    diagnosticType: diag.type,
    remoteMta: readMtaField(r['remote-mta']),
    reportingMta: readMtaField(message['reporting-mta']),
    lastCommand: findLastCommand(diagnostic),
    decodedBy,
  };
}

export function decodeParts(input: DecodeInput, texts: string[]): DecodeResult | null {
  const findings: Finding[] = [];
  const problems: string[] = [];
  /** Records with neither Action nor Status: a report cut short may end inside one. */
  const bare = new Set<Finding>();
  for (const t of texts) {
    const ds = parseDeliveryStatus(t);
    problems.push(...ds.problems);
    for (const r of ds.recipients) {
      const f = toFinding(r, ds.message, NAME);
      if (r['action'] === undefined && r['status'] === undefined) bare.add(f);
      findings.push(f);
    }
  }
  if (findings.length === 0) return null;
  // A recipient that is a path or pipe ("Final-Recipient: rfc822;/var/mail/x"): the bounce's
  // X-Failed-Recipients (Exim) names the address, one per finding.
  if (findings.some((f) => !f.recipient.includes('@'))) {
    const failed = (input.msg.headers.get('x-failed-recipients') ?? '').split(',').map((a) => readAddressField(a)).filter((a) => a.includes('@'));
    if (failed.length === findings.length) findings.forEach((f, i) => { if (!f.recipient.includes('@')) f.recipient = failed[i]!; });
  }
  // Still not an address ("rfc822", "ty": the report was cut short mid-field). A record that also
  // lacks Action and Status is a fragment: drop it. Otherwise keep it, but say so.
  for (let i = findings.length - 1; i >= 0; i--) {
    const f = findings[i]!;
    if (looksLikeAddress(f.recipient)) continue;
    if (bare.has(f)) {
      problems.push(`delivery-status: recipient record without an address, Action or Status dropped (cut short?): "${f.recipient.slice(0, 60)}"`);
      findings.splice(i, 1);
    } else {
      problems.push(`delivery-status: recipient "${f.recipient.slice(0, 60)}" is not an address`);
    }
  }
  if (findings.length === 0) return null;
  // Lower-cased text computed once, and only when an address is not found as written.
  let low: string | undefined;
  const lower = (): string => (low ??= input.text.toLowerCase());
  // fillFromText only fills these three: a finding that has them needs no text (read lazily).
  for (const f of findings) if (f.remoteMta === '' || f.lastCommand === '' || f.diagnostic === '') fillFromText(f, input.text, lower);
  const textOf = (): string => input.text;
  completeFromTranscript(findings, textOf);
  diagnosticFromTranscript(findings, textOf);
  refineFromTranscript(findings, textOf);
  const original = findOriginal(input.msg.root);
  return { findings, ...(original ? { original } : {}), problems };
}

export const rfc3464: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    return findDeliveryStatusParts(input.msg.root).length > 0 || mislabelledReport(input);
  },
  decode(input: DecodeInput): DecodeResult | null {
    const parts = findDeliveryStatusParts(input.msg.root);
    if (parts.length === 0) return mislabelledReport(input) ? rfc3464Text.decode(input) : null;
    return decodeParts(
      input,
      parts.map((p) => p.body),
    );
  },
};

