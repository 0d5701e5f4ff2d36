/**
 * walkthrough/generate-postfix - make the README walkthrough samples with a REAL Postfix on loopback.
 * Run: `npm run samples:generate -- walkthrough` (as root, with postfix installed). It
 *   1. starts a fake remote MX (smtp-server) that rejects recipients by local part,
 *   2. starts a private Postfix that relays example.net to that MX and sends the bounce
 *      domain bounces.example.org to a capture server,
 *   3. submits one message per case with a VERP return path, and
 *   4. writes every DSN Postfix produces to samples/postfix/NN-<case>.eml.
 * Then `node dist/main.js parse --json samples/postfix/X.eml > samples/postfix/X.json`
 * records the expected output (reviewed by hand before committing).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import nodemailer from 'nodemailer';
import { freePort, startPostfix } from '../../test/support/postfix.js';

const out = new URL('../postfix/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });

// What the fake remote MX says to each local part.
const REPLIES: Record<string, { code: number; text: string }> = {
  'no.such.user': { code: 550, text: '5.1.1 <no.such.user@example.net>: Recipient address rejected: User unknown in virtual mailbox table' },
  'full.mailbox': { code: 452, text: '4.2.2 <full.mailbox@example.net>: Mailbox full, over quota' },
  'spam.blocked': { code: 554, text: '5.7.1 Service unavailable; Client host [192.0.2.25] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.25' },
  'content.spam': { code: 550, text: '5.7.1 Message rejected as spam by Content Filtering.' },
  'moved.away': { code: 551, text: '5.1.6 User has moved; please try <new.home@example.com>' },
};

const mxPort = await freePort();
const capturePort = await freePort();
const mx = new SMTPServer({
  authOptional: true,
  disableReverseLookup: true,
  onRcptTo(addr, _s, cb) {
    const local = addr.address.split('@')[0]!;
    const r = REPLIES[local];
    if (!r) return cb();
    const err = new Error(r.text) as Error & { responseCode: number };
    err.responseCode = r.code;
    cb(err);
  },
  onData(stream, _s, cb) {
    stream.resume();
    stream.on('end', () => cb());
  },
});
await new Promise<void>((r) => mx.listen(mxPort, '127.0.0.1', r));

let n = 0;
const captured: string[] = [];
const capture = new SMTPServer({
  authOptional: true,
  disableReverseLookup: true,
  onData(stream, session, cb) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      const rcpt = session.envelope.rcptTo[0]?.address ?? '';
      const local = /bounces\+([^=]+)=/.exec(rcpt)?.[1] ?? 'unknown';
      const kind = /^Subject: Delayed Mail/m.test(raw) ? 'delayed' : 'bounce';
      n += 1;
      const name = `${String(n).padStart(2, '0')}-${local.replace(/\./g, '-')}-${kind}.eml`;
      writeFileSync(join(out, name), raw);
      captured.push(name);
      cb();
    });
  },
});
await new Promise<void>((r) => capture.listen(capturePort, '127.0.0.1', r));

const pf = await startPostfix({
  main: {
    myhostname: 'mail.example.org',
    mydomain: 'example.org',
    relay_domains: 'example.net, bounces.example.org',
    delay_warning_time: '2s',
    maximal_queue_lifetime: '8s',
    bounce_queue_lifetime: '8s',
  },
  transport: [`example.net smtp:[127.0.0.1]:${mxPort}`, `bounces.example.org smtp:[127.0.0.1]:${capturePort}`],
});

const send = nodemailer.createTransport({ host: '127.0.0.1', port: pf.port, secure: false, ignoreTLS: true });
for (const local of Object.keys(REPLIES)) {
  await send.sendMail({
    envelope: { from: `bounces+${local}=example.net@bounces.example.org`, to: [`${local}@example.net`] },
    from: 'News <news@example.org>',
    to: `${local}@example.net`,
    subject: `Your November newsletter (${local})`,
    messageId: `<${local}.20261126@example.org>`,
    text: 'Hello,\n\nThis is the November newsletter.\n',
  });
}

// The mailbox-full case defers, warns, then expires: wait for all DSNs.
const want = Object.keys(REPLIES).length + 1;
const deadline = Date.now() + 60_000;
while (captured.length < want && Date.now() < deadline) {
  pf.flush();
  await new Promise((r) => setTimeout(r, 1000));
}
console.log(`captured ${captured.length} DSNs:\n  ${captured.join('\n  ')}`);
await pf.stop();
mx.close();
capture.close();
