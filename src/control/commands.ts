/**
 * control/commands - the status protocol's command table and the one "may I send?" decision that
 * the status socket, the socketmap responder and the policy server share.
 *
 * In: one request line (`check alice@example.com`), the read-only store and daemon callbacks.
 * Out: one JSON object per request (server.ts writes it as one line). Every command here is a
 * read-only query (OpenSMTPD smtpctl `show ...`); admin commands would go in a separate block.
 * Config keys: control.suspended (how Postfix lookups answer a suspended address).
 */
import type { Metrics } from '../metrics.js';
import type { AddressStatus, HistoryEntry, MayISend, Stats } from '../store/index.js';
import { normaliseAddress } from '../address/normal.js';
import { mailboxProblem } from '../address/syntax.js';

/** The store calls the control plane needs; satisfied by a read-only `Store`. */
export interface ControlStore {
  mayISend(address: string, now?: number): MayISend;
  addressStatus(address: string, now?: number): AddressStatus;
  history(address: string, limit?: number): HistoryEntry[];
  stats(now?: number): Stats;
}

export interface ComponentHealth {
  ok: boolean;
  detail?: string;
}

export interface ControlDeps {
  store: ControlStore;
  metrics?: Metrics;
  /** Health of daemon components (smtp, lmtp, imap, jobs, ...), from the daemon. */
  health?: () => Record<string, ComponentHealth>;
  /** Per-mailbox IMAP poller state for `stats` (last run, last error, counts), from intake/imap. */
  imap?: () => unknown;
  /** Messages waiting to be processed and failed ones are in store stats; anything else here. */
  extraStats?: () => Record<string, unknown>;
  now?: () => number;
  /**
   * In a reader process (control/reader.ts): the reply line (JSON, no newline) from the main
   * process for commands whose answer lives there (stats, health, metrics), or undefined when
   * this process answers `line` itself.
   */
  remote?: (line: string) => Promise<string> | undefined;
  /** Ask `remote` for every line, `check` included (the PostgreSQL daemon, whose store answers
   *  asynchronously: daemon/backends/postgresql.ts); otherwise `check` is answered here at once. */
  remoteAll?: boolean;
}

export type Reply = { ok: true; [k: string]: unknown } | { ok: false; error: string; [k: string]: unknown };

interface Command {
  verb: string;
  usage: string;
  help: string;
  minArgs: number;
  maxArgs: number;
  run(args: string[], deps: ControlDeps, ctx: CommandContext): Reply;
}

/** Per-server context: start time and the stats cache. */
export interface CommandContext {
  startedAt: number;
  statsCache?: { at: number; value: Stats };
}

const MAX_ADDRESS = 320; // RFC 5321: 64 local + @ + 255 domain

/** A syntactically plausible mailbox: local@domain, no spaces or control characters. */
export function checkAddress(a: string): string | undefined {
  if (a.length > MAX_ADDRESS) return `address longer than ${MAX_ADDRESS} characters`;
  const at = a.lastIndexOf('@');
  if (at <= 0 || at === a.length - 1) return `expected an address like user@example.com, got ${JSON.stringify(a)}`;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(a)) return 'address contains whitespace or control characters';
  // "a@b@c", "a@.", "a,b@c", "a@b_c": RFC 5321 mailbox syntax (address/syntax.ts) and the one
  // normal form (address/normal.ts) must both name a mailbox.
  const problem = mailboxProblem(a) ?? (normaliseAddress(a) === '' ? 'no mailbox' : undefined);
  if (problem) return `not an email address: ${JSON.stringify(a)}: ${problem}`;
  return undefined;
}

