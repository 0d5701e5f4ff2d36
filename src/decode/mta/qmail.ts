/**
 * qmail - decode the plain-text bounces of qmail-send (and netqmail, notqmail, indimail-mta, s/qmail).
 * In: DecodeInput (Subject "failure notice", body "Hi. This is the qmail-send program at ...").
 * Out: one Finding per "<address>:" block, in report order. No RFC 3464 part exists in this format;
 * the reply code and RFC 3463 status come from "Remote host said:" or qmail's own "(#5.1.2)" tags.
 * No config keys.
 *
 * The format (qmail-send.c, "bounce" message):
 *   Hi. This is the qmail-send program at mx.example.net.
 *   I'm afraid I wasn't able to deliver your message to the following addresses.
 *   This is a permanent error; I've given up. Sorry it didn't work out.
 *
 *   <alice@example.org>:
 *   192.0.2.1 does not like recipient.
 *   Remote host said: 550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown
 *   Giving up on 192.0.2.1.
 *
 *   --- Below this line is a copy of the message.
 *
 * Detection by structure (QSBMF, cr.yp.to/proto/qsbmf.txt): the intro paragraph is whatever the
 * installation says (patched, translated, front ends); the recipient paragraphs are not: "<addr>:"
 * alone at column 0 with its explanation below, qmail's "(#5.1.1)" tags, "Remote host said:",
 * "does not like recipient.", "Giving up on ...", and the break paragraph "--- Below this line is
 * a copy of the message.".
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { receivedText } from '../text.js';
import type { Finding } from '../../types.js';
import {
  cutAt,
  fillCodes,
  findStatus,
  headersFromText,
  joinReply,
  newFinding,
  splitLines,
  squeeze,
  bounded,
} from './text-bounce.js';

const NAME = 'qmail';

// Where the report ends and the copy of the original message begins.
export const QMAIL_END = [
  /^--- Below this line is a copy of the message\.?/m, // qmail-send
  /^--- Enclosed is a copy of the message\.?/m, // indimail-mta (MIME variant)
  /^--- Below the next line is a copy of the message\.?/m, // older qmail
  /^--- Original message follows\.?/m,
];

// "<alice@example.org>:" alone on a line starts one recipient's block.
const RECIPIENT = /^<([^<>\s@]*@[^<>\s]+|[^<>\s]+)>:\s*$/;

/** Which SMTP step the qmail sentence names, and the host it names. */
const STEPS: ReadonlyArray<{ re: RegExp; command: string; seen: string }> = [
  { re: /Connected to (\S+) but greeting failed/, command: 'CONN', seen: 'Connected to 192.0.2.9 but greeting failed.' },
  { re: /Connected to (\S+) but my name was rejected/, command: 'HELO', seen: 'Connected to 192.0.2.112 but my name was rejected.' },
  { re: /Connected to (\S+) but sender was rejected/, command: 'MAIL', seen: 'Connected to 192.0.2.225 but sender was rejected.' },
  { re: /(?:^|\s)(\S+) does not like recipient/, command: 'RCPT', seen: '192.0.2.135 does not like recipient.' },
  { re: /(?:^|\s)(\S+) failed on DATA command/, command: 'DATA', seen: '192.0.2.1 failed on DATA command.' },
  { re: /(?:^|\s)(\S+) failed after I sent the message/, command: 'DATA', seen: '52.101.68.24 failed after I sent the message.' },
];

