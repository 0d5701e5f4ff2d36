/**
 * config/schema - every configuration key, declared once: its type, its default (or that it is
 * optional), its range or choices and whether it is a secret, as one valibot schema. The TypeScript
 * types (`Config` and its slices), `defaultConfig` and the validation (load.ts) all come from it.
 * A key's path is the same in the TOML file and in TypeScript: `intake.smtp.port`.
 *
 * Adding a key: add it here with its default (or `.optional()`), and document it in
 * config/rebound.example.toml and docs/CONFIG.md - test/config/example.test.ts fails otherwise.
 * Each leaf's error text is what follows "expected" in a problem line (load.ts): keep it a
 * phrase an administrator reads, e.g. `integer 1-65535`.
 */
import * as v from 'valibot';

type Schema = v.GenericSchema;

/** Schemas whose values never appear in show-config output or error messages. */
const secrets = new WeakSet<object>();
function secret<T extends Schema>(s: T): T {
  secrets.add(s);
  return s;
}

function int(min: number, max: number) {
  const error = `integer ${min}-${max}`;
  return v.pipe(v.number(error), v.integer(error), v.minValue(min, error), v.maxValue(max, error));
}
const port = () => int(1, 65535);
const bool = () => v.boolean('true or false');
const str = () => v.string('string');
const nonEmpty = () => v.pipe(str(), v.check((s: string) => s.trim() !== '', 'non-empty string'));
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return v.picklist(values, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
}
function strings(opts: { nonEmpty?: boolean } = {}) {
  const arr = v.array(opts.nonEmpty ? nonEmpty() : str(), 'array of strings');
  return opts.nonEmpty ? v.pipe(arr, v.minLength(1, 'at least one entry')) : arr;
}
function table<E extends v.ObjectEntries>(entries: E) {
  return v.strictObject(entries, 'table');
}
/** A key with a default. */
const dflt = <S extends Schema>(s: S, value: v.InferOutput<S>) => v.optional(s, value as never);
/** A key without a default: absent unless set. */
const opt = <S extends Schema>(s: S) => v.optional(s);
/** A table whose keys all have defaults (or are optional): absent means all defaults. */
const section = <E extends v.ObjectEntries>(entries: E) => v.optional(table(entries), {} as never);

// node-cron lives in jobs/; a light shape check here catches typos at start-up, and
// node-cron's own validation runs again when jobs start.
const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;
function isCron(s: string): boolean {
  const fields = s.trim().split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => CRON_FIELD.test(f));
}
const cron = (value: string) => dflt(v.pipe(nonEmpty(), v.check(isCron, 'cron expression like "*/5 * * * *"')), value);

// TOML has octal literals (0o660); a quoted "0660" is accepted too, since sysadmins write that.
const MODE = 'file mode 0o000-0o777 (e.g. 0o660)';
const mode = () =>
  v.pipe(
    v.unknown(),
    v.transform((x: unknown) => (typeof x === 'string' && /^0?[0-7]{3}$/.test(x) ? parseInt(x, 8) : x)),
    v.number(MODE),
    v.integer(MODE),
    v.minValue(0, MODE),
    v.maxValue(0o777, MODE),
  );

const tlsFiles = section({
  /** PEM certificate chain file; STARTTLS is offered only when cert and key are both set. */
  cert: opt(nonEmpty()),
  key: opt(nonEmpty()),
});

const smtpIntake = section({
  enabled: dflt(bool(), true),
  host: dflt(str(), '127.0.0.1'),
  port: dflt(port(), 2525),
  /** Name announced in the greeting; empty = os.hostname(). */
  hostname: dflt(str(), ''),
  maxClients: dflt(int(1, 100_000), 100),
  maxMessageBytes: dflt(int(1024, 1024 * 1024 * 1024), 10 * 1024 * 1024),
  socketTimeoutMs: dflt(int(1000, 3_600_000), 60_000),
  /** Whole command (and DATA's base allowance), ms; see intake/smtp.ts. Applies to LMTP too. */
  commandTimeoutMs: dflt(int(1000, 3_600_000), 60_000),
  /** DATA bytes per second that extend the message's deadline. */
  minDataRate: dflt(int(1, 1_000_000_000), 500),
  /** Refused RCPTs per session before 421. */
  hardErrorLimit: dflt(int(1, 1000), 20),
  tls: tlsFiles,
});

const lmtpIntake = section({
  enabled: dflt(bool(), false),
  host: dflt(str(), '127.0.0.1'),
  port: dflt(port(), 2424),
  /** Unix socket path; when set, LMTP listens here instead of host:port (and is enabled, load.ts). */
  socket: opt(nonEmpty()),
  /** Group that owns the socket (name or gid; mode 0660) so the MTA's LMTP client can connect; '' = the daemon's group. */
  group: dflt(str(), ''),
});

