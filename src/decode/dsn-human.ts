/**
 * decode/dsn-human - what a DSN's fields leave out, read from its human-readable part and from
 * Sendmail's SMTP transcript, per recipient: the diagnostic line of the paragraph that names the
 * address (Postfix's "host ... said:", Sendmail's "<<< 550 ..."), the whole multi-line reply a
 * Diagnostic-Code cut to its first line, the deferral line of a recipient a 421 dropped, and the
 * SMTP stage. Cheap patterns with bounded gaps: they run on the bounce's text.
 */
import { findLastCommand, findReplyCode, findStatuses, mostSpecificStatus, squeeze, statusSpecificity } from '../parse/dsn.js';
import type { Finding } from '../types.js';

/** Words that make a line about an address an error line. */
const ERROR_WORDS =
  /\b(?:not reach|could not|couldn't|cannot|can't|wasn't delivered|not (?:be )?delivered|undeliver|unknown|full|quota|fail|reject|refused|denied|no such|invalid|not found|does not exist|doesn't exist|unable|error|disabled|suspended|expired|blocked|unavailable|unrouteable|bad|over|exceed|permanent|temporar)/i;

/**
 * Fill what the DSN fields left out from the human-readable part, per recipient (cheap regexes
 * on the paragraph that names the address):
 *   Postfix:  <a@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 ... (in reply to RCPT TO command)
 *   Sendmail: ... while talking to mx.example.org.:  >>> RCPT To:<a@example.org>  <<< 550 5.1.1 ...
 */
