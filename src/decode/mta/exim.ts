/**
 * exim - decode Exim's plain-text bounces and delay warnings (also the same layout written by
 * MXLogic and other Exim-derived relays), and enrich Exim's RFC 3464 DSNs from their text part.
 * In: DecodeInput ("This message was created automatically by mail delivery software.").
 * Out: one Finding per failed address, in report order; 'delayed' for "has not yet been delivered"
 * warnings. Reply code and RFC 3463 status come from the remote server's reply. No config keys.
 *
 * The format (Exim deliver.c):
 *   A message that you sent could not be delivered to one or more of its
 *   recipients. This is a permanent error. The following address(es) failed:
 *
 *     alice@example.org
 *       host mx.example.org [192.0.2.153]
 *       SMTP error from remote mail server after RCPT TO:<alice@example.org>:
 *       550 5.1.1 <alice@example.org>... User Unknown
 *
 *   ------ This is a copy of the message, including all the headers. ------
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { receivedText } from '../text.js';
import type { Finding, Report } from '../../types.js';
import { looksLikeAddress } from '../../parse/dsn.js';
import {
  commandOf,
  cutAt,
  fillCodes,
  findAddress,
  headersFromText,
  hintFrom,
  joinReply,
  newFinding,
  splitLines,
  squeeze,
  type HintRule,
  bounded,
} from './text-bounce.js';

const NAME = 'exim';

const END = [
  /^-{2,} This is a copy of (?:the|your) message, including all the headers\. -{2,}/m,
  /^-{2,} The body of the message is \d+ characters long; only the first/m,
  /^-{2,} This is a copy of the message's headers\. -{2,}/m,
  /^Included is a copy of the message header:/m, // MXLogic
  /^-{2,} Original message -{2,}/m,
];

// The sentence that opens the list of addresses; the action follows from its wording.
//   "This is a permanent error. The following address(es) failed:"
//   "The following address(es) have not yet been delivered:"   (delay warning)
//   "incorrectly constructed:"                                    (malformed recipient address)
const LIST_START: ReadonlyArray<{ re: RegExp; action: 'failed' | 'delayed' }> = [
  { re: /address(?:\(es\)|es)? failed:\s*$/i, action: 'failed' },
  { re: /following address(?:\(es\)|es)? failed/i, action: 'failed' },
  { re: /have not yet been delivered:\s*$/i, action: 'delayed' },
  { re: /incorrectly constructed:\s*$/i, action: 'failed' },
  { re: /could not be delivered to (?:one or more|the following)[^:]*:\s*$/i, action: 'failed' },
];

/** A word every LIST_START pattern contains. */
const LIST_START_WORDS = /failed|delivered|constructed/i;

/** Exim's own words (not the remote server's) that state a reason. First match wins. */
const HINTS: readonly HintRule[] = [
  { phrase: 'mailbox is full', reason: 'mailboxfull', seen: 'mailbox is full: retry timeout exceeded' },
  { phrase: 'quota exceeded', reason: 'mailboxfull', seen: 'error: quota exceeded' },
  { phrase: 'malformed address', reason: 'syntaxerror', seen: '<b@example.net> may not follow a@example.com : malformed address' },
  { phrase: 'unrouteable address', reason: 'hostunknown', seen: 'Unrouteable address' },
  { phrase: 'all relevant mx records point to non-existent hosts', reason: 'hostunknown', seen: 'all relevant MX records point to non-existent hosts' },
  { phrase: 'all host address lookups failed permanently', reason: 'hostunknown', seen: 'all host address lookups failed permanently' },
  { phrase: 'an mx or srv record indicated no smtp service', reason: 'notaccept', seen: 'an MX or SRV record indicated no SMTP service' },
  { phrase: 'too many "received" headers', reason: 'contenterror', seen: 'Too many "Received" headers - suspected mail loop' },
  { phrase: 'retry timeout exceeded', reason: 'expired', seen: 'retry timeout exceeded' },
  { phrase: 'retry time not reached for any host after a long failure period', reason: 'expired', seen: 'retry time not reached for any host after a long failure period' },
  { phrase: /all hosts for (?:(?!all hosts for ).)* have been failing for a long time/, reason: 'expired', seen: "all hosts for 'example.org' have been failing for a long time (and retry time not reached)" },
];

interface Block {
  f: Finding;
  /** The address line as written ("pipe to |/usr/bin/x", "save to /var/mail/x", "a@b"). */
  head: string;
  lines: string[];
}

