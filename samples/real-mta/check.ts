/**
 * check - the structural check of the real-MTA corpus: every DSN must carry, for each recipient the
 * manifest lists, the reply the scripted MX gave that recipient's scenario (its catalog row, with
 * the placeholders filled), as the MTA wraps it.
 *
 * Why: an MTA that keeps state per remote host can report one message's failure with another
 * message's reply. Sendmail did (its host-status cache, see mtas/sendmail.ts): 29 scenarios came
 * back with "451 4.3.0 Error: queue file write error" (catalog row postfix-queue-full-temp) and
 * delay warnings with the sink's "250 2.0.0 Ok: stored". Such a fixture scores the classifier
 * against the wrong text. The generator runs this check before it writes the manifest, and
 * test/real-mta-corpus.test.ts runs it over the committed fixtures, so a broken regeneration
 * cannot be committed silently.
 *
 * Where the reply is looked for, per recipient: the recipient's block of the message/delivery-status
 * part (Diagnostic-Code; Exim and Postfix fold long replies over several lines), and the lines of the
 * human-readable part that name the recipient, with the deeper-indented lines under them (OpenSMTPD writes "<rcpt>: <reply>" there and no
 * Diagnostic-Code; Sendmail's transcript says "<rcpt>... Deferred: <reply>" where a 421 left its
 * Diagnostic-Code empty). What must be found: the first line of the reply, reply code and enhanced
 * codes left out (MTAs drop the per-line codes of continuation lines or keep them), whitespace
 * folded, at most its first 60 characters (an MTA may cut a long line).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replyLines, type CatalogRow } from './catalog.js';
import { qidFor } from './mx.js';
import type { Scenario } from './scenarios.js';

/** The minimal manifest shape the check reads. */
export interface CheckedFixture {
  file: string;
  scenario: string;
  dsn: string;
  recipients: { address: string; row: string }[];
}