/** A QSBMF recipient paragraph: "<addr>:" alone at column 0, its explanation on the next line. */
const PARAGRAPH = /^<[^<>\s]+>:[ \t]*\n[^\s]/m;
/** What qmail-send itself writes in and after those paragraphs. */
const QMAIL_WORDS =
  /^--- (?:Below this line is a copy of the message|Enclosed is a copy of the message|Below the next line is a copy of the message|Original message follows)|\(#[245]\.\d{1,3}\.\d{1,3}\)|^Remote host said: |does not like recipient\.|^Giving up on \S+\.?$|Connected to \S+ but |I'm not going to try again|qmail-send program/m;

/** QSBMF's structure in the text. */
export function qmailStructure(input: DecodeInput): boolean {
  const t = input.text;
  if (t.indexOf('>:') < 0 || !PARAGRAPH.test(t)) return false;
  return QMAIL_WORDS.test(t) || receivedText(input).includes('invoked for bounce');
}

// Lines that are qmail's own boilerplate inside a block, not the remote server's words.
const NOISE = /^(?:Giving up on \S+|I'm not going to try again;.*|Remote host said:\s*)$/;

export const qmail: Decoder = {
  name: NAME,

  structure: qmailStructure,

  detect(input: DecodeInput): boolean {
    const h = input.msg.headers;
    // qmail-send's subject "failure notice" (and the variants of its forks), at the start only.
    if (/^(?:failure notice|delivery failure|failed delivery)/i.test(input.subject.trim())) return true;
    // "Received: (qmail 44375 invoked for bounce); 24 Jun 2024 08:48:01 -0000"
    // "Received: indimail-mta queue 63628 by host email.example.jp (invoked for bounce); ..."
    if (receivedText(input).includes('invoked for bounce')) return true;
    return h.get('x-bounced-address') !== undefined;
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const text = input.text;
    // "Hi. This is the qmail-send program at nq.example.jp.", or any intro above qmail's paragraphs.
    if (!qmailStructure(input) && !/qmail-send program|wasn't able to deliver your message to the following address/i.test(text)) return null;
    const report = cutAt(text, QMAIL_END);
    const findings = readQmailBlocks(report, NAME);
    if (findings.length === 0) return null;
    const copy = text.slice(report.length);
    const h = headersFromText(copy);
    return {
      findings,
      ...(h.to || h.from ? { original: { messageId: '', to: h.to, from: h.from, subject: h.subject, returnPath: '' } } : {}),
    };
  },
};

/** Read every "<addr>:" block of the report part (also used by qmail-derived formats). */
export function readQmailBlocks(report: string, name: string): Finding[] {
  const out: Finding[] = [];
  let cur: { f: Finding; lines: string[] } | null = null;
  const flush = (): void => {
    if (cur) out.push(finish(cur.f, cur.lines));
    cur = null;
  };
  for (const line of splitLines(report)) {
    const m = RECIPIENT.exec(line.trim());
    if (m && m[1] !== undefined) {
      flush();
      cur = { f: newFinding(name, m[1]), lines: [] };
      continue;
    }
    if (!cur) continue;
    if (line.trim() === '') {
      // A blank line ends the block once it has content (qmail writes one blank line between blocks).
      if ((cur as { lines: string[] }).lines.length > 0) flush();
      continue;
    }
    (cur as { lines: string[] }).lines.push(line.trim());
  }
  flush();
  return out;
}

/** Turn one block's lines into the finding's fields. */
function finish(f: Finding, lines: string[]): Finding {
  const all = lines.join('\n');

  // The step and host: "192.0.2.135 does not like recipient."
  for (const s of STEPS) {
    const m = s.re.exec(all);
    if (m && m[1] !== undefined) {
      f.lastCommand = s.command;
      f.remoteMta = m[1].replace(/\.$/, '');
      break;
    }
  }

  // The remote server's words: "Remote host said: 550 5.1.1 <alice@example.org>: User unknown",
  // possibly continued on the next lines until qmail's own "Giving up on ..." sentence.
  const said = lines.findIndex((l) => /^Remote host said:/i.test(l));
  if (said >= 0) {
    const words: string[] = [lines[said]!.replace(/^Remote host said:\s*/i, '')];
    for (let i = said + 1; i < lines.length; i++) {
      const l = lines[i]!;
      if (NOISE.test(l) || /^Remote host said:/i.test(l)) break;
      words.push(l);
    }
    // "554-5.7.1 first line" / "554 5.7.1 last line": one reply, prefixes of continuations dropped.
    f.diagnostic = joinReply(words);
    f.diagnosticType = 'smtp';
  } else {
    // Only qmail's own sentences: keep those that explain, without the step sentence.
    const own = lines.filter((l) => !NOISE.test(l) && !STEPS.some((s) => s.re.test(l)));
    f.diagnostic = squeeze((own.length > 0 ? own : lines).join(' '));
    f.diagnosticType = f.diagnostic ? 'x-qmail' : '';
    // qmail's whole explanation ("I'm not going to try again; this message has been in the queue
    // too long."), for the classifier; when the remote host answered, its reply says more.
    f.human = squeeze(all);
  }
  fillCodes(f);

  // "(#5.1.2)" is qmail's own status tag; the remote server's code wins when both exist.
  if (!f.status) {
    const tag = /\(#([245]\.\d{1,3}\.\d{1,3})\)/.exec(all);
    if (tag && tag[1] !== undefined) f.status = findStatus(tag[1]);
  }

  return f;
}
