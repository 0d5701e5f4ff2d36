/**
 * jobs/poll-imap without a server: the live health a daemon starts with comes from the store's
 * imap_health row (so the socket and `rebound stats` agree after a restart), and a failed pass's
 * error is stored without the password, even when the server echoes it. The passes against a
 * real Dovecot are in test/intake/imap-polling.test.ts.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImapMailboxConfig } from '../../src/config/schema.js';
import { errorText } from '../../src/intake/imap.js';
import { startImapPolling } from '../../src/jobs/poll-imap.js';
import { child } from '../../src/log.js';
import { openProcessingStore as openStore } from '../support/pipeline.js';
import { mailboxFor } from '../support/dovecot.js';

const log = child('poll-imap-test');
log.level = 'silent';
const PW = 'sekrit-pw-9931';

// Nothing listens on port 1: every pass fails, which is what these tests watch.
const mailbox = (over: Partial<ImapMailboxConfig>): ImapMailboxConfig => mailboxFor(null, { name: 'main', password: PW, maxRunSeconds: 5, ...over });

// A fake IMAP server (no AUTH=PLAIN, so the client sends LOGIN user pass) that refuses the login,
// quoting the command it got back - a careless server's reply can carry the password.
let server: Server | undefined;
afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

describe('jobs/poll-imap: health in the store', () => {
  it('seeds live health from the saved row', async () => {
    const store = openStore({ path: ':memory:' });
    store.saveImapHealth({ mailbox: 'main', lastRunAt: 10, lastSuccessAt: 20, lastError: 'old', lastErrorAt: 5, backlog: 4, messagesLastRun: 9 });
    const polling = startImapPolling({ mailboxes: [mailbox({})] }, { store, log, runAtStart: false });
    try {
      expect(polling.health()[0]).toMatchObject({ lastRunAt: 10, lastSuccessAt: 20, lastError: 'old', lastErrorAt: 5, backlog: 4, consecutiveFailures: 0 });
    } finally {
      await polling.stop();
      store.close();
    }
  });

  it('errorText cuts the password out of an error message', () => {
    expect(errorText(mailbox({}), new Error(`NO [AUTHENTICATIONFAILED] bad LOGIN bounces ${PW}`))).toBe('NO [AUTHENTICATIONFAILED] bad LOGIN bounces [password]');
    expect(errorText(mailbox({ password: '' }), new Error('x'))).toBe('x');
  });

  it('a failed pass is saved with its error, never the password, even when the server echoes it', async () => {
    server = createServer((s) => {
      s.write('* OK [CAPABILITY IMAP4rev1] fake ready\r\n');
      s.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\r\n').filter(Boolean)) {
          const [tag, cmd] = line.split(' ');
          if (cmd?.toUpperCase() === 'CAPABILITY') s.write(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
          else s.write(`${tag} NO [AUTHENTICATIONFAILED] rejected: ${line.slice(tag!.length + 1)}\r\n`);
        }
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const store = openStore({ path: ':memory:' });
    const polling = startImapPolling({ mailboxes: [mailbox({ port })] }, { store, log, runAtStart: false });
    try {
      await expect(polling.runNow('main')).rejects.toThrow();
      const [saved] = store.getImapHealth();
      expect(saved).toMatchObject({ mailbox: 'main', lastSuccessAt: null, messagesLastRun: null, lastErrorAt: expect.any(Number) });
      expect(saved!.lastError).toMatch(/^imap mailbox "main" \(bounces@127\.0\.0\.1:\d+\): /);
      // The fake server echoed the LOGIN command: proof the text had the password before it was cut.
      expect(saved!.lastError).toContain('LOGIN "bounces" "[password]"');
      expect(JSON.stringify(saved)).not.toContain(PW);
      expect(JSON.stringify(polling.health())).not.toContain(PW);
    } finally {
      await polling.stop();
      store.close();
    }
  });
});
