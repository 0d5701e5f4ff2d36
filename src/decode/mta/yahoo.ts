/**
 * yahoo - Yahoo! Mail's (and AOL's, Yahoo Japan's) plain-text "Failure Notice".
 * In: DecodeInput. Out: one Finding per "<address>:" block, in order. RFCs: 3463, 5321.
 * Config keys: none.
 *
 *   Sorry, we were unable to deliver your message to the following address.
 *
 *   <user@example.jp>:
 *   Remote host said: 550 5.2.2 <user@example.jp>... Mailbox Full [RCPT_TO]
 *
 *   --- Below this line is a copy of the message.
 *
 * Variants seen: the reply on its own lines with "[RCPT_TO]" on the next one; "550: 5.1.1 ..."
 * without "Remote host said:"; Yahoo's own text ("No mx record found for domain=...",
 * "Unable to deliver message after multiple retries, giving up.").
 */
import type { Finding } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { bestStatusIn } from '../../parse/dsn.js';
import { addressBlocks } from './text-bounce.js';

const NAME = 'yahoo';

// "Sorry, we were unable to deliver your message to the following address."
const LEAD_RE = /^Sorry,? we were unable to deliver your message to the following address(?:es)?\.?/im;
// "--- Below this line is a copy of the message."
const END_RE = /^-{2,} ?Below this line is a copy of the message/im;
// "<user@example.jp>:" (and the same without brackets)
const RCPT_RE = /^\s*<?([^<>\s@]+@[^<>\s:]+)>?:\s*$/;
// "[RCPT_TO]", "[MAIL_FROM]", "[DATA]": the SMTP stage Yahoo was in when the remote answered.
const STAGE_RE = /\[(RCPT_TO|MAIL_FROM|DATA|CONNECT|HELO|EHLO)\]/i;
const STAGE_COMMAND: Record<string, string> = {
  RCPT_TO: 'RCPT',
  MAIL_FROM: 'MAIL',
  DATA: 'DATA',
  CONNECT: 'CONN',
  HELO: 'HELO',
  EHLO: 'EHLO',
};

const QMAIL_STAGES: ReadonlyArray<{ re: RegExp; command: string }> = [
  { re: /(?<!\S)(\S+) does not like recipient\./i, command: 'RCPT' },
  { re: /Connected to (\S+) but sender was rejected\./i, command: 'MAIL' },
  { re: /(?<!\S)(\S+) failed after I sent the message\./i, command: 'DATA' },
];
// "Giving up on 192.0.2.1." (qmail's last line for the address, not the remote's words)
const GIVING_UP_RE = /(?<!\s)\s*Giving up on \S+?\.?(?=\s|$)/i;

export const yahoo: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: MAILER-DAEMON@yahoo.com / MAILER-DAEMON@yahoo.co.jp ; Subject: Failure Notice
    return /mailer-daemon@[\w.-]*yahoo/i.test(input.from) || /^Failure Notice$/i.test(input.subject.trim());
  },
  structure(input: DecodeInput): boolean {
    // Yahoo's list sentence, "<addr>:" blocks, and the qmail-style separator.
    const t = input.text;
    if (!t.includes('unable to deliver your message to the following address')) return false;
    return LEAD_RE.test(t) && /^[^\S\r\n]*<?[^<>\s@]+@[^<>\s:]+>?:\s*$/m.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    // Split into "<address>:" blocks.
    const blocks = addressBlocks(input.text, LEAD_RE, END_RE, RCPT_RE);
    if (!blocks || blocks.length === 0) return null;

    const findings: Finding[] = blocks.map(({ recipient, lines }) => {
      let text = lines.join(' ');
      let lastCommand = '';
      const stage = STAGE_RE.exec(text);
      if (stage) {
        lastCommand = STAGE_COMMAND[(stage[1] ?? '').toUpperCase()] ?? '';
        text = text.replace(STAGE_RE, ' ');
      }
      // Yahoo's qmail-derived sender names the host and the stage before quoting it:
      //   "192.0.2.1 does not like recipient."            (RCPT)
      //   "Connected to 192.0.2.1 but sender was rejected." (MAIL)
      //   "192.0.2.1 failed after I sent the message."     (DATA)
      // and may end with "Giving up on 192.0.2.1."
      let remoteMta = '';
      for (const rule of QMAIL_STAGES) {
        const m = rule.re.exec(text);
        if (m) {
          remoteMta = (m[1] ?? '').replace(/\.$/, '').toLowerCase();
          if (!lastCommand) lastCommand = rule.command;
          break;
        }
      }
      text = text.replace(GIVING_UP_RE, ' ');
      // "Remote host said: 550 5.2.2 ..." : the part after the colon is the remote server's own words.
      const said = /Remote host said:\s*/i.exec(text);
      if (said) text = text.slice(said.index + said[0].length);
      text = text.replace(/\s+/g, ' ').trim();
      // "550: 5.2.2 <x@example.jp>... Mailbox Full" -> "550 5.2.2 ..."
      text = text.replace(/^([245]\d\d):\s*/, '$1 ');
      const reply = /^([245]\d\d)\b/.exec(text);
      return {
        recipient,
        action: 'failed',
        status: bestStatusIn(text),
        replyCode: reply?.[1] ?? '',
        diagnostic: text,
        diagnosticType: said || reply ? 'smtp' : '',
        remoteMta,
        reportingMta: '',
        lastCommand,
        decodedBy: NAME,
      };
    });
    return { findings, type: 'bounce' };
  },
};
