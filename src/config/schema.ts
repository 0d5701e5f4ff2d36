/**
 * config/schema - every configuration key, declared once: its type, its default (or that it is
 * optional), its range or choices and whether it is a secret, as one superstruct schema. The TypeScript
 * types (`Config` and its slices), `defaultConfig` and the validation (load.ts) all come from it.
 * A key's path is the same in the TOML file and in TypeScript: `intake.smtp.port`.
 *
 * Adding a key: add it here with its default (or `.optional()`), and document it in
 * config/rebound.example.toml and docs/CONFIG.md - test/config/example.test.ts fails otherwise.
 * Each leaf's error text is what follows "expected" in a problem line (load.ts): keep it a
 * phrase an administrator reads, e.g. `integer 1-65535`.
 */
import { array, coerce, create, define, defaulted, object, optional, refine, string, type Infer, type Struct } from 'superstruct';

type AnyStruct = Struct<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type ObjectSchema = Record<string, AnyStruct>;

/** Schemas whose values never appear in show-config output or error messages. */
const secrets = new WeakSet<object>();
function secret<S extends AnyStruct>(s: S): S {
  secrets.add(s);
  return s;
}
/** What a table or an array expects, for its own problem line ("expected table"). */
const expects = new WeakMap<object, string>();
/** Keys with a default, keys without one (optional). */
const withDefault = new WeakSet<object>();
const withoutDefault = new WeakSet<object>();

