import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDecodeInput, decodeMessage, mtaDecoders } from '../../src/decode/index.js';
import type { Decoder } from '../../src/decode/types.js';
import { parseMessage } from '../../src/parse/message.js';

const EXIM_DSN = `From: Mail Delivery System <Mailer-Daemon@mx.example.net>
To: sender@example.com
Subject: Mail delivery failed: returning message to sender
Auto-Submitted: auto-replied
Content-Type: multipart/report; report-type=delivery-status; boundary=E1

--E1
Content-Type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

--E1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Action: failed
Final-Recipient: rfc822;jane@example.org
Status: 5.0.0
--E1--
`;

const MDN = `From: reader@example.org
Subject: Read: hello
Content-Type: multipart/report; report-type=disposition-notification; boundary=M

--M
Content-Type: text/plain

Your message was displayed.
--M
Content-Type: message/disposition-notification

Final-Recipient: rfc822; reader@example.org
Disposition: manual-action/MDN-sent-manually; displayed
--M--
`;

const VACATION = 'From: Pat <pat@example.org>\nTo: news@example.com\nSubject: Out of Office: news\nAuto-Submitted: auto-replied\n\nI am away until Monday.\n';

const added: Decoder[] = [];
afterEach(() => {
  for (const d of added.splice(0)) mtaDecoders.splice(mtaDecoders.indexOf(d), 1);
});
function addDecoder(d: Decoder): void {
  added.push(d);
  mtaDecoders.unshift(d);
}

describe('decodeMessage registry', () => {
  it('checks the report type before auto-reply headers (Exim marks its DSNs auto-replied)', async () => {
    const r = decodeMessage(await parseMessage(EXIM_DSN));
    expect(r.type).toBe('bounce');
    expect(r.decodedBy).toBe('rfc3464');
    expect(r.findings.map((f) => f.recipient)).toEqual(['jane@example.org']);
  });

  it('treats read receipts as not bounces', async () => {
    const r = decodeMessage(await parseMessage(MDN));
    expect(r.type).toBe('not-bounce');
    expect(r.findings).toEqual([]);
  });

  it('recognises a vacation reply', async () => {
    const r = decodeMessage(await parseMessage(VACATION));
    expect(r.type).toBe('autoreply');
    expect(r.findings[0]!.recipient).toBe('pat@example.org');
    expect(r.findings[0]!.reasonHint).toBe('vacation');
  });

  it('says not-bounce for an ordinary message', async () => {
    const r = decodeMessage(await parseMessage('From: a@example.org\nTo: b@example.com\nSubject: lunch?\n\nSee you at noon.\n'));
    expect(r).toMatchObject({ type: 'not-bounce', findings: [], decodedBy: '' });
  });

  it('runs the enrich hook of MTA decoders whose detect passes after rfc3464', async () => {
    addDecoder({
      name: 'fake-enricher',
      detect: (i) => /mx\.example\.net/.test(i.from),
      decode: () => null,
      enrich: (report) => {
        for (const f of report.findings) f.diagnostic = 'enriched';
      },
    });
    addDecoder({ name: 'never', detect: () => false, decode: () => null, enrich: () => { throw new Error('must not run'); } });
    const r = decodeMessage(await parseMessage(EXIM_DSN));
    expect(r.findings[0]!.diagnostic).toBe('enriched');
    expect(r.problems).toEqual([]);
  });

  it('records a failing decoder as a problem and goes on', async () => {
    addDecoder({ name: 'broken', detect: () => true, decode: () => { throw new Error('boom'); } });
    // With a null return path, so that the MTA decoders are asked before the auto-reply reader.
    const r = decodeMessage(await parseMessage('Return-Path: <>\n' + VACATION));
    expect(r.type).toBe('autoreply');
    expect(r.problems.join()).toMatch(/decoder broken failed: boom/);
  });

  it('uses the first MTA decoder that returns findings, and its type', async () => {
    addDecoder({
      name: 'fake-mta',
      detect: (i) => i.subject === 'Delayed',
      decode: () => ({ findings: [{ recipient: 'k@example.org', action: 'delayed', status: '4.4.1', replyCode: '', diagnostic: '', diagnosticType: '', remoteMta: '', reportingMta: '', lastCommand: '', decodedBy: 'fake-mta' }] }),
    });
    const r = decodeMessage(await parseMessage('From: postmaster@example.net\nSubject: Delayed\n\nstill trying\n'));
    expect(r).toMatchObject({ type: 'delayed', decodedBy: 'fake-mta' });
  });
});