function iso(ms: number | null | undefined): string | null {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** The JSON shape of a "may I send?" answer. */
export function verdictReply(m: MayISend): Reply {
  const r: Reply = { ok: true, address: m.address, verdict: m.verdict, cause: m.cause };
  if (m.verdict === 'suspended') r.until = iso(m.until);
  return r;
}

/**
 * `verdictReply(m)` as its JSON text (the same bytes as JSON.stringify), without building and
 * serialising an object for the common answers: this is the status socket's hot path.
 */
export function verdictJson(m: MayISend): string {
  if (m.verdict === 'ok') return `{"ok":true,"address":${JSON.stringify(m.address)},"verdict":"ok","cause":""}`;
  return JSON.stringify(verdictReply(m));
}

/**
 * `check ADDRESS`: the one place a check is answered, for runCommand and for the status socket's
 * fast path (server.ts, a line already known to be exactly `check ADDRESS`): a refusal, or the
 * store's "may I send?" answer, counted in the lookup metrics.
 */
function check(address: string, deps: ControlDeps): { bad: string } | MayISend {
  const bad = checkAddress(address);
  if (bad) return { bad };
  const m = deps.store.mayISend(address, deps.now?.());
  deps.metrics?.lookups.inc({ via: 'socket', verdict: m.verdict });
  return m;
}

/** `check ADDRESS` answered as one JSON line without the newline: the same answers, metrics and
 *  errors as runCommand. */
export function checkJson(address: string, deps: ControlDeps): string {
  let m: ReturnType<typeof check>;
  try {
    m = check(address, deps);
  } catch (err) {
    return JSON.stringify({ ok: false, error: `internal error: ${(err as Error).message}` } satisfies Reply);
  }
  return 'bad' in m ? JSON.stringify({ ok: false, error: m.bad } satisfies Reply) : verdictJson(m);
}

// `stats` counts every row (a full scan on a million addresses); cache it so that operators and
// scrapers polling it cannot keep the event loop busy and push up lookup latency.
const STATS_TTL_MS = 5000;

function stats(deps: ControlDeps, ctx: CommandContext): Stats {
  const now = deps.now?.() ?? Date.now();
  if (ctx.statsCache && now - ctx.statsCache.at < STATS_TTL_MS) return ctx.statsCache.value;
  const value = deps.store.stats(now);
  ctx.statsCache = { at: now, value };
  return value;
}

const commands: Command[] = [
  // ---- queries (read-only) ----
  {
    verb: 'check',
    usage: 'check ADDRESS',
    help: 'may I send to ADDRESS now? verdict ok, suspended (with until), invalid or complained, with the cause',
    minArgs: 1,
    maxArgs: 1,
    run([address], deps) {
      const m = check(address!, deps);
      return 'bad' in m ? { ok: false, error: m.bad } : verdictReply(m);
    },
  },
  {
    verb: 'status',
    usage: 'status ADDRESS',
    help: 'every state field of ADDRESS (suspended, invalid, complained, soft-bounce counters, times)',
    minArgs: 1,
    maxArgs: 1,
    run([address], deps) {
      const bad = checkAddress(address!);
      if (bad) return { ok: false, error: bad };
      const s = deps.store.addressStatus(address!, deps.now?.());
      return {
        ok: true,
        address: s.address,
        known: s.known,
        verdict: s.mayISend.verdict,
        until: iso(s.mayISend.until),
        emailSuspended: s.emailSuspended,
        emailSuspendedCause: s.emailSuspendedCause,
        emailSuspendedAt: iso(s.emailSuspendedAt),
        emailInvalid: s.emailInvalid,
        emailInvalidCause: s.emailInvalidCause,
        emailInvalidAt: iso(s.emailInvalidAt),
        complained: s.complained,
        complainedAt: iso(s.complainedAt),
        softBounces: s.softBounces,
        softDays: s.softDays,
        lastSoftAt: iso(s.lastSoftAt),
        firstBounceAt: iso(s.firstBounceAt),
        lastBounceAt: iso(s.lastBounceAt),
        events: s.events,
      };
    },
  },
  {
    verb: 'history',
    usage: 'history ADDRESS [N]',
    help: 'the last N (default 20, at most 1000) events, resets and imports for ADDRESS, newest first',
    minArgs: 1,
    maxArgs: 2,
    run([address, n], deps) {
      const bad = checkAddress(address!);
      if (bad) return { ok: false, error: bad };
      let limit = 20;
      if (n !== undefined) {
        if (!/^\d{1,4}$/.test(n) || Number(n) < 1 || Number(n) > 1000)
          return { ok: false, error: `expected N as an integer 1-1000, got ${JSON.stringify(n)}` };
        limit = Number(n);
      }
      const entries = deps.store.history(address!, limit).map((e) => ({ ...e, at: iso(e.at), receivedAt: iso(e.receivedAt) }));
      return { ok: true, address: address!, count: entries.length, entries };
    },
  },
  {
    verb: 'stats',
    usage: 'stats',
    help: 'counts by state and category, messages by source, pending/failed, IMAP mailbox health, uptime',
    minArgs: 0,
    maxArgs: 0,
    run(_args, deps, ctx) {
      const s = stats(deps, ctx);
      const m = deps.metrics;
      return {
        ok: true,
        uptimeSeconds: Math.round(((deps.now?.() ?? Date.now()) - ctx.startedAt) / 1000),
        addresses: s.addresses,
        messages: s.messages,
        pending: s.messages.pending,
        failed: s.messages.failed,
        events: s.events,
        schemaVersion: s.schemaVersion,
        messagesBySource: m ? m.messages.totals('source') : {},
        outcomesSinceStart: m ? m.messages.totals('outcome') : {},
        lookupsSinceStart: m ? m.lookups.totals('verdict') : {},
        imap: deps.imap?.() ?? [],
        ...(deps.extraStats?.() ?? {}),
      };
    },
  },
  {
    verb: 'health',
    usage: 'health',
    help: 'is the daemon well? store reachable, components up; healthy false when anything is down',
    minArgs: 0,
    maxArgs: 0,
    run(_args, deps, ctx) {
      const components: Record<string, ComponentHealth> = {};
      try {
        const t0 = performance.now();
        deps.store.mayISend('health-check@rebound.invalid', deps.now?.());
        components.store = { ok: true, detail: `lookup ${(performance.now() - t0).toFixed(3)} ms` };
      } catch (err) {
        components.store = { ok: false, detail: (err as Error).message };
      }
      Object.assign(components, deps.health?.() ?? {});
      const healthy = Object.values(components).every((c) => c.ok);
      return {
        ok: true,
        healthy,
        uptimeSeconds: Math.round(((deps.now?.() ?? Date.now()) - ctx.startedAt) / 1000),
        components,
      };
    },
  },
  {
    verb: 'metrics',
    usage: 'metrics',
    help: 'Prometheus text exposition in the "metrics" field (echo metrics | nc -N -U SOCKET | jq -r .metrics)',
    minArgs: 0,
    maxArgs: 0,
    run(_args, deps) {
      if (!deps.metrics) return { ok: false, error: 'metrics are not enabled in this process' };
      return { ok: true, metrics: deps.metrics.render() };
    },
  },
  {
    verb: 'help',
    usage: 'help',
    help: 'this list',
    minArgs: 0,
    maxArgs: 0,
    run() {
      return { ok: true, commands: commands.map((c) => ({ usage: c.usage, help: c.help })).concat([{ usage: 'quit', help: 'close the connection (ending your input does too: socat, nc -N; plain nc -U never ends it)' }]) };
    },
  },
];

const byVerb = new Map(commands.map((c) => [c.verb, c]));

/**
 * Run one request line. Returns the reply, or 'quit'. Never throws: a failing store becomes
 * `{ ok: false, error }` so the connection stays usable.
 */
export function runCommand(line: string, deps: ControlDeps, ctx: CommandContext): Reply | 'quit' {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const verb = (words[0] ?? '').toLowerCase();
  if (verb === 'quit' || verb === 'exit') return 'quit';
  const cmd = byVerb.get(verb);
  if (!cmd) {
    deps.metrics?.badRequests.inc({ via: 'socket' });
    return { ok: false, error: `unknown command ${JSON.stringify(words[0] ?? '')}; try "help"` };
  }
  const args = words.slice(1);
  if (args.length < cmd.minArgs || args.length > cmd.maxArgs) {
    deps.metrics?.badRequests.inc({ via: 'socket' });
    return { ok: false, error: `usage: ${cmd.usage}` };
  }
  try {
    return cmd.run(args, deps, ctx);
  } catch (err) {
    return { ok: false, error: `internal error: ${(err as Error).message}` };
  }
}

// ---- the Postfix-facing decision (socketmap.ts, policy.ts) ----

export interface Suppression {
  /** 'ok' = not suppressed; 'error' = the lookup failed (caller applies control.failOpen). */
  verdict: MayISend['verdict'] | 'error';
  /** access(5) action text for check_recipient_access / policy replies; '' when not suppressed. */
  action: string;
  error?: string;
}

/**
 * The access(5) action for one recipient, per bounce-semantics.md §5.3/§5.5:
 * invalid -> REJECT 5.7.1 Recipient suppressed (Email Invalid); complained -> REJECT 5.7.1 ...;
 * suspended -> DEFER_IF_PERMIT 4.7.1 Recipient suspended until <ts> (or REJECT, control.suspended).
 */
export function suppressionFor(
  store: ControlStore,
  address: string,
  opts: { suspended: 'defer' | 'reject'; now?: number },
): Suppression {
  let m: MayISend;
  try {
    m = store.mayISend(address, opts.now);
  } catch (err) {
    return { verdict: 'error', action: '', error: (err as Error).message };
  }
  switch (m.verdict) {
    case 'invalid':
      return { verdict: 'invalid', action: 'REJECT 5.7.1 Recipient suppressed (Email Invalid)' };
    case 'complained':
      return { verdict: 'complained', action: 'REJECT 5.7.1 Recipient suppressed (complained)' };
    case 'suspended': {
      const until = iso(m.until) ?? 'later';
      return {
        verdict: 'suspended',
        action:
          opts.suspended === 'reject'
            ? `REJECT 5.7.1 Recipient suspended until ${until}`
            : `DEFER_IF_PERMIT 4.7.1 Recipient suspended until ${until}`,
      };
    }
    default:
      return { verdict: 'ok', action: '' };
  }
}

/** What the Postfix responders need (socketmap.ts, policy.ts). */
export interface LookupOptions {
  store: ControlStore;
  /** control.failOpen: on a store error answer "not suppressed" (true) or a temporary failure (false). */
  failOpen: boolean;
  /** control.suspended */
  suspended: 'defer' | 'reject';
  metrics?: Metrics | undefined;
  now?: (() => number) | undefined;
  /**
   * A store that answers later (PostgreSQL, daemon/backends/postgresql.ts): the keys of the requests that
   * arrived together are fetched first, then answered from what came back, in order, by the same
   * decision as always. Absent: `store` answers at once.
   */
  prefetch?: ((keys: string[], now: number | undefined) => Promise<ControlStore>) | undefined;
}