const CODE_PREFIX = /(^|\s)[245]\d\d(?:[ -]|$)/g;
const ENHANCED = /(^|[\s(\[#])[245]\.\d{1,3}\.\d{1,3}(?=[\s)\].:;,]|$)/g;

/** Lower-case, reply codes and enhanced codes removed, whitespace folded. */
export function normaliseReply(s: string): string {
  return s.toLowerCase().replace(CODE_PREFIX, '$1 ').replace(ENHANCED, '$1 ').replace(/\s+/g, ' ').trim();
}

/** What a DSN must carry for one recipient answered with `row`: the first reply line, normalised,
 *  cut to 60 characters. One string per address the reply may have been filled in for (a reply
 *  at MAIL or after DATA names the message's first recipient, whichever the MTA sent first). */
export function expectedReplyTexts(row: CatalogRow, scenario: Scenario, rcpt: string): string[] {
  const candidates = row.stage === 'rcpt' ? [rcpt] : scenario.recipients.map((r) => r.address);
  return [...new Set(candidates.map((a) => normaliseReply(replyLines(row, { rcpt: a, sender: scenario.sender, qid: qidFor(scenario, a) })[0] ?? '').slice(0, 60).trim()))];
}

/** The text of a DSN that speaks about one recipient (see the file comment). */
export function recipientEvidence(raw: string, address: string): string {
  const text = raw.replace(/\r\n/g, '\n');
  const addr = address.toLowerCase();
  const parts: string[] = [];
  // message/delivery-status: per-recipient blocks are separated by blank lines; unfold them.
  const ds = /content-type:\s*message\/delivery-status[^\n]*\n([\s\S]*?)(?:\n--[^\n]*\n|$)/i.exec(text);
  if (ds) {
    for (const block of ds[1]!.split(/\n\s*\n/)) {
      const unfolded = block.replace(/\n[ \t]+/g, ' ');
      const names = /^(?:final|original|x-actual)-recipient:[^\n]*$/gim;
      if ((unfolded.match(names) ?? []).some((l) => l.toLowerCase().includes(addr))) parts.push(unfolded);
    }
  }
  // The human-readable part: the body up to the delivery-status part (or the returned message).
  const human = text.split(/content-type:\s*message\/(?:delivery-status|rfc822)/i)[0] ?? '';
  // A line naming the recipient, with the lines indented deeper that follow it (Exim puts the
  // reply under the address: "  a@example.org\n    host ...:\n    550 ...").
  const lines = human.split('\n');
  const indent = (l: string) => /^[ \t]*/.exec(l)![0].length;
  lines.forEach((line, i) => {
    if (!line.toLowerCase().includes(addr)) return;
    parts.push(line);
    for (let k = i + 1; k < lines.length && lines[k]!.trim() && indent(lines[k]!) > indent(line); k++) parts.push(lines[k]!);
  });
  return parts.join('\n');
}

export interface ReplyProblem {
  file: string;
  address: string;
  row: string;
  want: string;
  got: string;
}

/**
 * Where an MTA writes its own words in place of the remote's reply by design. Not fixture faults,
 * and each is a temporary report the score expects as `delayed` whatever it says:
 * - OpenSMTPD 6.8's report for a message whose queue time ran out (`-expired.eml`) says only
 *   "Envelope expired" for each recipient;
 * - OpenSMTPD's delay warning after a 421 (the remote closes the connection) may say "Connection
 *   closed unexpectedly" when the close was seen before the reply was read.
 */
const OWN_WORDS: Record<string, { dsn: string; code?: number; text: RegExp }[]> = {
  opensmtpd: [
    { dsn: 'expired', text: /: Envelope expired$/m },
    { dsn: 'delayed', code: 421, text: /: Connection closed unexpectedly$/m },
  ],
};

/** A delay warning may cut the reply short (Exim's "Delay reason:" line stops after about 60
 *  characters of it); it must still carry this much of its start. A final report carries it whole. */
const DELAY_MIN_PREFIX = 24;

function carries(evidence: string, want: string, dsn: string): boolean {
  if (evidence.includes(want)) return true;
  if (dsn !== 'delayed' || want.length <= DELAY_MIN_PREFIX) return false;
  return evidence.includes(want.slice(0, DELAY_MIN_PREFIX));
}

/** The recipients of one DSN (`raw`, as stored) that do not carry their catalog reply. */
export function checkDsnReplies(raw: string, mta: string, f: CheckedFixture, scenario: Scenario | undefined, rowById: Map<string, CatalogRow>): ReplyProblem[] {
  const problems: ReplyProblem[] = [];
  for (const r of f.recipients) {
    const row = rowById.get(r.row);
    if (!scenario || !row) {
      problems.push({ file: f.file, address: r.address, row: r.row, want: '(a scenario and catalog row)', got: `scenario ${f.scenario}` });
      continue;
    }
    const evidence = recipientEvidence(raw, r.address);
    if ((OWN_WORDS[mta] ?? []).some((o) => o.dsn === f.dsn && (o.code === undefined || o.code === row.code) && o.text.test(evidence))) continue;
    const got = normaliseReply(evidence);
    const want = expectedReplyTexts(row, scenario, r.address);
    if (!want.some((w) => carries(got, w, f.dsn))) problems.push({ file: f.file, address: r.address, row: r.row, want: want[0]!, got: evidence.replace(/\s+/g, ' ').slice(0, 200) });
  }
  return problems;
}

/** Every recipient of every fixture in `dir` whose DSN does not carry its catalog reply. */
export function checkFixtureReplies(dir: string, mta: string, fixtures: CheckedFixture[], scenarios: Scenario[], rows: CatalogRow[]): ReplyProblem[] {
  const byId = new Map(scenarios.map((s) => [s.id, s]));
  const rowById = new Map(rows.map((r) => [r.id, r]));
  return fixtures.flatMap((f) => checkDsnReplies(readFileSync(join(dir, f.file), 'latin1'), mta, f, byId.get(f.scenario), rowById));
}

/**
 * How each MTA states the SMTP command a remote reply answered, when it does:
 * - Postfix (smtp_proto.c): "... said: 550 ... (in reply to RCPT TO command)", in the human part;
 * - Exim (transports/smtp.c): "SMTP error from remote mail server after RCPT TO:<...>:", under the
 *   recipient in the human part;
 * - Sendmail (deliver.c, usersmtp.c): the session transcript, ">>> RCPT To:<...>" / ">>> DATA" and
 *   the "<<< " replies.
 * OpenSMTPD 6.8 writes "<rcpt>: <reply>" and `Status: 5.0.0` whatever the command (mta_session.c
 * hands the reply line over at MAIL, RCPT and DATA alike): none of these.
 */
const STAGE_STATEMENTS = [/\(in reply to [a-z ]{2,30} command\)/i, /\bSMTP error from remote mail server after \S/i];
const TRANSCRIPT = /^>>> (?:MAIL From|RCPT To|DATA|\.)/im;

/** Whether the DSN says at which SMTP command the remote answered this recipient. */
export function dsnStatesStage(raw: string, address: string): boolean {
  const evidence = recipientEvidence(raw, address).replace(/\s+/g, ' ');
  if (STAGE_STATEMENTS.some((re) => re.test(evidence))) return true;
  const human = raw.replace(/\r\n/g, '\n').split(/content-type:\s*message\/(?:delivery-status|rfc822)/i)[0] ?? '';
  return TRANSCRIPT.test(human);
}
