/**
 * The real-MTA corpus (docs/CORPUS.md): DSNs that real Postfix, Exim, OpenSMTPD and Sendmail
 * binaries wrote for the reply catalog samples/real-mta/catalog.tsv, scored through the analysis
 * `rebound parse` uses. Strict: every recipient's kind right, no good address marked invalid, every
 * spam/blocklist/authentication rejection flagged as a likely false positive.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../samples/real-mta/catalog.js';
import { checkDsnReplies, checkFixtureReplies, dsnStatesStage } from '../samples/real-mta/check.js';
import { buildScenarios } from '../samples/real-mta/scenarios.js';
import { CORPUS_ROOT, EXPIRED_FINAL, corpusManifests, formatScore, scoreCorpus, unsupportedInvalid, type CorpusScore } from './support/corpus-score.js';

const MTAS = ['exim', 'opensmtpd', 'postfix', 'sendmail'];

/** What each MTA's own DSN code writes, so a fixture cannot come from the wrong program. */
const SIGNATURE: Record<string, RegExp> = {
  postfix: /^X-Postfix-Queue-ID: /m,
  exim: /^X-Failed-Recipients: |^Subject: Warning: message .* delayed/m,
  opensmtpd: /This is the MAILER-DAEMON, please DO NOT REPLY/,
  sendmail: /^From: Mail Delivery Subsystem </m,
};

describe('real-MTA corpus catalog', () => {
  const rows = loadCatalog();
  it('has at least 150 replies, each with a source and a meaning', () => {
    expect(rows.length).toBeGreaterThanOrEqual(150);
    for (const r of rows) expect(r.source.length, r.id).toBeGreaterThan(5);
  });
  it('covers every meaning, permanent and temporary, at RCPT and after DATA', () => {
    for (const m of ['invalid', 'spam', 'auth', 'full', 'soft', 'relay']) expect(rows.some((r) => r.meaning === m), m).toBe(true);
    for (const st of ['rcpt', 'data', 'mail']) {
      expect(rows.some((r) => r.stage === st && r.code >= 500), `${st} 5xx`).toBe(true);
      expect(rows.some((r) => r.stage === st && r.code < 500), `${st} 4xx`).toBe(true);
    }
  });
  it('makes single and multi-recipient scenarios', () => {
    const sc = buildScenarios(rows);
    expect(sc.filter((s) => s.recipients.length === 1).length).toBe(rows.length);
    expect(sc.some((s) => s.recipients.length > 2 && s.recipients.some((r) => !r.row))).toBe(true);
    expect(new Set(sc.map((s) => s.id)).size).toBe(sc.length);
  });
});