export const exim: Decoder = {
  name: NAME,
  enrich: (report, input) => enrichExim(report, input),

  detect(input: DecodeInput): boolean {
    const h = input.msg.headers;
    // "Subject: Mail delivery failed: returning message to sender", "Warning: message ... delayed"
    if (/^Mail (?:delivery failed|failure)|^Warning: message .* delayed|^Mail delivery failed/i.test(input.subject)) return true;
    if (h.get('x-failed-recipients') !== undefined) return true;
    // "Received: ... with local (Exim 4.86)" on the bounce, or Message-ID "<E1xxxx-0000ab-Cd@host>"
    if (/\(Exim \d/.test(receivedText(input))) return true;
    return /mail delivery (?:system|software)/i.test(input.from) || /mailer-daemon/i.test(input.from);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    // "This message was created automatically by mail delivery software."
    if (!/created automatically by mail delivery software|following address(?:\(es\)|es)? (?:failed|have not yet been delivered)|incorrectly constructed/i.test(input.text)) {
      return null;
    }
    let findings = readEximReport(input.text);
    if (findings.length === 0) return null;
    const problems: string[] = [];
    if (findings.some((f) => !looksLikeAddress(f.recipient))) {
      // "save to /var/mail/x" with no "generated by" address, or a bounce cut short inside the
      // address line ("  kijitora@"): X-Failed-Recipients (one per failed address, in order)
      // names the recipient, else the inline copy's To:.
      const failed = (input.msg.headers.get('x-failed-recipients') ?? '').split(',').map((a) => findAddress(a)).filter(looksLikeAddress);
      const to = findAddress(headersFromText(input.text.slice(cutAt(input.text, END).length)).to);
      findings.forEach((f, i) => {
        if (looksLikeAddress(f.recipient)) return;
        const better = failed.length === findings.length ? failed[i]! : failed.length === 1 && findings.length === 1 ? failed[0]! : to;
        if (looksLikeAddress(better)) f.recipient = better;
      });
      // Nothing names the address: an address line cut short is not a recipient.
      const kept = findings.filter((f) => looksLikeAddress(f.recipient));
      if (kept.length < findings.length) {
        problems.push(`exim: ${findings.length - kept.length} address line(s) without a readable address dropped (report cut short?)`);
        findings = kept;
      }
      if (findings.length === 0) return null;
    }
    const delayed = findings.every((f) => f.action === 'delayed');
    return { findings, ...(delayed ? { type: 'delayed' as const } : {}), ...(problems.length > 0 ? { problems } : {}) };
  },
};

/**
 * Improve a DSN that rfc3464 read from an Exim bounce: Exim's DSN often has no Diagnostic-Code
 * ("save to" / "pipe to" local failures) while the text part says what happened.
 */
export function enrichExim(report: Report, input: DecodeInput): void {
  // Nothing to fill: skip reading the text.
  if (report.findings.every((f) => f.diagnostic && f.lastCommand && f.remoteMta && f.replyCode && f.reasonHint)) return;
  input = bounded(input);
  if (!/created automatically by mail delivery software/i.test(input.text)) return;
  const fromText = readEximReport(input.text);
  report.findings.forEach((f, i) => {
    const t = fromText.find((x) => x.recipient === f.recipient) ?? (fromText.length === report.findings.length ? fromText[i] : undefined);
    if (!t) return;
    if (!f.diagnostic && t.diagnostic) f.diagnostic = t.diagnostic;
    if (!f.lastCommand && t.lastCommand) f.lastCommand = t.lastCommand;
    if (!f.remoteMta && t.remoteMta) f.remoteMta = t.remoteMta;
    if (!f.replyCode && t.replyCode) f.replyCode = t.replyCode;
    if (!f.reasonHint && t.reasonHint) f.reasonHint = t.reasonHint;
  });
}

/** Read the address list and each address's detail lines (also used by Exim-derived relays). */
export function readEximReport(text: string, name: string = NAME): Finding[] {
  const report = cutAt(text, END);
  const lines = splitLines(report);
  const blocks: Block[] = [];
  let action: 'failed' | 'delayed' | null = null;
  let cur: Block | null = null;
  let generated = -1; // index of "The following text was generated during the delivery attempt"

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // Every opener names one of these words: one cheap test per line instead of five.
    const start = LIST_START_WORDS.test(line) ? LIST_START.find((s) => s.re.test(line)) : undefined;
    if (start) {
      action = start.action;
      cur = null;
      continue;
    }
    if (/^The following text was generated during the delivery attempt/i.test(line)) {
      generated = i;
      break;
    }
    if (action === null) continue;
    if (line.trim() === '') continue;

    // An address line: two-space indent (deeper lines are details). "  host x [ip]" is a detail
    // line that some Exim versions indent by two.
    const indent = /^(\s*)/.exec(line)![1]!.length;
    const body = line.trim();
    if (indent >= 1 && indent <= 2 && !/^host\s+\S+\s+\[/.test(body) && !/^\(generated from /.test(body)) {
      cur = newBlock(body, action);
      blocks.push(cur);
      continue;
    }
    if (indent === 0) {
      // Text at column 0 ends the list ("This address has been ignored. ...").
      if (cur) cur = null;
      continue;
    }
    if (cur) cur.lines.push(body);
  }

  // "------ pipe to |/usr/bin/cat generated by a@example.com ------" sections.
  if (generated >= 0) attachGenerated(blocks, lines.slice(generated + 1));

  return blocks.map((b) => {
    b.f.decodedBy = name;
    return finish(b);
  });
}

/** A new block from an address line: "alice@example.org", "<a@b>: 550 unknown user", "pipe to |x". */
function newBlock(head: string, action: 'failed' | 'delayed'): Block {
  const lines: string[] = [];
  let addr = head;
  // MXLogic and Exim's malformed-address report put the error on the address line:
  //   "<alice@example.co.jp>: 550 5.1.1 <alice@example.co.jp>: Recipient address rejected"
  //   "a@example.com <b@example.net>: malformed address: <b@example.net> may not follow a@example.com"
  const colon = /^(<[^<>]+>|[^\s:<>@]+@[^\s:<>]+|[^:]*?<[^<>]+>):\s+(.+)$/.exec(head);
  if (colon && colon[1] !== undefined && colon[2] !== undefined) {
    addr = colon[1];
    lines.push(colon[2]);
  }
  const recipient = /@/.test(addr) ? findAddress(addr) : addr;
  return { f: newFinding(NAME, recipient, action), head: addr, lines };
}

/** Attach the generated-text sections to the blocks whose address line they name. */
function attachGenerated(blocks: Block[], lines: string[]): void {
  let target: Block | undefined;
  let inHeader = false;
  for (const line of lines) {
    const open = /^-{4,} (.*?)(?: -{4,})?$/.exec(line.trim());
    if (open && open[1] !== undefined) {
      const key = open[1];
      target = blocks.find((b) => key.includes(b.head) || b.head.includes(key));
      inHeader = !line.trim().endsWith('----');
      continue;
    }
    if (inHeader) {
      // "       generated by a@example.com ------" closes a two-line section header.
      if (line.trim().endsWith('----')) inHeader = false;
      continue;
    }
    if (target && line.trim()) target.lines.push('generated-text: ' + line.trim());
  }
}

/** Turn one block into a finding. */
function finish(b: Block): Finding {
  const f = b.f;
  const details = b.lines.filter((l) => !l.startsWith('generated-text: '));
  const generatedText = b.lines.filter((l) => l.startsWith('generated-text: ')).map((l) => l.slice(16));

  // "generated by alice@example.com": a pipe or file delivery on behalf of that address.
  const gen = details.find((l) => /^generated by /i.test(l));
  if (gen && !/@/.test(f.recipient)) {
    const a = findAddress(gen);
    if (a) f.recipient = a;
  }

  // "host mx.example.jp [192.0.2.153]: 550 5.1.1 ..." or "host mx.example.jp [192.0.2.153]" alone.
  let remote: string[] = [];
  let sawSmtpError = false;
  for (const raw of details) {
    // "Delay reason: SMTP error from remote mail server after RCPT TO:<a@example.org>:" (warnings)
    const l = raw.replace(/^Delay reason:\s*/i, '');
    const host = /^host\s+(\S+)\s+\[[^\]]*\](?::\s*(.*))?$/.exec(l);
    if (host && host[1] !== undefined) {
      f.remoteMta = host[1];
      if (host[2]) remote.push(host[2]);
      continue;
    }
    // "SMTP error from remote mail server after RCPT TO:<alice@example.org>:"
    // "SMTP error from remote mailer after end of data:"   (Exim 3)
    const err = /^(?:SMTP|LMTP) error from remote (?:mail server|mailer) after (.*?):?$/i.exec(l);
    if (err && err[1] !== undefined) {
      sawSmtpError = true;
      f.lastCommand = commandOf(err[1]) || (/initial connection/i.test(err[1]) ? 'CONN' : '');
      remote = [];
      continue;
    }
    if (/^generated by /i.test(l) || /^\(generated from /i.test(l)) continue;
    remote.push(l);
  }
  if (remote.length === 0 && generatedText.length > 0) remote = generatedText;

  f.diagnostic = sawSmtpError ? joinReply(remote) : squeeze(remote.join(' '));
  f.diagnosticType = sawSmtpError ? 'smtp' : f.diagnostic ? 'x-exim' : '';
  fillCodes(f);

  // Exim's own wording decides only where no remote server answered.
  if (!sawSmtpError) {
    const hint = hintFrom(HINTS, f.diagnostic);
    if (hint) f.reasonHint = hint;
    else if (/^pipe to \|/i.test(b.head)) f.reasonHint = 'mailererror'; // local program failed
  }
  return f;
}