/** A leaf: `check` says whether a value is one; `error` is what follows "expected". */
function leaf<T>(error: string, check: (v: unknown) => boolean): Struct<T, null> {
  return define<T>(error, (v) => check(v) || error);
}
function int(min: number, max: number) {
  return leaf<number>(`integer ${min}-${max}`, (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max);
}
const port = () => int(1, 65535);
const bool = () => leaf<boolean>('true or false', (v) => typeof v === 'boolean');
const str = () => leaf<string>('string', (v) => typeof v === 'string');
const nonEmpty = () => refine(str(), 'non-empty', (v) => v.trim() !== '' || 'non-empty string');
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return leaf<T[number]>(`one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, (v) => typeof v === 'string' && values.includes(v));
}
function strings(opts: { nonEmpty?: boolean } = {}) {
  const arr = array(opts.nonEmpty ? nonEmpty() : str());
  expects.set(arr, 'array of strings');
  if (!opts.nonEmpty) return arr;
  const min = refine(arr, 'at-least-one', (v) => v.length > 0 || 'at least one entry');
  expects.set(min, 'array of strings');
  return min;
}
function table<S extends ObjectSchema>(shape: S) {
  const t = object(shape);
  expects.set(t, 'table');
  return t;
}
/** A key with a default (arrays and tables copied for each config). */
function dflt<T>(s: Struct<T, any>, value: T): Struct<T, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const d = defaulted(s, () => (Array.isArray(value) ? [...value] : value) as T);
  for (const [m, x] of [[expects, expects.get(s)]] as const) if (x !== undefined) m.set(d, x);
  if (secrets.has(s)) secrets.add(d);
  withDefault.add(d);
  return d;
}
/** A key without a default: absent unless set. */
function opt<T>(s: Struct<T, any>): Struct<T | undefined, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const o = optional(s);
  if (secrets.has(s)) secrets.add(o);
  withoutDefault.add(o);
  return o;
}
/** A table whose keys all have defaults (or are optional): absent means all defaults. */
const section = <S extends ObjectSchema>(shape: S) => {
  const t = table(shape);
  const d = defaulted(t, () => ({}));
  expects.set(d, 'table');
  withDefault.add(d);
  return d;
};

// node-cron lives in jobs/; a light shape check here catches typos at start-up, and
// node-cron's own validation runs again when jobs start.
const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;
function isCron(s: string): boolean {
  const fields = s.trim().split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => CRON_FIELD.test(f));
}
const cron = (value: string) => dflt(refine(nonEmpty(), 'cron', (v) => isCron(v) || 'cron expression like "*/5 * * * *"'), value);

// TOML has octal literals (0o660); a quoted "0660" is accepted too, since sysadmins write that.
const MODE = 'file mode 0o000-0o777 (e.g. 0o660)';
const mode = () =>
  coerce(
    leaf<number>(MODE, (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0o777),
    string(),
    (x) => (/^0?[0-7]{3}$/.test(x) ? parseInt(x, 8) : x) as unknown as number,
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

const mailboxes = array(mailboxSchema);
expects.set(mailboxes, 'array of tables ([[imap.mailboxes]])');

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
    /** 'sqlite' (this host's file, store.path) or 'postgresql' (store.url, one database shared by
     *  several daemons: docs/SCALE-OUT.md). store.path is not used with 'postgresql'. */
    backend: dflt(oneOf(['sqlite', 'postgresql']), 'sqlite'),
    /** postgresql://user@host:port/database; a password in it is refused (load.ts). */
    url: opt(nonEmpty()),
    /** Connections per process (the node-postgres pool). */
    poolSize: dflt(int(1, 1000), 10),
    /** 'verify-full': TLS, certificate and host name checked; 'require': TLS unchecked; 'off'. */
    tls: dflt(oneOf(['off', 'require', 'verify-full']), 'verify-full'),
    /** PEM file of the CA(s) to trust for tls = 'verify-full' with a private CA. */
    tlsCa: opt(nonEmpty()),
    /** The password, from a file of its own or an environment variable (storePassword, load.ts);
     *  never in this file, never in the Config (so never shown). */
    passwordFile: opt(nonEmpty()),
    passwordEnv: opt(nonEmpty()),
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
  imap: section({ mailboxes: dflt(mailboxes, []) }),
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
  /** The budget of one message's parse and classification (a worker thread of its own). */
  analysis: section({
    /** A message still being analysed after this many seconds is abandoned and stored marked failed. */
    deadlineSeconds: dflt(int(1, 3600), 30),
    /** The analysis worker's heap (MB); a message that needs more is abandoned the same way. */
    maxHeapMb: dflt(int(32, 16_384), 256),
  }),
});

export type Config = Infer<typeof configSchema>;
export type SmtpIntakeConfig = Config['intake']['smtp'];
export type LmtpIntakeConfig = Config['intake']['lmtp'];
export type TlsFiles = SmtpIntakeConfig['tls'];
export type ImapMailboxConfig = Infer<typeof mailboxSchema>;
export type ImapTls = ImapMailboxConfig['tls'];
export type ControlConfig = Config['control'];
export type LogLevel = Config['log']['level'];
export type EscalationAction = Config['state']['escalation']['action'];
export type StoreBackend = Config['store']['backend'];
export type StoreTls = Config['store']['tls'];

/** Every default: the schema applied to an empty file. */
export const defaultConfig: Config = create({}, configSchema);

// ---- reading the schema (load.ts, show-config, the example-file test) ----

/** The schema of a key path (segments; numbers are array indices), or undefined. */
export function schemaAt(path: readonly (string | number)[], root: AnyStruct = configSchema): AnyStruct | undefined {
  let s: AnyStruct | undefined = root;
  for (const seg of path) {
    if (!s) return undefined;
    if (s.type === 'object' && typeof seg === 'string') s = (s.schema as Record<string, AnyStruct>)[seg];
    else if (s.type === 'array' && typeof seg === 'number') s = s.schema as AnyStruct;
    else return undefined;
  }
  return s;
}

/** What a table or array at `path` expects ("table", "array of strings"), or undefined. */
export function expectedAt(path: readonly (string | number)[]): string | undefined {
  const s = schemaAt(path);
  return s ? expects.get(s) : undefined;
}

/** The keys a table at `path` may have (for "did you mean"). */
export function tableKeys(path: readonly (string | number)[]): string[] {
  const s = schemaAt(path);
  return s?.type === 'object' ? Object.keys(s.schema as object) : [];
}

/** Whether a key path holds a secret: the key, or the array it belongs to, was declared with secret(). */
export function isSecretPath(path: readonly (string | number)[]): boolean {
  for (let n = path.length; n > 0; n--) {
    const s = schemaAt(path.slice(0, n));
    if (s && secrets.has(s)) return true;
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

/** The kind of a leaf, by trying the values an example line could hold. */
function kindOf(s: AnyStruct): KeyInfo['kind'] {
  if (s.type === 'array') return 'array';
  if (s.is(true) || s.is(false)) return 'boolean';
  if (s.type.startsWith('one of ')) return 'enum';
  if (s.type.startsWith('integer ') || s.type === MODE) return 'number';
  return 'string';
}

/** Every leaf key (a table is not a leaf; the mailboxes' keys are listed under `imap.mailboxes[]`). */
export function configKeys(): KeyInfo[] {
  const out: KeyInfo[] = [];
  const walk = (s: AnyStruct, path: string): void => {
    if (s.type === 'object') {
      for (const [k, x] of Object.entries(s.schema as Record<string, AnyStruct>)) walk(x, path ? `${path}.${k}` : k);
      return;
    }
    if (s.type === 'array' && (s.schema as AnyStruct).type === 'object') {
      walk(s.schema as AnyStruct, `${path}[]`);
      return;
    }
    out.push({ path, kind: kindOf(s), optional: !withDefault.has(s) });
  };
  walk(configSchema, '');
  return out;
}

