/**
 * control/socketmap - the Postfix socketmap responder (Sendmail 8.13 protocol; Postfix >= 2.10),
 * so `check_recipient_access socketmap:inet:127.0.0.1:10041:suppress` refuses suppressed
 * recipients before the mail is sent. Wire format: bounce-semantics.md §5.5 (netstrings).
 *
 * In: netstring requests `<name> <key>`, e.g. `26:suppress alice@example.com,`.
 * Out: one netstring reply each:
 *   map "suppress" / "access": `OK REJECT 5.7.1 Recipient suppressed (Email Invalid)`,
 *     `OK DEFER_IF_PERMIT 4.7.1 Recipient suspended until <ts>`, or `NOTFOUND ` (trailing space);
 *   map "transport" (transport_maps): `OK error:5.7.1 Recipient suppressed (...)` or `OK retry:4.7.1 ...`;
 *   any other map name: `PERM unknown map name`; a store failure: `NOTFOUND ` (control.failOpen)
 *   or `TEMP lookup failed`. A framing error closes the connection (the peer cannot resync).
 * Config keys: control.socketmap.*, control.failOpen, control.suspended.
 */
import type { Socket } from 'node:net';
import { child } from '../log.js';
import { answerBatch, readBatches, type Taken } from './batch.js';
import { suppressionFor, type LookupOptions } from './commands.js';
import { textFromBytes } from '../address/text.js';
import { watchConnection, type ConnectionLimits } from './connections.js';

const log = child('socketmap');

/** Postfix >= 3.12 sends at most 10000 bytes (socketmap_max_query_size). */
const MAX_QUERY = 10_000;

export function netstring(payload: string): string {
  return `${Buffer.byteLength(payload)}:${payload},`;
}

/** Answer one request payload (`name key`) with a reply payload. Pure apart from the store read. */
export function answerSocketmap(payload: string, opts: LookupOptions): string {
  const sp = payload.indexOf(' ');
  const name = sp < 0 ? payload : payload.slice(0, sp);
  const key = sp < 0 ? '' : payload.slice(sp + 1);
  if (name !== 'suppress' && name !== 'access' && name !== 'transport') {
    opts.metrics?.badRequests.inc({ via: 'socketmap' });
    return `PERM unknown map name ${JSON.stringify(name).slice(0, 80)}`;
  }
  // Postfix asks access maps for domains and bare localparts too; only full addresses can be suppressed.
  if (key === '' || key.lastIndexOf('@') <= 0 || /\s/.test(key)) return 'NOTFOUND ';
  const s = suppressionFor(opts.store, key, { suspended: opts.suspended, now: opts.now?.() });
  if (s.verdict === 'error') {
    opts.metrics?.lookupErrors.inc({ via: 'socketmap' });
    log.error({ key, err: s.error }, 'socketmap lookup failed');
    return opts.failOpen ? 'NOTFOUND ' : 'TEMP lookup failed';
  }
  opts.metrics?.lookups.inc({ via: 'socketmap', verdict: s.verdict });
  if (s.verdict === 'ok') return 'NOTFOUND ';
  if (name === 'transport') {
    // transport_maps take a transport:nexthop; error: bounces, retry: defers (Postfix error(8)).
    const [verb, code, ...text] = s.action.split(' ');
    const reject = verb === 'REJECT';
    return `OK ${reject ? 'error' : 'retry'}:${code} ${text.join(' ')}`;
  }
  return `OK ${s.action}`;
}

/** Serve socketmap requests on one connection until the peer closes or breaks the framing. */
export function handleSocketmapConnection(sock: Socket, opts: LookupOptions, limits: ConnectionLimits): void {
  // Postfix closes an idle socketmap connection after 10 s itself; the idle limit reaps the rest.
  const watch = watchConnection(sock, limits);
  sock.setNoDelay?.(true);
  const fail = (why: string): undefined => {
    opts.metrics?.badRequests.inc({ via: 'socketmap' });
    log.warn({ why }, 'socketmap protocol error; closing connection');
    sock.destroy();
    return undefined;
  };
  readBatches(sock, (buf): Taken | undefined => {
    const payloads: string[] = [];
    let pos = 0;
    for (;;) {
      const colon = buf.indexOf(0x3a, pos);
      if (colon < 0) {
        if (buf.length - pos > 6) return fail('length prefix too long');
        break;
      }
      const digits = buf.toString('latin1', pos, colon);
      if (!/^\d{1,5}$/.test(digits)) return fail(`bad netstring length ${JSON.stringify(digits.slice(0, 10))}`);
      const len = Number(digits);
      if (len > MAX_QUERY) return fail(`query of ${len} bytes exceeds ${MAX_QUERY}`);
      const end = colon + 1 + len;
      if (buf.length < end + 1) break;
      if (buf[end] !== 0x2c) return fail('netstring not terminated by ","');
      // Postfix passes UTF-8 keys raw (smtputf8_enable = yes); other bytes stay marked, never guessed.
      watch.request();
      payloads.push(textFromBytes(buf.subarray(colon + 1, end)));
      pos = end + 1;
    }
    buf = pos === 0 ? buf : buf.subarray(pos);
    watch.partial(buf.length > 0);
    if (payloads.length === 0) return { rest: buf };
    const answer = (o: LookupOptions): void => {
      if (!sock.destroyed) sock.write(payloads.map((p) => netstring(answerSocketmap(p, o))).join(''));
    };
    return { rest: buf, pending: answerBatch(sock, opts, () => payloads.map((p) => (p.indexOf(' ') < 0 ? '' : p.slice(p.indexOf(' ') + 1))).filter((k) => k !== ''), answer) };
  });
}