describe('real-MTA corpus fixtures', () => {
  const manifests = corpusManifests();
  const scenarios = buildScenarios(loadCatalog());

  it('has fixtures from all four MTAs', () => {
    expect(manifests.map((m) => m.mta)).toEqual(MTAS);
  });

  it.each(manifests.map((m) => [m.mta, m] as const))('%s: a final report for every scenario, written by that MTA', (mta, m) => {
    expect(m.missing).toEqual([]);
    // A final report: failed, or OpenSMTPD's expiry notice (written as a delay, see generate.ts).
    const failed = new Set(m.fixtures.filter((f) => f.dsn !== 'delayed').map((f) => f.scenario));
    expect(scenarios.filter((s) => !failed.has(s.id)).map((s) => s.id)).toEqual([]);
    for (const f of m.fixtures) {
      const raw = readFileSync(join(CORPUS_ROOT, mta, f.file), 'latin1');
      expect(raw, f.file).toMatch(SIGNATURE[mta]!);
      for (const r of f.recipients) expect(raw.toLowerCase(), `${f.file} names ${r.address}`).toContain(r.address.toLowerCase());
    }
  });

  // Each DSN must carry the reply the scripted MX gave its own scenario: an MTA that keeps state
  // per remote host can report one message's failure with another's reply (Sendmail's host-status
  // cache did: 29 final reports said "451 4.3.0 Error: queue file write error"). Such a fixture
  // would score the classifier against the wrong text.
  it.each(manifests.map((m) => [m.mta, m] as const))('%s: every DSN carries, for each recipient, its own scenario\'s catalog reply', (mta, m) => {
    const rows = loadCatalog();
    const problems = checkFixtureReplies(join(CORPUS_ROOT, mta), mta, m.fixtures, scenarios, rows);
    expect(problems.map((p) => `${p.file} ${p.address}: want "${p.want}", got "${p.got}"`)).toEqual([]);
    expect((m as { replyProblems?: unknown[] }).replyProblems ?? []).toEqual([]);
  });

  it('the reply check catches a DSN that carries another scenario\'s reply', () => {
    const rows = loadCatalog();
    const rowById = new Map(rows.map((r) => [r.id, r]));
    const sendmail = manifests.find((m) => m.mta === 'sendmail')!;
    const fx = sendmail.fixtures.find((f) => f.scenario.startsWith('005-') && f.dsn === 'failed')!;
    const scenario = scenarios.find((s) => s.id === fx.scenario);
    const raw = readFileSync(join(CORPUS_ROOT, 'sendmail', fx.file), 'latin1');
    expect(checkDsnReplies(raw, 'sendmail', fx, scenario, rowById)).toEqual([]);
    // What the broken regeneration wrote: the queue-file error of row postfix-queue-full-temp in
    // the reason, the transcript and Diagnostic-Code.
    const crossed = raw
      .split('\n')
      .map((l) => (/over quota/.test(l) ? l.replace(/452[- ]4\.2\.2 .*/, '451 4.3.0 Error: queue file write error') : l))
      .join('\n');
    expect(crossed).not.toMatch(/over quota/);
    expect(checkDsnReplies(crossed, 'sendmail', fx, scenario, rowById).map((p) => p.address)).toEqual([fx.recipients[0]!.address]);
    // A 421 leaves Sendmail's Diagnostic-Code empty; the transcript line naming the recipient
    // still carries the reply, and without it the check fails.
    const f421 = sendmail.fixtures.find((f) => f.scenario.startsWith('010-') && f.dsn === 'failed')!;
    const raw421 = readFileSync(join(CORPUS_ROOT, 'sendmail', f421.file), 'latin1');
    const s421 = scenarios.find((s) => s.id === f421.scenario);
    expect(raw421).toMatch(/^Diagnostic-Code: SMTP; $/m);
    expect(checkDsnReplies(raw421, 'sendmail', f421, s421, rowById)).toEqual([]);
    expect(checkDsnReplies(raw421.replace(/Our system has detected/g, 'Something else'), 'sendmail', f421, s421, rowById)).toHaveLength(1);
  });
});

