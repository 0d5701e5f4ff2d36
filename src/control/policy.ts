/**
 * control/policy - a Postfix SMTPD policy delegation server (SMTPD_POLICY_README), so that
 * `check_policy_service inet:127.0.0.1:10042` on the submission smtpd refuses or defers mail to
 * suppressed recipients. Wire format: bounce-semantics.md §5.3.
 *
 * In: `name=value` lines ending in an empty line, many requests per connection.
 * Out: `action=<access(5) action>` plus an empty line:
 *   invalid -> `REJECT 5.7.1 Recipient suppressed (Email Invalid)`,
 *   complained -> `REJECT 5.7.1 Recipient suppressed (complained)`,
 *   suspended -> `DEFER_IF_PERMIT 4.7.1 Recipient suspended until <ts>` (control.suspended = "reject": REJECT 5.7.1),
 *   anything else (other protocol states, no recipient, ok) -> `DUNNO`.
 * On a store failure: DUNNO when control.failOpen, otherwise no reply and a disconnect, which
 * Postfix turns into a temporary error (the README's rule for internal errors).
 * Config keys: control.policy.*, control.failOpen, control.suspended, control.maxLineBytes.
 */
import type { Socket } from 'node:net';
import { child } from '../log.js';
import { answerBatch, readBatches, type Taken } from './batch.js';
import { suppressionFor, type LookupOptions } from './commands.js';
import { textFromBytes } from '../address/text.js';
import { watchConnection, type ConnectionLimits } from './connections.js';

const log = child('policy');

/** A request is ~30 attributes; 64 KiB leaves room for long certificate subjects. */
const MAX_REQUEST = 65_536;

/** Decide one parsed request. Returns the action, or undefined for "disconnect without reply". */
export function answerPolicy(attrs: Map<string, string>, opts: LookupOptions): string | undefined {
  if (attrs.get('request') !== 'smtpd_access_policy') return undefined;
  const recipient = attrs.get('recipient') ?? '';
  if (attrs.get('protocol_state') !== 'RCPT' || recipient === '') return 'DUNNO';
  const s = suppressionFor(opts.store, recipient, { suspended: opts.suspended, now: opts.now?.() });
  if (s.verdict === 'error') {
    opts.metrics?.lookupErrors.inc({ via: 'policy' });
    log.error({ recipient, err: s.error }, 'policy lookup failed');
    return opts.failOpen ? 'DUNNO' : undefined;
  }
  opts.metrics?.lookups.inc({ via: 'policy', verdict: s.verdict });
  return s.verdict === 'ok' ? 'DUNNO' : s.action;
}

export function handlePolicyConnection(sock: Socket, opts: LookupOptions, limits: ConnectionLimits): void {
  // Postfix closes its idle policy connections after smtpd_policy_service_max_idle (300 s).
  const watch = watchConnection(sock, limits);
  // Postfix sends UTF-8 recipients raw with smtputf8_enable = yes (readBatches keeps bytes).
  let attrs = new Map<string, string>();
  let size = 0;
  readBatches(sock, (buf): Taken | undefined => {
    const requests: Map<string, string>[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      const end = nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      const line = buf.subarray(start, end);
      start = nl + 1;
      if (line.length > 0) {
        size += line.length + 1;
        const eq = line.indexOf(0x3d);
        // Unknown attributes are ignored; a repeated name keeps the last value (both allowed).
        if (eq > 0) attrs.set(line.toString('latin1', 0, eq), textFromBytes(line.subarray(eq + 1)));
        continue;
      }
      watch.request();
      requests.push(attrs);
      attrs = new Map();
      size = 0;
    }
    buf = buf.subarray(start);
    watch.partial(buf.length > 0 || size > 0);
    if (buf.length + size > MAX_REQUEST) {
      log.warn('policy request too large; closing connection');
      opts.metrics?.badRequests.inc({ via: 'policy' });
      sock.destroy();
      return undefined;
    }
    if (requests.length === 0) return { rest: buf };
    const answer = (o: LookupOptions): void => {
      let out = '';
      for (const r of requests) {
        const action = answerPolicy(r, o);
        if (action === undefined) {
          opts.metrics?.badRequests.inc({ via: 'policy' });
          if (out !== '' && !sock.destroyed) sock.write(out);
          sock.destroy();
          return;
        }
        out += `action=${action}\n\n`;
      }
      if (out !== '' && !sock.destroyed) sock.write(out);
    };
    return { rest: buf, pending: answerBatch(sock, opts, () => requests.map((r) => r.get('recipient') ?? '').filter((k) => k !== ''), answer) };
  });
}