export function fillFromText(f: Finding, text: string, lower?: () => string): void {
  if (text === '' || f.recipient === '') return;
  let at = text.indexOf(f.recipient);
  if (at < 0) at = (lower ? lower() : text.toLowerCase()).indexOf(f.recipient.toLowerCase());
  if (at < 0) return;
  // The address's line and its indented continuation lines (bounded).
  const limit = Math.min(text.length, at + 2000);
  let end = text.indexOf('\n', at);
  while (end >= 0 && end < limit) {
    const c = text.charCodeAt(end + 1);
    if (c !== 32 && c !== 9) break;
    end = text.indexOf('\n', end + 1);
  }
  if (end < 0 || end > limit) end = limit;
  // Some relays strip the indentation of Postfix's folded lines ("said: 550 5.2.1\n<a@b>... User
  // Unknown (in reply to RCPT TO command)"): while a "said:" statement is still open, take the
  // following lines up to a blank line or the next recipient's "<addr>:" entry.
  if (text.lastIndexOf('said:', end) >= at && text.indexOf('(in reply to ', at) !== -1) {
    let open = text.slice(at, end).indexOf('(in reply to ') < 0;
    while (open && end < limit) {
      const next = text.indexOf('\n', end + 1);
      const lineEnd = next < 0 || next > limit ? limit : next;
      const line = text.slice(end + 1, lineEnd);
      if (line.trim() === '' || /^<[^>\s]+>:/.test(line)) break;
      end = lineEnd;
      open = line.indexOf('(in reply to ') < 0;
    }
  }
  const para = text.slice(at, end);
  // The reporter's own words for this recipient, for the classifier (it reads them for a part that
  // contradicts the fields, and when the reply itself says nothing it knows) - up to the next line
  // that names another address on its own (Exim indents every recipient's block alike).
  if (f.human === undefined && para.trim() !== '') {
    const next = /\n[ \t]*<?[^\s<>@]+@[^\s<>@]+>?:?[ \t]*(?:\n|$)/.exec(para);
    f.human = squeeze(next ? para.slice(0, next.index) : para).slice(0, 2000);
  }

  if (f.remoteMta === '') {
    const m = /\bhost\s+([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])\s*\[[0-9A-Fa-f:.]+\]\s+said:/.exec(para)
      ?? /while talking to\s+\[?([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])\]?\.?:/.exec(para);
    if (m) f.remoteMta = m[1]!;
  }
  if (f.lastCommand === '') f.lastCommand = findLastCommand(para);
  if (f.lastCommand === '' && rcptRefusedBySendmail(text, f.recipient)) f.lastCommand = 'RCPT';
  if (f.diagnostic === '') {
    // "host mx.example.org[192.0.2.1] said: 550 5.1.1 ..." (Postfix) or "a@b: 550 5.7.26 ..." (OpenSMTPD).
    // Plain index/slice work: a lazy regex up to "(in reply to ...)" backtracks quadratically.
    let reply = '';
    const said = para.indexOf('said:');
    if (said >= 0) {
      reply = para.slice(said + 5);
    } else {
      const m = /(?:^|[\s:])([245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b)/.exec(para);
      if (m) reply = para.slice(m.index + m[0].length - m[1]!.length);
    }
    const inReply = reply.lastIndexOf('(in reply to ');
    if (inReply >= 0) reply = reply.slice(0, inReply);
    if (reply.trim() !== '') {
      f.diagnostic = squeeze(reply);
      if (f.replyCode === '') f.replyCode = findReplyCode(f.diagnostic);
      f.status = mostSpecificStatus(f.status, f.diagnostic);
    }
  }
  if (f.diagnostic === '') {
    // The sentence that names the address: "Your message wasn't delivered to a@example.org
    // because the address couldn't be found." (Gmail). Only when it reads like an error.
    const ls = text.lastIndexOf('\n', at) + 1;
    let le = text.indexOf('\n', at);
    if (le < 0) le = text.length;
    // With the lines indented deeper that continue it (a long sentence re-wrapped).
    const indent = /^[ \t]*/.exec(text.slice(ls, le))![0].length;
    while (le < text.length && le - ls < 1000) {
      const next = text.indexOf('\n', le + 1);
      const cont = text.slice(le + 1, next < 0 ? text.length : next);
      const m = /^([ \t]+)\S/.exec(cont);
      if (!m || m[1]!.length <= indent) break;
      le = next < 0 ? text.length : next;
    }
    const line = text.slice(ls, Math.min(le, ls + 1000)).replace(/(?<!\s)\s*\n\s*/g, ' ');
    if (ERROR_WORDS.test(line.replace(f.recipient, ''))) f.diagnostic = squeeze(line);
  }
}

/**
 * Sendmail writes "550 5.1.1 <a@example.org>... User unknown" (sysexits EX_NOUSER, usersmtp.c
 * smtprcpt()) under the reply that refused a RCPT TO. With PIPELINING its transcript shows ">>> DATA"
 * before the RCPT replies arrive (RFC 2920 §3.1), so that line, not the last ">>>", tells the stage.
 */
function rcptRefusedBySendmail(text: string, recipient: string): boolean {
  const at = text.indexOf(`<${recipient}>... User unknown`);
  return at > 0 && /\n[ \t]*5\d\d[ -](?:5\.\d{1,3}\.\d{1,3} )?$/.test(text.slice(Math.max(0, at - 40), at));
}

/**
 * A Sendmail Diagnostic-Code keeps only the first line of a multi-line reply ("554-gmx.net ... not
 * available"), after a reconnect the last reply of the session ("250 2.0.0 Ok: stored") on a failed
 * recipient, and nothing at all when a 421 closed the connection (the reply went with the
 * connection's status; then there is no Diagnostic-Code or an empty one). The transcript has the
 * whole reply: "<<< 554-..." lines up to "<<< 554 ...", or the deferral line, whose prefix is the
 * list of recipients that delivery attempt carried (deliver.c writes e_to, comma-joined):
 * "<a@example.org>,<b@example.org>... Deferred: 421 4.7.0 ...". Read only for such findings; the
 * only recipient with no diagnostic is diagnosticFromTranscript's.
 */

/** Sendmail's "<addr>... Deferred: 451 ..." line for one recipient (bounded gaps: it runs on the
 *  bounce's text). */
export function deferralPattern(recipient: string): RegExp {
  return new RegExp(`<${recipient.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}>[^\n]{0,500}?\\.\\.\\. Deferred: ([45]\\d\\d[ -][^\n]{3,500})`, 'i');
}

export function completeFromTranscript(findings: Finding[], textOf: () => string): void {
  for (const f of findings) {
    const continued = /^[45]\d\d-/.test(f.diagnostic);
    const success = f.action === 'failed' && /^2\d\d[ -]/.test(f.diagnostic);
    const none = findings.length > 1 && f.diagnostic === '' && (f.action === 'failed' || f.action === 'delayed');
    if (!continued && !success && !none) continue;
    let text = textOf();
    if (continued) {
      // Sendmail indents no transcript line: an indented one is the line above it, re-wrapped.
      if (text.indexOf(`<<< ${f.diagnostic}`) < 0) text = text.replace(/\n[ \t]+(?=\S)/g, ' ');
      const first = text.indexOf(`<<< ${f.diagnostic}`);
      if (first < 0) continue;
      const lines: string[] = [];
      for (const line of text.slice(first).split('\n', 50)) {
        const m = /^<<< ?([45]\d\d[ -].*)$/.exec(line.trimEnd());
        if (!m) break;
        lines.push(m[1]!);
        if (/^[45]\d\d /.test(m[1]!)) break;
      }
      if (lines.length > 1) f.diagnostic = squeeze(lines.map((l, i) => (i === 0 ? l : l.replace(/^[45]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3} )?/, ''))).join(' '));
    } else {
      // The deferral line too may come re-wrapped with an indent.
      const unfolded = text.replace(/\n[ \t]+(?=\S)/g, ' ');
      const m = deferralPattern(f.recipient).exec(unfolded);
      if (!m) continue;
      f.diagnostic = squeeze(m[1]!);
      f.replyCode = findReplyCode(f.diagnostic);
    }
    f.status = mostSpecificStatus(f.status, f.diagnostic);
  }
}

