/**
 * free-text - the last resort: a bounce written as free text by a mail system no decoder knows
 * (Smail, MDaemon, LSMTP, MailEnable, Netscape/iPlanet, CompuServe-style gateways, home-grown
 * relays). The registry runs it only for a message from a mail system (null or MAILER-DAEMON/
 * postmaster return path or sender) after every structured format.
 * In: DecodeInput. Out: one Finding per failed address, in report order, with the words that
 * explain it; 'delayed' when the notice says it will retry. No config keys.
 *
 * What counts as a failed address (the report part only: text up to the copy of the original):
 *  - an address on a line that reads as an error ("User's mailbox is full: <a@b>",
 *    "<a@b> ... unknown user", "Sorry, unable to deliver your message to a@b ...");
 *  - an address after a recipient label ("Intended recipient: a@b", "Error-for: a@b",
 *    "Recipient: [SMTP:a@b]", "Failed Recipient: a@b", "Invalid receiver address: a@b");
 *  - an address on a list line under a sentence that announces failed recipients ("The following
 *    addresses did NOT receive a copy of your message:" / ">    a@b", "Failed addresses follow:").
 * Never an address from explanatory prose (a line that sends the reader somewhere: "contact",
 * "write to", "reply to", "help desk", "if you feel this message to be in error"), nor a mail
 * system's own address (postmaster@, MAILER-DAEMON@); the registry also drops our side's addresses.
 *
 * The explanation of an address: the rest of its line, its continuation lines (indented, or
 * labelled "Reason:", "Error-Text:"), and when those say nothing, the report's reason paragraph
 * ("due to the following reason:" ...) or its one SMTP reply line.
 */
import { bestStatusIn, findLastCommand, findReplyCode, readAddressField, squeeze } from '../parse/dsn.js';
import type { Finding } from '../types.js';
import { findOriginal } from './text.js';
import type { DecodeInput, DecodeResult, Decoder } from './types.js';

const NAME = 'free-text';

/** Where the copy of the returned message starts; text after it is not the bounce's. */
const COPY_START =
  /^[^\w\r\n]*(?:original message|returned message|returned mail follows|message text follows|below is a copy|this is a copy|the original message|unsent message below|message headers follow|a copy of the original message|old message:)\b|^(?:Received|Return-Path|Message-Id|DKIM-Signature)[ \t]*:/im;

/** Words that make a line about an address an error line. */
const ERROR_WORDS =
  /\b(?:not reach|could not|couldn't|cannot|can't|wasn't delivered|not (?:be )?delivered|undeliver|unknown|full|quota|fail|reject|refused|denied|no such|invalid|not found|does not exist|doesn't exist|unable|error|disabled|suspended|expired|blocked|unavailable|unrouteable|bad|over|exceed|permanent|temporar)/i;

/** A label that names the failed recipient on its line ("Intended recipient:", "Error-for:"). */
const RECIPIENT_LABEL =
  /^[\s>*-]*(?:(?:intended|original|failed|final|invalid|undeliverable|unknown|bad|rejected)[ -])?(?:recipient|receiver|rcpt|addressee|destination|error-for|address)(?:[ -](?:address|name))?(?:\(s\))?\s*:/i;

/** A sentence that announces a list of failed recipients (the next lines are the list). */
const LIST_LEAD =
  /\b(?:following|these|below)\b.{0,60}\b(?:recipients?|address(?:es|\(es\))?|users?|destinations?)\b|\b(?:recipients?|address(?:es)?)\b.{0,40}\b(?:follow|failed)|\bfailed addresses\b/i;

/** Lines that send the reader somewhere: the address on them is a contact, not a recipient. */
const PROSE =
  /\b(?:contact|write to|send (?:an? )?(?:e-?mail|mail|message) to|reply to|replies to|questions|assistance|help ?desk|support|feel this message to be in error|for (?:more )?(?:help|information))\b/i;

/** Labelled continuation lines that carry the reason. */
const REASON_LABEL = /^\s*(?:reason|error-text|error text|error|diagnostic|details?|remote host said|server response|because)\s*:/i;

