/**
 * decode - the decoder registry: is this message a bounce, and which decoder reads it, in which order.
 * In: ParsedMessage, and the envelope when the caller knows it (DecodeContext: MAIL FROM, RCPT TO).
 * Out: Report (type, findings in report order, problems, original headers).
 * Never throws: a decoder that fails is recorded as a problem and the next one is tried.
 *
 * A message is decoded as a bounce only with bounce evidence (decode/evidence.ts): a null or
 * MAILER-DAEMON/postmaster return path or sender, a delivery-status part, a returned original
 * message, or a known MTA report structure (a decoder's structure()). A person's message, a forward
 * or a reply ("Fwd:", "Re:" ...) is never one, whatever it quotes or attaches.
 *
 * Order (first match wins):
 *   1. arf           feedback reports (RFC 5965) and non-standard complaint loops
 *   2. persons       a person's message, or a forward/reply not from a mail system: an auto-reply
 *                    or not-bounce, nothing else
 *   3. list replies  mailing-list command replies and administrivia: not-bounce
 *   4. auto-reply    RFC 3834 or an auto-reply subject, from a sender that is not a mail system
 *   5. rfc3464       message/delivery-status or message/global-delivery-status parts (RFC 3464,
 *                    6522, 6533; inside an attached message only from a mail system); then the
 *                    `enrich` of every MTA decoder whose detect() or structure() passes
 *   6. MDN           read receipts (RFC 8098 message/disposition-notification): not a bounce
 *   7. mtaDecoders   non-standard formats, in the order of the array below: each decoder whose
 *                    structure() finds its markers, or whose detect() matches its preferred
 *                    signals (subject, From, headers) on a message from a mail system
 *   8. rfc3464 text  DSN fields written as plain text
 *   9. auto-reply    from a mail system, after the bounce formats (Exim marks its own DSNs
 *                    "Auto-Submitted: auto-replied")
 *  10. free-text     a free-text bounce from a mail system naming failed addresses on error
 *                    lines, after recipient labels or under a list sentence (decode/free-text.ts)
 *  11. not-bounce
 * No config keys.
 */
import { arf } from './arf.js';
import type { MimePart, ParsedMessage } from '../parse/message.js';
import type { Finding, MessageType, Report } from '../types.js';
import { isDaemonAddress, readEvidence, type Evidence } from './evidence.js';
import { autoReplies, isListCommandReply } from './notices.js';
import { freeText } from './free-text.js';
import { findDeliveryStatusParts, mislabelledReport, rfc3464, rfc3464Text } from './rfc3464.js';
import { buildDecodeInput, findOriginalHeaders } from './text.js';
import type { DecodeContext, DecodeInput, DecodeResult, Decoder } from './types.js';

