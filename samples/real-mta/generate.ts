/**
 * generate (real-mta) - drive real MTAs against the scripted MX and keep every DSN they write.
 *
 * For each MTA asked for: start a scripted MX (mx.ts) on a free loopback port, start the MTA
 * (mtas/*.ts) relaying everything to it, submit every scenario (scenarios.ts) by SMTP, flush the
 * queue now and then, and store each DSN that comes back to the bounce domain as
 * samples/real-mta/<mta>/<scenario>-<failed|delayed>.eml, plus <mta>/manifest.json saying, for each
 * fixture and recipient, the catalog row, the expected kind and whether the address was good.
 *
 * The DSNs are stored as the MTA sent them. Normalisation: SMTP dot-stuffing is undone (as any
 * receiving MTA does) and CRLF line ends are stored as LF. Nothing else is touched.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { AUTHOR_DOMAIN, loadCatalog, type CatalogRow } from './catalog.js';
import { checkFixtureReplies, type ReplyProblem } from './check.js';
import { startScriptedMx, type Envelope } from './mx.js';
import { buildScenarios, type Scenario } from './scenarios.js';
import type { MtaDriver, MtaTimes } from './mtas/types.js';

export type Kind = 'invalid' | 'spam' | 'auth' | 'full' | 'soft' | 'relay' | 'delayed';
/** 'expired': OpenSMTPD 6.8's report when a message's queue time runs out is written as a delay
 *  notice ("Action: delayed", "Envelope expired") although the envelope is gone: it is that
 *  MTA's final report, kept as <scenario>-expired.eml. */
export type DsnType = 'failed' | 'delayed' | 'expired';

export interface ManifestRecipient {
  address: string;
  row: string;
  meaning: CatalogRow['meaning'];
  stage: CatalogRow['stage'];
  code: number;
  /** The kind the analysis must give this recipient in this DSN. */
  expect: Kind;
  /** False only when the catalog says the reply is about a non-existent address. */
  addressGood: boolean;
}

export interface ManifestFixture {
  file: string;
  scenario: string;
  dsn: DsnType;
  recipients: ManifestRecipient[];
}

export interface Manifest {
  mta: string;
  version: string;
  generated: string;
  seconds: number;
  times: MtaTimes;
  normalisation: string;
  scenarios: number;
  /** Scenarios for which no failed DSN came back before the deadline. */
  missing: string[];
  /** Recipients whose DSN does not carry the reply their scenario was given (check.ts): must be
   *  empty; the test fails otherwise. */
  replyProblems: ReplyProblem[];
  fixtures: ManifestFixture[];
}

export const NORMALISATION = 'SMTP dot-stuffing undone; CRLF line ends stored as LF; no other change';
export const OUT_ROOT = new URL('./', import.meta.url).pathname;

/** The kind a recipient must come out as: 'delayed' where the DSN's action says delayed (a delay
 *  warning, or OpenSMTPD's expiry notice), else the row's meaning. */
export function expectedKind(row: CatalogRow, dsn: DsnType): Kind {
  return dsn === 'failed' ? row.meaning : 'delayed';
}

/** Delay warning or final failure, read from the DSN's own fields. */
export function dsnType(raw: string): DsnType {
  if (/^Action:\s*delayed/im.test(raw)) return /: Envelope expired$/m.test(raw) ? 'expired' : 'delayed';
  if (/^Action:\s*failed/im.test(raw)) return 'failed';
  const subject = /^Subject:(.*)$/im.exec(raw)?.[1] ?? '';
  return /delay|warning/i.test(subject) ? 'delayed' : 'failed';
}

function message(s: Scenario) {
  const no = s.id.slice(0, 3);
  return {
    envelope: { from: s.sender, to: s.recipients.map((r) => r.address) },
    from: `News <news@${AUTHOR_DOMAIN}>`,
    to: s.recipients.map((r) => r.address),
    subject: `Your November newsletter (${no})`,
    messageId: `<${s.id}.20261126@${AUTHOR_DOMAIN}>`,
    date: new Date('2026-11-26T09:00:00Z'),
    text: 'Hello,\n\nThis is the November newsletter.\n\nTo unsubscribe, reply with "unsubscribe".\n',
  };
}

