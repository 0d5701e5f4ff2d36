/**
 * Group-B decoders on broken input: every fixture cut short at many points, and each decoder on an
 * empty message. Nothing may throw, and whatever is found must still be an address.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDecodeInput, decodeMessage } from '../../../src/decode/index.js';
import { amazonses } from '../../../src/decode/mta/amazonses.js';
import { amazonworkmail } from '../../../src/decode/mta/amazonworkmail.js';
import { einsundeins } from '../../../src/decode/mta/einsundeins.js';
import { exchange2003 } from '../../../src/decode/mta/exchange2003.js';
import { exchange2007 } from '../../../src/decode/mta/exchange2007.js';
import { gmail } from '../../../src/decode/mta/gmail.js';
import { gmx } from '../../../src/decode/mta/gmx.js';
import { googlegroups } from '../../../src/decode/mta/googlegroups.js';
import { googleworkspace } from '../../../src/decode/mta/googleworkspace.js';
import { mailru } from '../../../src/decode/mta/mailru.js';
import { mimecast } from '../../../src/decode/mta/mimecast.js';
import { office365 } from '../../../src/decode/mta/office365.js';
import { outlook } from '../../../src/decode/mta/outlook.js';
import { verizon } from '../../../src/decode/mta/verizon.js';
import { yahoo } from '../../../src/decode/mta/yahoo.js';
import { zoho } from '../../../src/decode/mta/zoho.js';
import { parseMessage } from '../../../src/parse/message.js';
import { fixtureDir } from './group-b.js';

const decoders = [
  amazonses, amazonworkmail, einsundeins, exchange2003, exchange2007, gmail, gmx, googlegroups,
  googleworkspace, mailru, mimecast, office365, outlook, verizon, yahoo, zoho,
];

const names = new Set(decoders.map((d) => d.name));

const fixtures: Array<[string, string]> = decoders.flatMap((d) =>
  readdirSync(resolve(fixtureDir, d.name))
    .filter((f) => f.endsWith('.eml'))
    .map((f): [string, string] => [d.name, f]),
);

describe('group-B decoders on truncated fixtures', () => {
  it.each(fixtures)('%s/%s cut at 40 points', async (format, file) => {
    const raw = readFileSync(resolve(fixtureDir, format, file), 'utf8');
    for (let k = 1; k <= 40; k++) {
      const cut = raw.slice(0, Math.floor((raw.length * k) / 41));
      const report = decodeMessage(await parseMessage(cut));
      // Only this group's decoders are judged here; rfc3464 and the generic readers have their own tests.
      for (const f of report.findings.filter((x) => names.has(x.decodedBy))) {
        expect(f.recipient, `cut ${cut.length} by ${f.decodedBy}`).toMatch(/^[^\s@]+@[^\s@]+$/);
      }
    }
  });
});

describe('group-B decoders on an empty message', () => {
  it.each(decoders.map((d) => [d.name, d] as const))('%s', async (_name, d) => {
    const input = buildDecodeInput(await parseMessage('From: MAILER-DAEMON@example.org\nSubject: Undeliverable: x\n\n'));
    expect(() => d.detect(input)).not.toThrow();
    expect(d.decode(input)).toBeNull();
    const report = { type: 'bounce' as const, findings: [], decodedBy: 'rfc3464', problems: [] };
    expect(() => d.enrich?.(report, input)).not.toThrow();
  });
});