/** "due to the following reason:" - the reason paragraph follows. */
const REASON_LEAD = /\b(?:following reasons?|the reason|because of the following|reason for (?:this|the) (?:failure|problem))\s*:?\s*$/i;

/** A line holding an SMTP reply (in a transcript: "<<< 550 ...", "<-- 550 ...", "Remote host said: 552 ..."). */
const REPLY_LINE = /(?:^|[\s:>-])[245]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3}\s)?\S/;

const NON_WORD = /\W/;
const SMTP_TAG = /\[SMTP:\s*\]/y;
/** What /^[\s>*-]+|[\s:]+$/g took off the ends. */
const LEAD_MARKS = /[\s>*-]/;
const TRAIL_MARKS = /[\s:]/;

/**
 * s.replace(/\[SMTP:\s*\]|^\W+|\W+$/g, ' ') by one scan (an unanchored \W+$ rescans a long run of
 * punctuation from each of its positions): the same alternatives in the same order at each position.
 */
function stripWrappers(s: string): string {
  let b = s.length;
  while (b > 0 && NON_WORD.test(s[b - 1]!)) b--;
  let out = '';
  let from = 0;
  let p = 0;
  while (p < s.length) {
    SMTP_TAG.lastIndex = p;
    const tag = s[p] === '[' ? SMTP_TAG.exec(s) : null;
    if (tag) {
      out += `${s.slice(from, p)} `;
      p = from = p + tag[0].length;
    } else if (p === 0 && NON_WORD.test(s[0]!)) {
      while (p < s.length && NON_WORD.test(s[p]!)) p++;
      out += ' ';
      from = p;
    } else if (p >= b) {
      return `${out + s.slice(from, p)} `;
    } else p++;
  }
  return out + s.slice(from);
}

/** Take the run of `lead` characters off the start and of `trail` characters off the end, each
 *  replaced by `by` (by index, as stripWrappers). */
function trimEdges(s: string, lead: RegExp, trail: RegExp, by: string): string {
  let a = 0;
  while (a < s.length && lead.test(s[a]!)) a++;
  if (a === s.length) return a > 0 ? by : s;
  let b = s.length;
  while (b > a && trail.test(s[b - 1]!)) b--;
  return (a > 0 ? by : '') + s.slice(a, b) + (b < s.length ? by : '');
}