export async function generateFor(driver: MtaDriver, times: MtaTimes, log = console.log): Promise<Manifest> {
  const started = Date.now();
  const rows = loadCatalog();
  const scenarios = buildScenarios(rows);
  const bySender = new Map(scenarios.map((s) => [s.sender.toLowerCase(), s]));
  const out = join(OUT_ROOT, driver.name);
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (f.endsWith('.eml') || f === 'manifest.json') rmSync(join(out, f));

  const fixtures: ManifestFixture[] = [];
  const failed = new Set<string>();
  const strays: string[] = [];
  const onBounce = (env: Envelope, raw: Buffer) => {
    const s = bySender.get((env.recipients[0] ?? '').toLowerCase());
    const text = raw.toString('latin1').replace(/\r\n/g, '\n');
    if (!s) {
      strays.push(env.recipients.join(','));
      return;
    }
    const dsn = dsnType(text);
    let file = `${s.id}-${dsn}.eml`;
    const same = fixtures.filter((f) => f.scenario === s.id && f.dsn === dsn).length;
    if (same > 0) {
      // Keep the first delay warning only (how many come depends on timing); a second final
      // report is real (an MTA that splits one message) and is kept.
      if (dsn === 'delayed') return;
      file = `${s.id}-${dsn}-${same + 1}.eml`;
    }
    writeFileSync(join(out, file), Buffer.from(text, 'latin1'));
    if (dsn !== 'delayed') failed.add(s.id);
    fixtures.push({
      file,
      scenario: s.id,
      dsn,
      recipients: s.recipients
        .filter((r): r is { address: string; row: CatalogRow } => r.row !== undefined)
        .map((r) => ({
          address: r.address,
          row: r.row.id,
          meaning: r.row.meaning,
          stage: r.row.stage,
          code: r.row.code,
          expect: expectedKind(r.row, dsn),
          addressGood: r.row.address !== 'bad',
        })),
    });
  };

  const mx = await startScriptedMx({ scenarios, onBounce, extraPorts: 8 });
  const closingSenders = scenarios.filter((s) => s.recipients.some((r) => r.row?.code === 421)).map((s) => s.sender);
  let run;
  try {
    run = await driver.start({ mx: mx.port, closing: mx.extra[0]!, sink: mx.extra[1]!, spread: mx.extra.slice(2), senders: scenarios.map((s) => s.sender), closingSenders }, times);
  } catch (err) {
    await mx.close();
    throw err;
  }
  log(`${driver.name}: ${run.version} on 127.0.0.1:${run.submitPort}, scripted MX on ${mx.port}; submitting ${scenarios.length} messages`);
  try {
    const send = nodemailer.createTransport({ host: '127.0.0.1', port: run.submitPort, secure: false, ignoreTLS: true, pool: true, maxConnections: 2 });
    for (const s of scenarios) await send.sendMail(message(s));
    send.close();
    // Generous: OpenSMTPD sends its reports one at a time, about one a second here.
    const deadline = Date.now() + (times.lifetime + times.warn + 600) * 1000;
    let lastFlush = Date.now();
    while (failed.size < scenarios.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      if (Date.now() - lastFlush > 10_000) {
        run.flush();
        lastFlush = Date.now();
        log(`${driver.name}: ${failed.size}/${scenarios.length} final reports, ${fixtures.length} DSNs so far`);
      }
    }
    // A few more seconds for a report that is still on its way.
    await new Promise((r) => setTimeout(r, 3000));
  } finally {
    await run.stop();
    await mx.close();
  }
  const missing = scenarios.filter((s) => !failed.has(s.id)).map((s) => s.id);
  if (strays.length) log(`${driver.name}: ${strays.length} DSNs for no scenario: ${strays.slice(0, 5).join(' ')}`);
  if (missing.length) log(`${driver.name}: no final report for ${missing.length} scenarios: ${missing.slice(0, 10).join(' ')}\n${run.logTail()}`);
  fixtures.sort((a, b) => a.file.localeCompare(b.file));
  const replyProblems = checkFixtureReplies(out, driver.name, fixtures, scenarios, rows);
  if (replyProblems.length)
    log(
      `${driver.name}: ${replyProblems.length} recipients whose DSN does not carry their scenario's reply (the fixtures are not fit to commit):\n` +
        replyProblems.slice(0, 10).map((p) => `  ${p.file} ${p.address}: want "${p.want}", got "${p.got}"`).join('\n'),
    );
  const manifest: Manifest = {
    mta: driver.name,
    version: run.version,
    generated: new Date().toISOString().slice(0, 10),
    seconds: Math.round((Date.now() - started) / 1000),
    times,
    normalisation: NORMALISATION,
    scenarios: scenarios.length,
    missing,
    replyProblems,
    fixtures,
  };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  log(`${driver.name}: ${fixtures.length} DSNs in ${manifest.seconds} s (${missing.length} scenarios without a final report)`);
  return manifest;
}
