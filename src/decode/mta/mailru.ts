/**
 * mailru - Mail.Ru's bounce (mailer-daemon@corp.mail.ru): a Russian paragraph, then Exim's
 * English report ("The following address(es) failed:") with one indented block per recipient.
 * In: DecodeInput. Out: one Finding per failed recipient, in order. RFCs: 3463, 5321.
 * Config keys: none.
 *
 *   A message that you sent could not be delivered to one or more of its
 *   recipients. This is a permanent error. The following address(es) failed:
 *
 *     user@example.jp
 *       SMTP error from remote mail server after RCPT TO:<user@example.jp>:
 *       host mx.example.jp [192.0.2.1]: 550 5.2.2 <user@example.jp>... Mailbox Full
 *
 *   ------ This is a copy of the message, including all the headers. ------
 */
import type { Finding } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { bestStatusIn } from '../../parse/dsn.js';
import { addressBlocks } from './text-bounce.js';

const NAME = 'mailru';

// English part: "recipients. This is a permanent error. The following address(es) failed:"
const LEAD_EN_RE = /The following address(?:\(es\)|es)? failed:\s*$/im;
// Russian part: "К сожалению, Ваше письмо не может быть доставлено одному или нескольким получателям:"
const LEAD_RU_RE = /одному или нескольким получателям:\s*$/im;
// "------ This is a copy of the message, including all the headers. ------"
// "**********************" (ends the Russian part)
const END_RE = /^(?:-{3,} ?This is a copy of the message|\*{5,}\s*$|Рекомендуем Вам)/im;
const ADDRESS_LINE_RE = /^ {1,4}<?([^\s<>]+@[^\s<>]+?)>?:?\s*$/;

// "SMTP error from remote mail server after RCPT TO:<x@example.jp>:"
const AFTER_RE = /SMTP error from remote (?:mail )?server (?:after|for) (RCPT TO|MAIL FROM|end of data|DATA|initial connection|EHLO|HELO|TEXT)\b[^\n]*?:\s*(?=host |$)/i;
const AFTER_COMMAND: Record<string, string> = {
  'rcpt to': 'RCPT',
  'mail from': 'MAIL',
  'end of data': 'DATA',
  data: 'DATA',
  text: 'DATA',
  'initial connection': 'CONN',
  ehlo: 'EHLO',
  helo: 'HELO',
};

export const mailru: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: mailer-daemon@corp.mail.ru ; Subject: "Ваше сообщение не доставлено. Mail failure."
    return /mailer-daemon@[\w.-]*\bmail\.ru\b/i.test(input.from) || /Mail failure\.?$/i.test(input.subject.trim());
  },
  structure(input: DecodeInput): boolean {
    // Mail.ru's Exim-derived list under its Russian sentence (in English it is Exim's own layout,
    // which the exim decoder reads), with its indented address lines.
    const t = input.text;
    if (!t.includes('получателям') && !t.includes('Рекомендуем Вам')) return false;
    return (LEAD_RU_RE.test(t) || /Рекомендуем Вам/.test(t)) && /^ {1,4}<?[^\s<>]+@[^\s<>]+?>?:?\s*$/m.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    const findings = readEximBlocks(input.text, LEAD_EN_RE) ?? readEximBlocks(input.text, LEAD_RU_RE);
    if (!findings || findings.length === 0) return null;
    return { findings, type: 'bounce' };
  },
};

function readEximBlocks(text: string, lead: RegExp): Finding[] | null {
  // "(generated from x@example.com)" names the alias, not the failed address.
  const blocks = addressBlocks(text, lead, END_RE, ADDRESS_LINE_RE, /^\s*\(generated from /i);
  if (!blocks) return null;
  return blocks.map(({ recipient, lines }) => readBlock(recipient, lines.join(' ')));
}

function readBlock(recipient: string, raw: string): Finding {
  let text = raw.replace(/\s+/g, ' ').trim();
  let lastCommand = '';
  let remoteMta = '';
  const after = AFTER_RE.exec(text);
  if (after) {
    lastCommand = AFTER_COMMAND[(after[1] ?? '').toLowerCase()] ?? '';
    text = text.slice(after.index + after[0].length);
  }
  // "host mx.example.jp [192.0.2.1]: 550 5.2.2 ..."
  const host = /^host ([^\s\[\]:]+)(?: \[[^\]]*\])?:\s*/i.exec(text);
  if (host) {
    remoteMta = (host[1] ?? '').toLowerCase();
    text = text.slice(host[0].length);
  }
  const reply = /^([245]\d\d)\b/.exec(text);
  return {
    recipient,
    action: 'failed',
    status: bestStatusIn(text),
    replyCode: reply?.[1] ?? '',
    diagnostic: text,
    diagnosticType: after ? 'smtp' : '',
    remoteMta,
    reportingMta: '',
    lastCommand,
    decodedBy: NAME,
  };
}