const ADDRESS_IN_LINE = /<?(?<![A-Za-z0-9._%+!=\/'-])([A-Za-z0-9._%+!=\/'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)>?/;
const MAIL_SYSTEM = /^(?:mailer-daemon|postmaster|post_master|mail-daemon|mdaemon|abuse|hostmaster|webmaster|noc)@/i;

/** Lines longer than this are encoded junk: the address regex would rescan them from every start. */
const MAX_LINE = 500;

interface Hit {
  recipient: string;
  line: number;
  /** The line without its label and address, squeezed. */
  rest: string;
}

function addressOf(line: string): { address: string; at: number; end: number } | null {
  if (line.length > MAX_LINE || line.indexOf('@') < 0) return null;
  const m = ADDRESS_IN_LINE.exec(line);
  if (!m) return null;
  return { address: readAddressField(m[1]!), at: m.index, end: m.index + m[0].length };
}

/** The failed addresses of the report part, in order. */
function findHits(lines: string[]): Hit[] {
  const hits: Hit[] = [];
  const seen = new Set<string>();
  let listOpen = false;
  for (let i = 0; i < lines.length && hits.length < 100; i++) {
    const line = lines[i]!;
    const a = addressOf(line);
    if (!a) {
      // A lead sentence opens a list; a blank line keeps it open; any other line closes it.
      if (LIST_LEAD.test(line) && (ERROR_WORDS.test(line) || /follow/i.test(line))) listOpen = true;
      else if (line.trim() !== '' && !/^[\s|=_*-]+$/.test(line)) listOpen = false;
      continue;
    }
    if (PROSE.test(line) && !RECIPIENT_LABEL.test(line)) continue;
    const key = a.address.toLowerCase();
    if (seen.has(key) || MAIL_SYSTEM.test(a.address)) continue;
    const labelled = RECIPIENT_LABEL.test(line);
    const listLine = listOpen && (a.at <= 12 || /^[\s>*-]*$/.test(line.slice(0, a.at)));
    if (!labelled && !listLine && !ERROR_WORDS.test(line)) continue;
    seen.add(key);
    // The label stays when it is the explanation ("Invalid receiver address:"), not when it only
    // names the field ("Intended recipient:").
    const before = line.slice(0, a.at);
    const label = RECIPIENT_LABEL.exec(before)?.[0] ?? '';
    const head = label !== '' && !ERROR_WORDS.test(label) ? before.slice(label.length) : before;
    const rest = squeeze(trimEdges(stripWrappers(head + ' ' + line.slice(a.end)), LEAD_MARKS, TRAIL_MARKS, ''));
    hits.push({ recipient: a.address, line: i, rest });
  }
  return hits;
}

/** The explanation lines that follow a hit: indented or labelled, up to a blank line or the next hit. */
function continuation(lines: string[], hit: Hit, next: number): string[] {
  const out: string[] = [];
  for (let i = hit.line + 1; i < next && i < hit.line + 8; i++) {
    const l = lines[i]!;
    if (l.trim() === '') {
      if (out.length > 0) break;
      continue;
    }
    if (REASON_LABEL.test(l) || /^\s+\S/.test(l) || REPLY_LINE.test(l)) out.push(l.trim().replace(REASON_LABEL, ''));
    else break;
  }
  return out;
}

/** The report's reason paragraph ("... for the following reason:" then a paragraph), or ''. */
function reasonParagraph(lines: string[]): string {
  const lead = lines.findIndex((l) => REASON_LEAD.test(l));
  if (lead < 0) return '';
  const para: string[] = [];
  for (let i = lead + 1; i < lines.length && para.length < 6; i++) {
    const l = lines[i]!.trim();
    if (l === '') {
      if (para.length > 0) break;
      continue;
    }
    para.push(l);
  }
  return squeeze(para.join(' '));
}

export const freeText: Decoder = {
  name: NAME,
  detect(): boolean {
    return true;
  },
  decode(input: DecodeInput): DecodeResult | null {
    let text = input.text.length > 100_000 ? input.text.slice(0, 100_000) : input.text;
    const cut = COPY_START.exec(text);
    if (cut) text = text.slice(0, cut.index);
    const lines = text.split('\n');
    const hits = findHits(lines);
    if (hits.length === 0) return null;
    const paragraph = reasonParagraph(lines);
    const replies = lines.filter((l) => l.length <= MAX_LINE && REPLY_LINE.test(l) && /\b[245]\d\d\b/.test(l));
    const delayed = /\b(?:will (?:be )?retr(?:y|ied)|still (?:be )?trying|will continue to (?:try|attempt)|delivery attempts will continue|warning message only|this is (?:just |only )?a warning)\b/i.test(text);
    const findings: Finding[] = hits.map((h, k) => {
      const next = k + 1 < hits.length ? hits[k + 1]!.line : lines.length;
      let diagnostic = squeeze([h.rest, ...continuation(lines, h, next)].join(' '));
      if (findReplyCode(diagnostic) === '') {
        // No reply on the address's own lines: add the report's reason paragraph, and for a single
        // recipient the transcript's reply line.
        const reply = hits.length === 1 && replies.length > 0 ? squeeze(replies.find((r) => r.includes(h.recipient)) ?? replies[replies.length - 1]!) : '';
        const more = [paragraph, reply].filter((x) => x !== '' && !diagnostic.includes(x));
        diagnostic = squeeze([diagnostic, ...more].join(' '));
      }
      const status = bestStatusIn(diagnostic);
      return {
        recipient: h.recipient,
        action: delayed && !status.startsWith('5') ? 'delayed' : 'failed',
        status,
        replyCode: findReplyCode(diagnostic),
        diagnostic,
        diagnosticType: '',
        remoteMta: '',
        reportingMta: '',
        lastCommand: findLastCommand(diagnostic),
        decodedBy: NAME,
      };
    });
    const original = findOriginal(input.msg.root);
    return { findings, ...(original ? { original } : {}), problems: ['recipients read from free text'] };
  },
};