// MTA decoders: one import here ...
// Group B: providers (Microsoft, Google, Yahoo, cloud services), before the generic MTA readers.
import { office365 } from './mta/office365.js';
import { exchange2007 } from './mta/exchange2007.js';
import { exchange2003 } from './mta/exchange2003.js';
import { googlegroups } from './mta/googlegroups.js';
import { googleworkspace } from './mta/googleworkspace.js';
import { gmail } from './mta/gmail.js';
import { yahoo } from './mta/yahoo.js';
import { mailru } from './mta/mailru.js';
import { gmx } from './mta/gmx.js';
import { einsundeins } from './mta/einsundeins.js';
import { zoho } from './mta/zoho.js';
import { verizon } from './mta/verizon.js';
import { mimecast } from './mta/mimecast.js';
import { amazonses } from './mta/amazonses.js';
import { amazonworkmail } from './mta/amazonworkmail.js';
import { outlook } from './mta/outlook.js';
// Group A: appliances and small MTAs with their own layouts, before the generic Unix MTA readers.
import { mxlogic } from './mta/mxlogic.js';
import { activehunter } from './mta/activehunter.js';
import { mfilter } from './mta/mfilter.js';
import { fml } from './mta/fml.js';
import { x1 } from './mta/x1.js';
import { x2 } from './mta/x2.js';
import { x3 } from './mta/x3.js';
import { x4 } from './mta/x4.js';
import { x6 } from './mta/x6.js';
import { kddi } from './mta/kddi.js';
import { ezweb } from './mta/ezweb.js';
import { biglobe } from './mta/biglobe.js';
import { imailserver } from './mta/imailserver.js';
import { trendmicro } from './mta/trendmicro.js';
import { mailfoundry } from './mta/mailfoundry.js';
import { apachejames } from './mta/apachejames.js';
import { domino } from './mta/domino.js';
import { notes } from './mta/notes.js';
import { groupwise } from './mta/groupwise.js';
import { exim } from './mta/exim.js';
import { qmail } from './mta/qmail.js';
import { dragonfly } from './mta/dragonfly.js';
import { v5sendmail } from './mta/v5sendmail.js';
import { sendmail } from './mta/sendmail.js';
import { postfix } from './mta/postfix.js';
import { opensmtpd } from './mta/opensmtpd.js';
import { courier } from './mta/courier.js';

export { buildDecodeInput } from './text.js';

/**
 * Non-standard MTA decoders, tried in this order after RFC 3464. To add one: import it above and
 * add one line here. Put specific formats (a provider's own layout) before generic ones
 * (sendmail-like text) so the generic reader does not claim them.
 */
export const mtaDecoders: Decoder[] = [
  office365,
  exchange2007,
  exchange2003,
  googlegroups,
  googleworkspace,
  gmail,
  yahoo,
  mailru,
  // 1&1 writes GMX's layout (same company): its domain first, GMX's structure claims the rest.
  einsundeins,
  gmx,
  zoho,
  verizon,
  mimecast,
  amazonworkmail,
  amazonses,
  outlook,
  mxlogic,
  activehunter,
  mfilter,
  fml,
  x1,
  x2,
  x3,
  x4,
  x6,
  kddi,
  ezweb,
  biglobe,
  imailserver,
  trendmicro,
  mailfoundry,
  apachejames,
  domino,
  notes,
  groupwise,
  exim,
  qmail,
  dragonfly,
  v5sendmail,
  sendmail,
  postfix,
  opensmtpd,
  courier,
];

const MDN_TYPES = new Set(['message/disposition-notification', 'message/global-disposition-notification']);

function isReadReceipt(root: MimePart): boolean {
  if (root.type === 'multipart/report' && /disposition-notification/i.test(root.params['report-type'] ?? '')) return true;
  return root.parts.some((p) => MDN_TYPES.has(p.type));
}

