/**
 * Two processes writing the same database at once - a "daemon" (the store API, one message per
 * transaction, as SMTP intake does) and `rebound ingest` (batched) - lose nothing: every message
 * is stored once, processed once, and every address gets exactly its event. Both sides also
 * ingest the same 30 messages, which must end up stored once.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { privateApp, runNode } from '../support/app.js';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'rebound-conc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const main = privateApp(dir);

const template = readFileSync(join(root, 'test', 'fixtures', 'store', 'user-unknown-511.eml'), 'utf8');
const message = (who: string) => template.replaceAll('bob@invalid.example', `${who}@invalid.example`);
const PER_SIDE = 120;
const SHARED = 30;

describe('store: two writers at once', () => {
  it('daemon-style writer and `rebound ingest` lose nothing', async () => {
    const db = join(dir, 'shared.db');
    const cliDir = join(dir, 'cli');
    const daemonDir = join(dir, 'daemon');
    mkdirSync(cliDir);
    mkdirSync(daemonDir);
    for (let i = 0; i < PER_SIDE; i++) {
      writeFileSync(join(cliDir, `c${i}.eml`), message(`cli${i}`));
      writeFileSync(join(daemonDir, `d${i}.eml`), message(`daemon${i}`));
    }
    for (let i = 0; i < SHARED; i++) {
      writeFileSync(join(cliDir, `s${i}.eml`), message(`shared${i}`));
      writeFileSync(join(daemonDir, `s${i}.eml`), message(`shared${i}`));
    }
    // Create the schema first so both children start on an existing file.
    openStore({ path: db }).close();
    const cfg = join(dir, 'rebound.toml');
    writeFileSync(cfg, `[store]\nbusyTimeoutMs = 60000\n`);

    const daemonScript = join(dir, 'daemon.mjs');
    writeFileSync(
      daemonScript,
      `import { readdirSync, readFileSync } from 'node:fs';
       import { join } from 'node:path';
       import { openStore } from ${JSON.stringify(join(dirname(main), 'store', 'index.js'))};
       import { sqliteStoreApi } from ${JSON.stringify(join(dirname(main), 'store', 'open.js'))};
       import { Pipeline } from ${JSON.stringify(join(dirname(main), 'pipeline', 'run.js'))};
       const store = openStore({ path: process.argv[2], busyTimeoutMs: 60000 });
       const pipeline = new Pipeline(sqliteStoreApi(store));
       let n = 0;
       for (const f of readdirSync(process.argv[3]).sort()) {
         const raw = readFileSync(join(process.argv[3], f));
         const { id } = store.saveMessage({ source: 'smtp', origin: '127.0.0.1', mailFrom: '', rcptTo: ['b@bounces.example'], receivedAt: Date.now() }, raw);
         await pipeline.processMessage(id);
         n++;
       }
       store.close();
       console.log(n);`,
    );
    const [d, c] = await Promise.all([
      runNode([daemonScript, db, daemonDir]),
      runNode([main, 'ingest', cliDir, '--db', db, '-c', cfg, '--batch', '25', '--json']),
    ]);
    expect(d.err).toBe('');
    expect(d.code).toBe(0);
    expect(d.out.trim()).toBe(String(PER_SIDE + SHARED));
    expect(c.code, c.err).toBe(0);
    expect(JSON.parse(c.out)).toMatchObject({ messages: PER_SIDE + SHARED, failed: 0 });

    const store = openStore({ path: db });
    const st = store.stats();
    const unique = 2 * PER_SIDE + SHARED;
    expect(st.messages).toMatchObject({ total: unique, processed: unique, pending: 0, failed: 0 });
    expect(st.events.total).toBe(unique);
    expect(st.addresses).toMatchObject({ known: unique, invalid: unique });
    for (const who of ['cli0', `daemon${PER_SIDE - 1}`, 'shared0', `shared${SHARED - 1}`]) {
      expect(store.addressStatus(`${who}@invalid.example`)).toMatchObject({ emailInvalid: true, events: 1 });
    }
    store.close();
  }, 180_000);
});