describe('buildDecodeInput', () => {
  it('takes plain text outside the attached original, and strips HTML when there is no plain part', async () => {
    const raw = `From: =?utf-8?q?Mail_System?= <postmaster@example.net>
Subject: =?utf-8?B?VW5kZWxpdmVyYWJsZQ==?=
Content-Type: multipart/mixed; boundary=X

--X
Content-Type: text/html

<html><head><style>p{}</style></head><body><p>Delivery&nbsp;failed&#33;</p><div>to a@example.org</div></body></html>
--X
Content-Type: message/rfc822

Subject: original
Content-Type: text/plain

original body must not be in the text
--X--
`;
    const input = buildDecodeInput(await parseMessage(raw));
    expect(input.from).toBe('Mail System <postmaster@example.net>');
    expect(input.subject).toBe('Undeliverable');
    expect(input.text).toBe('Delivery failed!\n\nto a@example.org');
  });

  it('strips hostile HTML (unclosed tags, comments, scripts) in linear time', async () => {
    for (const junk of ['<a '.repeat(60_000), '<!--'.repeat(60_000), '<script>'.repeat(30_000)]) {
      const raw = `Subject: x\nContent-Type: text/html\n\n${junk}`;
      const t0 = performance.now();
      // .text is computed on first read.
      expect(typeof buildDecodeInput(await parseMessage(raw)).text).toBe('string');
      expect(performance.now() - t0).toBeLessThan(3000);
    }
  });

  it('joins several plain parts with a newline', async () => {
    const raw = 'Content-Type: multipart/mixed; boundary=Y\n\n--Y\nContent-Type: text/plain\n\none\n--Y\nContent-Type: text/plain\n\ntwo\n--Y--\n';
    expect(buildDecodeInput(await parseMessage(raw)).text).toBe('one\ntwo');
  });
});

// Whole registry over the labelled corpus: recipient counts (the eval checks reasons; this guards
// the decode stage alone). Skips without /work/shared.
const SHARED = '/work/shared/sisimai';
describe.skipIf(!existsSync(`${SHARED}/labels.json`))('registry over the corpus (needs /work/shared/sisimai)', () => {
  interface Sample { path: string; kind: string; entries: unknown[] }
  it('finds the labelled number of recipients for at least 99% of samples, and none in the negatives', async () => {
    const samples = (JSON.parse(readFileSync(`${SHARED}/labels.json`, 'utf8')) as { samples: Sample[] }).samples;
    const wrong: string[] = [];
    for (const s of samples) {
      const r = decodeMessage(await parseMessage(readFileSync(`${SHARED}/corpus/${s.path}`)));
      if (r.findings.length !== s.entries.length) wrong.push(`${s.path}: got ${r.findings.length}, want ${s.entries.length}`);
      if (s.entries.length === 0) expect(r.findings, s.path).toEqual([]);
    }
    expect(wrong.length, wrong.join('\n')).toBeLessThanOrEqual(Math.floor(samples.length * 0.01));
  }, 60_000);
});

describe('buildDecodeInput: the text is read on first use', () => {
  it('gives the same text on every read, and bounded copies carry it', async () => {
    const { bounded } = await import('../../src/decode/mta/text-bounce.js');
    const raw = 'From: postmaster@example.net\nSubject: x\nContent-Type: text/plain\n\nline one\nline two\n';
    const input = buildDecodeInput(await parseMessage(raw));
    expect(input.text).toBe('line one\nline two\n');
    expect(input.text).toBe(input.text);
    const copy = bounded(input);
    expect(copy.text).toBe(input.text);
    expect({ ...input, text: 'other' }.text).toBe('other');
  });
});
