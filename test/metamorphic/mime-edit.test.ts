/**
 * The variant generator's MIME rewriter: identity keeps every byte, and a rewrite reaches text that
 * is only readable after base64 decoding.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rewriteEntity } from './mime-edit.js';
import { emlFiles } from './run.js';

const here = new URL('.', import.meta.url).pathname;
const sources = [
  ...emlFiles(resolve(here, '../../samples'), 'samples'),
  ...(existsSync(resolve(here, '../../../shared/sisimai/corpus/maildir')) ? emlFiles(resolve(here, '../../../shared/sisimai/corpus/maildir'), 'sisimai') : []),
];

describe('rewriteEntity', () => {
  it('with an identity rewrite gives back every message byte for byte', () => {
    for (const s of sources) {
      const text = readFileSync(s.path).toString('latin1').replace(/\r\n?/g, '\n');
      expect(rewriteEntity(text, (_k, t) => t), s.name).toBe(text);
    }
  });

  it('rewrites text inside a base64 part and re-encodes it', () => {
    const body = Buffer.from('Final-Recipient: rfc822; alice@example.org\n').toString('base64');
    const msg = `Content-Type: multipart/report; boundary="b"\n\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${body}\n--b--\n`;
    const out = rewriteEntity(msg, (kind, t) => (kind === 'body' ? t.replace('alice@example.org', 'bob@example.net') : t));
    const b64 = /base64\n\n([^\n]+)\n/.exec(out)![1]!;
    expect(Buffer.from(b64, 'base64').toString()).toBe('Final-Recipient: rfc822; bob@example.net\n');
  });
});