describe('what a DSN can support (the one rule that changes an expectation)', () => {
  const manifests = corpusManifests();
  const rows = new Map(loadCatalog().map((r) => [r.id, r]));

  // The rule must apply only where the DSN really lacks the stage: Postfix, Exim and Sendmail
  // state it for every recipient; OpenSMTPD for none, unless the reply itself quotes one.
  it.each(manifests.map((m) => [m.mta, m] as const))('%s: the stage statements the rule looks for', (mta, m) => {
    const stated: string[] = [];
    const unstated: string[] = [];
    for (const f of m.fixtures) {
      const raw = readFileSync(join(CORPUS_ROOT, mta, f.file), 'latin1');
      for (const r of f.recipients) (dsnStatesStage(raw, r.address) ? stated : unstated).push(`${f.file} ${r.address} ${r.row}`);
    }
    if (mta === 'opensmtpd') {
      expect(unstated.length).toBeGreaterThan(0);
      for (const x of stated) expect(rows.get(x.split(' ')[2]!)!.reply, x).toMatch(/in reply to [A-Z ]+ command|SMTP error from/);
    } else {
      expect(unstated).toEqual([]);
    }
  });

  it('relaxes only invalid replies with generic words, no X.1.x code, a domain naming no provider, in a DSN without a stage', () => {
    const row = (id: string) => rows.get(id)!;
    const openSmtpd = (rcpt: string, reply: string) => `Subject: Delivery status notification: failed\n\n${rcpt}: ${reply}\n\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; ${rcpt}\nAction: failed\nStatus: 5.0.0\n`;
    const postfix = (rcpt: string, reply: string) => `<${rcpt}>: host mx.example.org[192.0.2.1] said: ${reply} (in\n    reply to RCPT TO command)\n\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; ${rcpt}\nAction: failed\nStatus: 5.0.0\n`;
    expect(unsupportedInvalid(row('exim-unknown-user'), openSmtpd('a@example.org.uk', '550 Unknown user'), 'a@example.org.uk')).not.toBe('');
    expect(unsupportedInvalid(row('generic-no-such-mailbox'), openSmtpd('a@example.ch', '550 5.2.0 No such mailbox'), 'a@example.ch')).not.toBe('');
    // The same reply where the DSN states the stage: invalid stands.
    expect(unsupportedInvalid(row('exim-unknown-user'), postfix('a@example.org.uk', '550 Unknown user'), 'a@example.org.uk')).toBe('');
    // An X.1.x code, a provider's own domain, stage-bound or lookup wording: invalid stands.
    expect(unsupportedInvalid(row('generic-user-unknown-rfc'), openSmtpd('a@example.com', '550 5.1.1 User unknown'), 'a@example.com')).toBe('');
    expect(unsupportedInvalid(row('aol-mailbox-not-found'), openSmtpd('a@aol.com', '550 MAILBOX NOT FOUND'), 'a@aol.com')).toBe('');
    expect(unsupportedInvalid(row('lycos-closed'), openSmtpd('a@lycos.example', '550 <a@lycos.example>: Recipient address rejected: Account Closed'), 'a@lycos.example')).toBe('');
    expect(unsupportedInvalid(row('domino-not-listed'), openSmtpd('a@example.biz', '550 5.0.0 User a@example.biz not listed in Domino Directory'), 'a@example.biz')).toBe('');
    // Never for a reply about an address that exists.
    expect(unsupportedInvalid(row('google-overquota-perm'), openSmtpd('a@gmail.com', '552 5.2.2 over quota'), 'a@gmail.com')).toBe('');
  });
});

describe('real-MTA corpus score (strict)', () => {
  let score: CorpusScore;
  beforeAll(async () => {
    score = await scoreCorpus();
    console.log(formatScore(score));
  }, 120_000);

  it('gives every recipient its expected kind', () => {
    const wrong = score.recipients.filter((r) => r.got !== r.expect).map((r) => `${r.mta}/${r.file} ${r.address}: expect ${r.expect}, got ${r.got} (${r.reason})`);
    expect(score.recipients.length).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });

  it('marks no good address invalid', () => {
    expect(score.recipients.filter((r) => r.goodMarkedInvalid).map((r) => `${r.mta}/${r.file} ${r.address} (${r.row})`)).toEqual([]);
  });

  it('flags every spam, blocklist and authentication rejection as a likely false positive', () => {
    expect(score.fpRequired).toBeGreaterThan(0);
    expect(score.recipients.filter((r) => r.fpFlagMissing).map((r) => `${r.mta}/${r.file} ${r.address} (${r.row})`)).toEqual([]);
  });

  it('changes the manifest\'s expectation only by the stage rule (invalid to soft) and the expiry rule (delayed to soft), only for OpenSMTPD', () => {
    const changed = score.recipients.filter((r) => r.expectWhy);
    const expired = changed.filter((r) => r.expectWhy === EXPIRED_FINAL);
    expect(changed.length).toBe(score.unsupportedInvalid + score.expiredFinal);
    expect(expired.length).toBe(score.expiredFinal);
    expect(score.unsupportedInvalid).toBeGreaterThan(0);
    expect([...new Set(changed.map((r) => r.mta))]).toEqual(['opensmtpd']);
    for (const r of changed.filter((c) => c.expectWhy !== EXPIRED_FINAL)) expect([r.expect, r.addressGood]).toEqual(['soft', false]);
    for (const r of expired) expect([r.expect, r.file]).toEqual(['soft', expect.stringMatching(/-expired\.eml$/)]);
  });

  it('reports no recipient the manifest does not list', () => {
    expect(score.unexpected).toEqual([]);
  });
});
