/**
 * decode/arf - read complaint (feedback loop) reports.
 * In: DecodeInput. Out: one Finding per complained-about address, reasonHint 'feedback' and the
 * Feedback-Type; Report.original from the returned message.
 * Formats:
 *  - RFC 5965 ARF: multipart/report; report-type=feedback-report with a message/feedback-report
 *    part (Feedback-Type, Original-Rcpt-To, Removal-Recipient). The address is Original-Rcpt-To,
 *    else Removal-Recipient, else the returned message's To:.
 *  - Hotmail/Outlook.com JMRP ("complaint about message from 192.0.2.1", the original attached as
 *    message/rfc822 with X-HmXmrOriginalRecipient), AOL-style loops that forward the original as an
 *    attachment from a feedback address ("Email Feedback Report for IP ...").
 *  - Apple Mail's one-click unsubscribe (X-Apple-Unsubscribe: true): opt-out from the From address.
 * No config keys.
 */
import type { DecodeInput, DecodeResult, Decoder } from './types.js';
import { findOriginal, findOriginalHeaders } from './text.js';
import type { Finding } from '../types.js';
import { addressFromField } from '../parse/dsn.js';
import { parseHeaders, type MimePart } from '../parse/message.js';

const NAME = 'arf';

function findFeedbackPart(root: MimePart): MimePart | undefined {
  if (root.type === 'message/feedback-report') return root;
  // Not inside attached messages: a forwarded complaint is the forwarder's business.
  if (root.type === 'message/rfc822' || root.type === 'message/global') return undefined;
  for (const p of root.parts) {
    const f = findFeedbackPart(p);
    if (f) return f;
  }
  return undefined;
}

function isArfReport(root: MimePart): boolean {
  if (root.type === 'multipart/report' && (root.params['report-type'] ?? '').toLowerCase() === 'feedback-report') return true;
  return findFeedbackPart(root) !== undefined;
}

/** Split an address list header ("A <a@x>, b@y") into addresses. */
export function addressList(value: string): string[] {
  const out: string[] = [];
  // Bounded: the token regex rescans a long '@'-less run from every start.
  const v = value.length > 10_000 ? value.slice(0, 10_000) : value;
  const re = /<([^<>\s@]+@[^<>\s]+)>|(?<![^\s<>,;:"()])([^\s<>,;:"()]+@[^\s<>,;:"()]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v)) !== null && out.length < 1000) {
    out.push(addressFromField(m[1] ?? m[2] ?? ''));
  }
  return out;
}

function feedbackFinding(recipient: string, feedbackType: string, reportingMta: string): Finding {
  return {
    recipient,
    action: '',
    status: '',
    replyCode: '',
    diagnostic: '',
    diagnosticType: '',
    remoteMta: '',
    reportingMta,
    lastCommand: '',
    reasonHint: 'feedback',
    feedbackType,
    decodedBy: NAME,
  };
}

/** An attached message/rfc822 carrying Hotmail's X-HmXmrOriginalRecipient (already parsed: cheap). */
function hasHotmailRecipient(p: MimePart): boolean {
  if ((p.type === 'message/rfc822' || p.type === 'message/global') && p.parts[0]) {
    return p.parts[0].headers.get('x-hmxmroriginalrecipient') !== undefined;
  }
  return p.parts.some(hasHotmailRecipient);
}

/** "fbl@...", "complaints@...", "feedbackloop-x <a@...>": a loop's word, then an "@" somewhere
 *  after it. By index: /\b(?:fbl|...)[^@]*@/ rescanned the rest from every such word. */
function fblSender(from: string): boolean {
  const w = /\b(?:fbl|feedbackloop|feedback-loop|complaints?)/i.exec(from);
  return w !== null && from.indexOf('@', w.index + w[0].length) >= 0;
}

/** Non-standard loops: a complaint that just attaches the original message. */
function isForwardedComplaint(input: DecodeInput): boolean {
  // "Subject: complaint about message from 192.0.2.222" (Hotmail), "Email Feedback Report for IP" (AOL).
  const subj = /complaint about message from|feedback report for ip|\babuse report\b|spam complaint/i.test(input.subject);
  const from = /staff@hotmail\.com|scomp@aol\.net/i.test(input.from) || fblSender(input.from);
  if (subj && from) return findOriginalHeaders(input.msg.root) !== undefined;
  return hasHotmailRecipient(input.msg.root);
}

export const arf: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    return (
      isArfReport(input.msg.root) ||
      /^true$/i.test(input.msg.headers.get('x-apple-unsubscribe') ?? '') ||
      isForwardedComplaint(input)
    );
  },

  decode(input: DecodeInput): DecodeResult | null {
    const original = findOriginal(input.msg.root);
    const part = findFeedbackPart(input.msg.root);

    // RFC 5965 report.
    if (part) {
      const f = parseHeaders(part.body);
      const feedbackType = (f.get('feedback-type') ?? 'abuse').trim().toLowerCase().split(/[\s;(]/)[0] || 'abuse';
      const reporting = (f.get('reporting-mta') ?? '').replace(/^[^;]*;\s*/, '').trim();
      let rcpts = f.getAll('original-rcpt-to').flatMap(addressList);
      if (rcpts.length === 0) rcpts = f.getAll('removal-recipient').flatMap(addressList);
      if (rcpts.length === 0 && original) rcpts = addressList(original.to);
      if (rcpts.length === 0) {
        const oh = findOriginalHeaders(input.msg.root);
        const x = oh?.get('x-hmxmroriginalrecipient');
        if (x) rcpts = addressList(x);
      }
      if (rcpts.length === 0) rcpts = [''];
      return {
        type: 'feedback',
        findings: rcpts.map((r) => feedbackFinding(r, feedbackType, reporting)),
        ...(original ? { original } : {}),
      };
    }

    // Apple Mail unsubscribe: the sender wants out.
    if (/^true$/i.test(input.msg.headers.get('x-apple-unsubscribe') ?? '')) {
      const who = addressList(input.msg.headers.text('from'));
      return { type: 'feedback', findings: [feedbackFinding(who[0] ?? '', 'opt-out', '')] };
    }

    // Forwarded complaint (Hotmail JMRP, AOL-style).
    if (isForwardedComplaint(input)) {
      const oh = findOriginalHeaders(input.msg.root);
      let rcpts = addressList(oh?.get('x-hmxmroriginalrecipient') ?? '');
      if (rcpts.length === 0) rcpts = addressList(oh?.text('to') ?? '');
      if (rcpts.length === 0) rcpts = [''];
      return {
        type: 'feedback',
        findings: rcpts.slice(0, 1).map((r) => feedbackFinding(r, 'abuse', '')),
        ...(original ? { original } : {}),
      };
    }
    return null;
  },
};