/**
 * The only recipient has no diagnostic at all: the transcript's reply line is the best evidence.
 *   ----- Transcript of session follows -----
 *   554 "|IFS=' ' && exec /usr/bin/procmail -f- || exit 75 #kijitora"... Service unavailable
 */
export function diagnosticFromTranscript(findings: Finding[], textOf: () => string): void {
  if (findings.length !== 1) return;
  // Nothing below could change a finding that has all three (and reading the text costs).
  if (findings[0]!.lastCommand !== '' && findings[0]!.diagnostic !== '' && findings[0]!.replyCode !== '') return;
  const text = textOf();
  if (text === '') return;
  // Sendmail's transcript names the command on its own line: ">>> RCPT To:<a@example.org>".
  // The command is the ">>>" line just before the first error reply "<<< 5xx".
  if (findings[0]!.lastCommand === '' && text.indexOf('>>> ') >= 0) {
    const err = /^<<< ?[45]\d\d/m.exec(text);
    const upto = err ? text.slice(0, err.index) : text;
    const sent = upto.lastIndexOf('\n>>> ');
    if (sent >= 0) findings[0]!.lastCommand = findLastCommand(upto.slice(sent + 1));
    if (findings[0]!.lastCommand === 'DATA' && rcptRefusedBySendmail(text, findings[0]!.recipient)) findings[0]!.lastCommand = 'RCPT';
  }
  const f = findings[0]!;
  if (f.diagnostic !== '' && f.replyCode !== '') return;
  const m = /^[ \t]*(?:<<<[ \t]*)?([45]\d\d[ -].{3,300})$/m.exec(text.length > 20000 ? text.slice(0, 20000) : text);
  if (!m) return;
  if (f.diagnostic !== '') {
    // "Diagnostic-Code: X-Unix; 255" with "554 5.3.0 unknown mailer error 255" in the transcript.
    if (f.diagnosticType !== '' && f.diagnosticType !== 'smtp') f.replyCode = findReplyCode(m[1]!);
    return;
  }
  f.diagnostic = squeeze(m[1]!);
  if (f.replyCode === '') f.replyCode = findReplyCode(f.diagnostic);
  f.status = mostSpecificStatus(f.status, f.diagnostic);
}

/**
 * A generic Status (x.0.0) on the only recipient, and the human text names exactly one code of the
 * same class ("554 5.3.0 unknown mailer error 255" in a Sendmail transcript): use that code.
 */
export function refineFromTranscript(findings: Finding[], textOf: () => string): void {
  if (findings.length !== 1) return;
  const f = findings[0]!;
  if (statusSpecificity(f.status) > 0) return;
  const text = textOf();
  if (text === '') return;
  const codes = new Set(findStatuses(text.length > 20000 ? text.slice(0, 20000) : text));
  if (codes.size !== 1) return;
  const c = [...codes][0]!;
  if (f.status === '' || c[0] === f.status[0]) f.status = c;
}