const mailboxSchema = table({
  name: nonEmpty(),
  host: nonEmpty(),
  port: dflt(port(), 993),
  tls: dflt(oneOf(['implicit', 'starttls', 'none']), 'implicit'),
  user: nonEmpty(),
  /** Exactly one of password / passwordFile / passwordEnv; load.ts resolves it into `password`. */
  password: secret(opt(str())),
  passwordFile: opt(nonEmpty()),
  passwordEnv: opt(nonEmpty()),
  folders: dflt(strings({ nonEmpty: true }), ['INBOX']),
  schedule: cron('*/5 * * * *'),
  idle: dflt(bool(), false),
  moveTo: section({ processed: opt(nonEmpty()), notBounce: opt(nonEmpty()), failed: opt(nonEmpty()) }),
  markSeen: dflt(bool(), true),
  delete: dflt(bool(), false),
  maxMessagesPerRun: dflt(int(1, 1_000_000), 500),
  maxRunSeconds: dflt(int(1, 86_400), 240),
});

const listener = (port_: number) => section({ enabled: dflt(bool(), false), host: dflt(str(), '127.0.0.1'), port: dflt(port(), port_) });

const control = section({
  socket: dflt(nonEmpty(), './data/rebound.sock'),
  mode: dflt(mode(), 0o660),
  /** Group that owns the socket (name or numeric gid); empty = the daemon's group. */
  group: dflt(str(), ''),
  tcp: listener(10040),
  socketmap: section({
    enabled: dflt(bool(), false),
    socket: opt(nonEmpty()),
    host: dflt(str(), '127.0.0.1'),
    port: dflt(port(), 10041),
  }),
  policy: listener(10042),
  /** What Postfix lookups answer for a suspended recipient: DEFER_IF_PERMIT 4.7.1 or REJECT 5.7.1. */
  suspended: dflt(oneOf(['defer', 'reject']), 'defer'),
  /** On an internal error answer DUNNO/NOTFOUND (true) or TEMP/DEFER (false). */
  failOpen: dflt(bool(), true),
  maxLineBytes: dflt(int(256, 1_048_576), 4096),
  /** All listeners together, per process (main and each reader). */
  maxClients: dflt(int(1, 100_000), 1000),
  /** Each listener (status socket, its TCP twin, socketmap, policy), per process. */
  maxClientsPerListener: dflt(int(1, 100_000), 500),
  /** A control connection without a byte from the client for this long is closed. */
  idleSeconds: dflt(int(10, 86_400), 300),
  /** Reader processes that answer the control listeners (0 = the main process answers). */
  readers: dflt(int(0, 64), 2),
});

