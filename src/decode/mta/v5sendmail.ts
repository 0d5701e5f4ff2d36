/**
 * v5sendmail - decode bounces of Sendmail version 5 (and other pre-DSN Sendmails): a transcript
 * only, no address list and no RFC 3464 part, no enhanced status codes.
 * In: DecodeInput ("   ----- Transcript of session follows -----"). Out: one Finding per
 * "NNN <address>... text" line, in report order. No config keys.
 *
 * The format:
 *      ----- Transcript of session follows -----
 *   While talking to mail.example.co.jp:
 *   >>> RCPT To:<bob@example.co.jp>
 *   <<< 550 Requested User Mailbox not found. No such user here.
 *   550 <bob@example.co.jp>... User unknown
 *   550 example.org (smtp)... 550 Host unknown
 *   554 <carol@example.org>... 550 Host unknown (Authoritative answer from name server)
 *      ----- Unsent message follows -----
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { bounded, cutAt, findAddress, headersFromText, newFinding } from './text-bounce.js';
import { readSendmailText, SENDMAIL_END } from './sendmail.js';

const NAME = 'v5sendmail';

export const v5sendmail: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "Subject: Returned mail: User unknown", "Returned mail: Cannot send message for 4 days"
    return /^Returned mail:/i.test(input.subject) || /Mail Delivery Subsystem/i.test(input.from);
  },

  structure(input: DecodeInput): boolean {
    // A transcript with Sendmail's "NNN <addr>... text" verdict lines and no address list.
    const t = input.text;
    if (!t.includes('Transcript of session follows')) return false;
    return /^[ \t]*-{3,}[ \t]*Transcript of session follows/im.test(t) && /^[ \t]*[245]\d\d[ \t]+(?:<[^<>\s]+>|\S+ \((?:e?smtp|local)\))\.\.\./m.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    // Version 8 writes an address list before the transcript; that is the sendmail decoder's.
    if (!/^[ \t]*-{3,}[ \t]*Transcript of session follows/im.test(input.text)) return null;
    if (/^[ \t]*-{3,}[ \t]*The following addresses? (?:had|has)/im.test(input.text)) return null;
    const findings = readSendmailText(input.text, NAME);
    for (const f of findings) {
      // Sendmail's resolver verdict decides only when no remote server answered.
      if (!f.lastCommand) {
      }
      if (!f.diagnostic) continue;
    }
    const copy = headersFromText(input.text.slice(cutAt(input.text, SENDMAIL_END).length));
    if (findings.length === 0) {
      // "421 example.com (smtp)... Deferred: Connection timed out during user open with example.com"
      // names only the host; the returned message's To: names the recipient.
      const host = /^[ \t]*[245]\d\d[ \t]+(\S+)[ \t]+\((?:smtp|esmtp)\)\.\.\.[ \t]*(.*)$/m.exec(input.text);
      const to = findAddress(copy.to);
      if (!host || !to) return null;
      const f = newFinding(NAME, to);
      f.diagnostic = host[2] ?? '';
      f.diagnosticType = 'smtp';
      f.remoteMta = host[1] ?? '';
      // "Subject: Returned mail: Cannot send message for 4 days": the queue lifetime ran out.
      if (/Cannot send message for \d+ (?:days?|hours?)/i.test(input.subject)) f.human = input.subject;
      findings.push(f);
    }
    return {
      findings,
      ...(copy.to || copy.from ? { original: { messageId: '', to: copy.to, from: copy.from, subject: copy.subject, returnPath: '' } } : {}),
    };
  },
};
