/**
 * gmx - GMX / mail.com bounces ("Mail delivery failed: returning message to sender" from
 * MAILER-DAEMON@*.gmx.*). 1&1 (einsundeins.ts) writes the same layout and reuses
 * readUnitedInternetReport() from here: both are United Internet's mail system.
 * In: DecodeInput. Out: one Finding per failed address, in order. RFCs: 3463, 5321.
 * Config keys: none.
 *
 *   This message was created automatically by mail delivery software.
 *   A message that you sent could not be delivered to one or more of
 *   its recipients. This is a permanent error. The following address
 *   failed:
 *
 *   "user@example.jp":
 *   SMTP error from remote server after RCPT command:
 *   host: mx.example.jp
 *   5.2.2 <user@example.jp>... Mailbox Full
 *
 *   --- The header of the original message is following. ---
 *
 * 1&1 puts the whole error on one line:
 *   user@example.fr:
 *   SMTP error from remote server for TEXT command, host: smtp-in.example.fr (192.0.2.1) reason: 550 5.2.0 ...
 */
import type { Finding } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { bestStatusIn } from '../../parse/dsn.js';
import { addressBlocks } from './text-bounce.js';

const NAME = 'gmx';

// "This is a permanent error. The following address(es)\nfailed:" (wrapped anywhere)
const LEAD_RE = /The\s+following\s+address(?:\(es\)|es)?\s+failed:/i;
// "--- The header of the original message is following. ---"
const END_RE = /^-{2,} ?The header of the original message is following/im;
// "\"user@example.jp\":", "<user@example.jp>", "user@example.fr:"
const ADDRESS_LINE_RE = /^\s*["<]?([^\s"<>:]+@[^\s"<>:]+?)[">]?:?\s*$/;
// "SMTP error from remote server after RCPT command:" / "... for TEXT command,"
const COMMAND_RE = /SMTP error from remote (?:mail )?server (?:after|for) ([A-Z]+)(?: TO| FROM)? command[:,]?\s*/i;
const COMMAND_NAME: Record<string, string> = {
  RCPT: 'RCPT',
  MAIL: 'MAIL',
  DATA: 'DATA',
  TEXT: 'DATA',
  EHLO: 'EHLO',
  HELO: 'HELO',
};

export const gmx: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: MAILER-DAEMON@mail.gmx.com ; MAILER-DAEMON@gmx.net ; mailer-daemon@mail.com
    return /mailer-daemon@(?:[\w-]+\.)*(?:gmx\.[a-z]+|mail\.com)\b/i.test(input.from);
  },
  structure(input: DecodeInput): boolean {
    // GMX / United Internet's list sentence and their separator before the original's header.
    const t = input.text;
    if (!t.includes('header of the original message is following')) return false;
    return LEAD_RE.test(t) && END_RE.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    const findings = readUnitedInternetReport(input.text, NAME);
    return findings ? { findings, type: 'bounce' } : null;
  },
};

/** Read the United Internet (GMX, 1&1, web.de) report; null when the text is not in that layout. */
export function readUnitedInternetReport(text: string, decodedBy: string): Finding[] | null {
  const blocks = addressBlocks(text, LEAD_RE, END_RE, ADDRESS_LINE_RE);
  if (!blocks || blocks.length === 0) return null;
  return blocks.map(({ recipient, lines }) => readBlock(recipient, lines, decodedBy));
}

function readBlock(recipient: string, lines: string[], decodedBy: string): Finding {
  let text = lines.join('\n');
  let lastCommand = '';
  let remoteMta = '';
  const cmd = COMMAND_RE.exec(text);
  if (cmd) {
    lastCommand = COMMAND_NAME[(cmd[1] ?? '').toUpperCase()] ?? '';
    text = text.slice(cmd.index + cmd[0].length);
  }
  // "host: mx.example.jp" on its own line, or "host: smtp-in.example.fr (192.0.2.1) reason: 550 ..."
  const host = /^\s*host:\s*([^\s()]+)(?:\s*\([^)]*\))?\s*/i.exec(text);
  if (host) {
    remoteMta = (host[1] ?? '').toLowerCase();
    text = text.slice(host[0].length);
  }
  // "reason: 550 5.2.0 Mail rejected." / "Reason:\ndelivery retry timeout exceeded"
  text = text.replace(/^\s*reason:\s*/i, '');
  text = text.replace(/\s+/g, ' ').trim();
  const reply = /^([245]\d\d)\b/.exec(text);
  return {
    recipient,
    action: 'failed',
    status: bestStatusIn(text),
    replyCode: reply?.[1] ?? '',
    diagnostic: text,
    diagnosticType: cmd ? 'smtp' : '',
    remoteMta,
    reportingMta: '',
    lastCommand,
    decodedBy,
  };
}