export const configSchema = table({
  store: section({
    path: dflt(nonEmpty(), './data/rebound.db'),
    busyTimeoutMs: dflt(int(0, 600_000), 5000),
  }),
  state: section({
    /** Hours after Email Suspended At before the address may be mailed again (Marketo: 24). */
    suspendHours: dflt(int(1, 24 * 365), 24),
    escalation: section({
      enabled: dflt(bool(), false),
      /** Counted soft bounces (at most one per UTC day) needed to escalate... */
      softBounces: dflt(int(1, 1000), 7),
      /** ...spread over at least this many distinct days... */
      distinctDays: dflt(int(1, 3650), 3),
      /** ...all within this many days (a sliding window ending at the latest soft bounce). */
      withinDays: dflt(int(1, 3650), 90),
      action: dflt(oneOf(['suspend', 'invalid']), 'suspend'),
    }),
  }),
  intake: section({ smtp: smtpIntake, lmtp: lmtpIntake }),
  verp: section({
    domains: dflt(strings({ nonEmpty: true }), ['bounces.localhost']),
    prefix: dflt(nonEmpty(), 'bounces'),
    delimiter: dflt(oneOf(['+', '-', '=', '.', '_']), '+'),
    equals: dflt(oneOf(['=', '+', '-', '.', '_']), '='),
    /** HMAC keys, newest first; first one signs, all verify. */
    keys: dflt(secret(strings()), []),
    /** Extra keys, one per line, read from this file (appended to `keys`). */
    keysFile: opt(nonEmpty()),
    /** Extra keys, comma-separated, read from this environment variable (appended to `keys`). */
    keysEnv: opt(nonEmpty()),
    requireSignature: dflt(bool(), false),
    // The expiry day wraps at 1000 (verp/sign.ts).
    maxAgeDays: dflt(int(1, 500), 30),
    allowUnverifiedState: dflt(bool(), false),
  }),
  imap: section({ mailboxes: dflt(v.array(mailboxSchema, 'array of tables ([[imap.mailboxes]])'), []) }),
  control,
  metrics: section({ http: section({ enabled: dflt(bool(), false), host: dflt(str(), '127.0.0.1'), port: dflt(port(), 9465) }) }),
  jobs: section({
    prune: section({
      enabled: dflt(bool(), true),
      schedule: cron('17 3 * * *'),
      eventsDays: dflt(int(1, 36_500), 400),
      messagesDays: dflt(int(1, 36_500), 30),
    }),
    checkpoint: section({ enabled: dflt(bool(), true), schedule: cron('*/15 * * * *') }),
    backup: section({
      enabled: dflt(bool(), false),
      schedule: cron('45 2 * * *'),
      dir: dflt(nonEmpty(), './data/backup'),
      keep: dflt(int(1, 10_000), 7),
    }),
  }),
  log: section({ level: dflt(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info') }),
});

export type Config = v.InferOutput<typeof configSchema>;
export type SmtpIntakeConfig = Config['intake']['smtp'];
export type LmtpIntakeConfig = Config['intake']['lmtp'];
export type TlsFiles = SmtpIntakeConfig['tls'];
export type ImapMailboxConfig = v.InferOutput<typeof mailboxSchema>;
export type ImapTls = ImapMailboxConfig['tls'];
export type ControlConfig = Config['control'];
export type LogLevel = Config['log']['level'];
export type EscalationAction = Config['state']['escalation']['action'];

/** Every default: the schema applied to an empty file. */
export const defaultConfig: Config = v.parse(configSchema, {});

// ---- reading the schema (load.ts, show-config, the example-file test) ----

interface Node {
  type: string;
  wrapped?: Node;
  entries?: Record<string, Node>;
  item?: Node;
  pipe?: Node[];
}

/** The schema under `optional` wrappers. */
function unwrap(s: Node): Node {
  while (s.type === 'optional' && s.wrapped) s = s.wrapped;
  return s;
}

/** The schema of a key path (segments; numbers are array indices), or undefined. */
function schemaAt(path: readonly (string | number)[], root: Schema = configSchema): Schema | undefined {
  let s: Node | undefined = root as unknown as Node;
  for (const seg of path) {
    if (!s) return undefined;
    const u = unwrap(s);
    if (u.type === 'strict_object' && typeof seg === 'string') s = u.entries?.[seg];
    else if (u.type === 'array' && typeof seg === 'number') s = u.item;
    else return undefined;
  }
  return s as unknown as Schema | undefined;
}

/** The keys a table at `path` may have (for "did you mean"). */
export function tableKeys(path: readonly (string | number)[]): string[] {
  const s = schemaAt(path);
  const u = s ? unwrap(s as unknown as Node) : undefined;
  return u?.type === 'strict_object' && u.entries ? Object.keys(u.entries) : [];
}

/** Whether a key path holds a secret: the key, or the array or table it belongs to, was declared
 *  with secret() (under any wrapper). */
export function isSecretPath(path: readonly (string | number)[]): boolean {
  for (let n = path.length; n > 0; n--) {
    for (let s = schemaAt(path.slice(0, n)) as unknown as Node | undefined; s; s = s.type === 'optional' ? s.wrapped : undefined) {
      if (secrets.has(s)) return true;
    }
  }
  return false;
}

/** One leaf key of the schema, as the example file and the docs list it. */
export interface KeyInfo {
  /** `intake.smtp.port`; mailbox keys as `imap.mailboxes[].port`. */
  path: string;
  kind: 'string' | 'number' | 'boolean' | 'enum' | 'array' | 'other';
  /** No default: absent unless set (optional keys, and a mailbox's required name/host/user). */
  optional: boolean;
}

/** Every leaf key (a table is not a leaf; the mailboxes' keys are listed under `imap.mailboxes[]`). */
export function configKeys(): KeyInfo[] {
  const out: KeyInfo[] = [];
  const walk = (s: Node, path: string): void => {
    const hasDefault = s.type === 'optional' && (s as { default?: unknown }).default !== undefined;
    const optional = s.type === 'optional' && !hasDefault;
    const t = unwrap(s);
    if (t.type === 'strict_object' && t.entries) {
      for (const [k, x] of Object.entries(t.entries)) walk(x, path ? `${path}.${k}` : k);
      return;
    }
    if (t.type === 'array' && t.item && unwrap(t.item).type === 'strict_object') {
      walk(t.item, `${path}[]`);
      return;
    }
    const kinds: Record<string, KeyInfo['kind']> = { string: 'string', number: 'number', boolean: 'boolean', picklist: 'enum', array: 'array' };
    out.push({ path, kind: kinds[t.type] ?? 'other', optional: optional || (s.type !== 'optional' && !hasDefault) });
  };
  walk(configSchema as unknown as Node, '');
  return out;
}