/** Message type from the actions, unless the decoder said. */
function typeOf(result: DecodeResult): MessageType {
  if (result.type) return result.type;
  const f = result.findings;
  if (f.length > 0 && f.every((x) => x.action === 'delayed')) return 'delayed';
  if (f.length > 0 && f.every((x) => x.action === 'delivered' || x.action === 'relayed' || x.action === 'expanded')) return 'delivered';
  return 'bounce';
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run one decoder's decode(), catching its bugs; `own()` names addresses that are no recipient. */
function runDecode(d: Decoder, input: DecodeInput, problems: string[], own?: () => Set<string>): DecodeResult | null {
  try {
    const r = d.decode(input);
    if (r && own && r.findings.length > 0) dropOwn(r, own(), d.name);
    if (r && r.findings.length > 0) return r;
  } catch (err) {
    problems.push(`decoder ${d.name} failed: ${errText(err)}`);
  }
  return null;
}

/**
 * A report written as text names addresses of our side too (our VERP address, the daemon's From and
 * Return-Path; for free prose also the bounce's To): none of them is a failed recipient.
 * Delivery-status fields are not filtered: they name recipients by definition.
 */
function dropOwn(r: DecodeResult, own: Set<string>, name: string): void {
  const kept = r.findings.filter((f) => f.decodedBy === 'auto-reply' || !own.has(f.recipient.toLowerCase()));
  if (kept.length === r.findings.length) return;
  r.problems = [...(r.problems ?? []), `${name}: ${r.findings.length - kept.length} address(es) of the sender's own side not taken as recipients`];
  r.findings = kept;
}

/** detect() then decode(), as for the decoders outside the MTA list. */
function tryDecode(d: Decoder, input: DecodeInput, problems: string[]): DecodeResult | null {
  try {
    if (!d.detect(input)) return null;
  } catch (err) {
    problems.push(`decoder ${d.name} failed: ${errText(err)}`);
    return null;
  }
  return runDecode(d, input, problems);
}

function safely(problems: string[], d: Decoder, test: () => boolean): boolean {
  try {
    return test();
  } catch (err) {
    problems.push(`decoder ${d.name} failed: ${errText(err)}`);
    return false;
  }
}

function toReport(d: Decoder, r: DecodeResult, problems: string[]): Report {
  for (const f of r.findings) if (!f.decodedBy) f.decodedBy = d.name;
  const report: Report = {
    type: typeOf(r),
    findings: r.findings,
    decodedBy: d.name,
    problems: r.problems ? [...problems, ...r.problems] : problems,
  };
  if (r.original) report.original = r.original;
  return report;
}

function notBounce(problems: string[], decodedBy = ''): Report {
  return { type: 'not-bounce', findings: [] as Finding[], decodedBy, problems };
}

/**
 * A finding whose verdict an MTA decoder's text could still change: no diagnostic, no or a generic
 * status, or a "delayed" the text may show to be final (OpenSMTPD's expired envelope). Only then
 * are the enrichers asked by structure (their detect() is asked always).
 */
function improvable(f: Finding): boolean {
  return !f.diagnostic || !f.status || /^\d\.0\.0$/.test(f.status) || f.action === 'delayed';
}

/** A DSN read by rfc3464, then improved by the MTA decoders that recognise the sender or its text. */
function standardReport(r: DecodeResult, input: DecodeInput, problems: string[]): Report {
  const report = toReport(rfc3464, r, problems);
  // structure() reads the text, which a complete DSN never needs: ask it only when it can help.
  const byStructure = report.findings.some(improvable);
  for (const d of mtaDecoders) {
    if (!d.enrich) continue;
    try {
      if (d.detect(input) || (byStructure && d.structure?.(input))) d.enrich(report, input);
    } catch (err) {
      report.problems.push(`decoder ${d.name} enrich failed: ${errText(err)}`);
    }
  }
  report.type = typeOf({ findings: report.findings, ...(r.type ? { type: r.type } : {}) });
  return report;
}

/**
 * The non-standard formats, in the order of mtaDecoders (specific layouts before generic ones):
 * a decoder reads the message when its structure() finds its markers, or when its detect()
 * matches (its preferred signals: subject, From, headers) and the message is from a mail system or
 * returns the original. So a variant of an MTA whose subject or banner was changed is still read
 * by its own decoder, and a specific layout is not claimed by a generic reader whose subject
 * happens to match.
 */
function mtaReport(input: DecodeInput, ev: Evidence, problems: string[]): Report | null {
  let sender: boolean | undefined;
  for (const d of mtaDecoders) {
    // detect() first: it reads headers only; structure() reads the text.
    let take = false;
    try {
      take = d.detect(input) && (sender ??= ev.daemon || findOriginalHeaders(input.msg.root) !== undefined);
      if (!take && d.structure !== undefined) take = d.structure(input);
    } catch (err) {
      problems.push(`decoder ${d.name} failed: ${errText(err)}`);
    }
    if (!take) continue;
    const m = runDecode(d, input, problems, () => ev.own);
    if (m) return toReport(d, m, problems);
  }
  return null;
}

/**
 * Decode a parsed message into a Report. `context` is the envelope when the caller knows it: the
 * pipeline passes the SMTP/LMTP MAIL FROM and RCPT TO (a null MAIL FROM is bounce evidence).
 */
export function decodeMessage(msg: ParsedMessage, context?: DecodeContext): Report {
  const problems = [...msg.problems];
  let input: DecodeInput;
  try {
    input = buildDecodeInput(msg, problems, context);
  } catch (err) {
    problems.push(`reading the text failed: ${errText(err)}`);
    input = { msg, from: '', subject: '', text: '', ...(context ? { context } : {}) };
  }

  // 1. Complaints (a forwarded complaint is not read: arf skips attached messages).
  const a = tryDecode(arf, input, problems);
  if (a) return toReport(arf, a, problems);

  let ev: Evidence;
  try {
    ev = readEvidence(input, context);
  } catch (err) {
    problems.push(`reading the sender failed: ${errText(err)}`);
    ev = { daemon: false, person: false, forwardOrReply: false, own: new Set(), sender: new Set() };
  }

  // 2. A forward or reply not from a mail system, or a person's message: an auto-reply at most.
  //    Only a person's message that carries its own delivery-status part (a mail system that
  //    signs its reports with a person's name) is a bounce: a forward never, even when its mail
  //    client re-attached the forwarded report's parts at the top.
  if (ev.person || (ev.forwardOrReply && !ev.daemon)) {
    if (!ev.forwardOrReply && findDeliveryStatusParts(input.msg.root, { attached: false }).length > 0) {
      const r = runDecode(rfc3464, input, problems);
      if (r) return standardReport(r, input, problems);
    }
    const v = tryDecode(autoReplies, input, problems);
    if (v) return toReport(autoReplies, v, problems);
    return notBounce(problems);
  }

  // 3. Mailing-list robots answering commands.
  if (safely(problems, autoReplies, () => isListCommandReply(input))) return notBounce(problems, 'list-reply');

  // 4. Auto-replies from anything but a mail system.
  if (!ev.daemon) {
    const v = tryDecode(autoReplies, input, problems);
    if (v) return toReport(autoReplies, v, problems);
  }

  // 5. Standard DSNs (one only inside an attached message counts when a mail system sent it and
  //    did not title it a forward or reply: a mail system's "Re:" is a bounce only by its structure).
  //    A report whose delivery-status part is mislabelled text/plain is read from the text here too.
  const dsnParts = findDeliveryStatusParts(input.msg.root, { attached: ev.daemon && !ev.forwardOrReply });
  if (dsnParts.length > 0 || mislabelledReport(input)) {
    const r = runDecode(rfc3464, input, problems);
    if (r) return standardReport(r, input, problems);
  }

  // 6. Read receipts are not bounces.
  if (isReadReceipt(msg.root)) return notBounce(problems, 'mdn');

  // 7. Non-standard MTA formats.
  const m = mtaReport(input, ev, problems);
  if (m) return m;

  // 8. DSN fields in plain text.
  const t = rfc3464Text.detect(input) ? runDecode(rfc3464Text, input, problems, () => ev.own) : null;
  if (t) return toReport(rfc3464Text, t, problems);

  // 9. Auto-replies that came with a null return path. Not a mail system's own notice that no
  //    decoder could read (Exim marks every one "auto-replied"): MAILER-DAEMON is nobody's address.
  const v = tryDecode(autoReplies, input, problems);
  if (v && !v.findings.every((f) => isDaemonAddress(f.recipient))) return toReport(autoReplies, v, problems);

  // 10. Last resort: a bounce in free text that names failed addresses, from a mail system only.
  if (ev.daemon) {
    const l = runDecode(freeText, input, problems, () => new Set([...ev.own, ...ev.sender]));
    if (l) return toReport(freeText, l, problems);
  }

  return notBounce(problems);
}
