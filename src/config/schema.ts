/**
 * config/schema - every configuration key, declared once: its type, its default (or that it is
 * optional), its range or choices and whether it is a secret, as one zod schema. The TypeScript
 * types (`Config` and its slices), `defaultConfig` and the validation (load.ts) all come from it.
 * A key's path is the same in the TOML file and in TypeScript: `intake.smtp.port`.
 *
 * Adding a key: add it here with its default (or `.optional()`), and document it in
 * config/rebound.example.toml and docs/CONFIG.md - test/config/example.test.ts fails otherwise.
 * Each leaf's error text is what follows "expected" in a problem line (load.ts): keep it a
 * phrase an administrator reads, e.g. `integer 1-65535`.
 */
import { z } from 'zod';

/** Schemas whose values never appear in show-config output or error messages. */
const secrets = new WeakSet<z.ZodType>();
function secret<T extends z.ZodType>(s: T): T {
  secrets.add(s);
  return s;
}

function int(min: number, max: number) {
  const error = `integer ${min}-${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}
const port = () => int(1, 65535);
const bool = () => z.boolean({ error: 'true or false' });
const str = () => z.string({ error: 'string' });
const nonEmpty = () => str().refine((v) => v.trim() !== '', { error: 'non-empty string' });
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `one of ${values.map((x) => JSON.stringify(x)).join(', ')}` });
}
function strings(opts: { nonEmpty?: boolean } = {}) {
  const el = opts.nonEmpty ? nonEmpty() : str();
  const arr = z.array(el, { error: 'array of strings' });
  return opts.nonEmpty ? arr.min(1, { error: 'at least one entry' }) : arr;
}
function table<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.strictObject(shape, { error: 'table' });
}

// node-cron lives in jobs/; a light shape check here catches typos at start-up, and
// node-cron's own validation runs again when jobs start.
const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;
function isCron(s: string): boolean {
  const fields = s.trim().split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => CRON_FIELD.test(f));
}
const cron = (dflt: string) => nonEmpty().refine(isCron, { error: 'cron expression like "*/5 * * * *"' }).default(dflt);

// TOML has octal literals (0o660); a quoted "0660" is accepted too, since sysadmins write that.
const MODE = 'file mode 0o000-0o777 (e.g. 0o660)';
const mode = () =>
  z.preprocess((v) => (typeof v === 'string' && /^0?[0-7]{3}$/.test(v) ? parseInt(v, 8) : v), z.number({ error: MODE }).int({ error: MODE }).min(0, { error: MODE }).max(0o777, { error: MODE }));

const tlsFiles = table({
  /** PEM certificate chain file; STARTTLS is offered only when cert and key are both set. */
  cert: nonEmpty().optional(),
  key: nonEmpty().optional(),
});

const smtpIntake = table({
  enabled: bool().default(true),
  host: str().default('127.0.0.1'),
  port: port().default(2525),
  /** Name announced in the greeting; empty = os.hostname(). */
  hostname: str().default(''),
  maxClients: int(1, 100_000).default(100),
  maxMessageBytes: int(1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
  socketTimeoutMs: int(1000, 3_600_000).default(60_000),
  tls: tlsFiles.prefault({}),
});

const lmtpIntake = table({
  enabled: bool().default(false),
  host: str().default('127.0.0.1'),
  port: port().default(2424),
  /** Unix socket path; when set, LMTP listens here instead of host:port (and is enabled, load.ts). */
  socket: nonEmpty().optional(),
  /** Group that owns the socket (name or gid; mode 0660) so the MTA's LMTP client can connect; '' = the daemon's group. */
  group: str().default(''),
});

export const mailboxSchema = table({
  name: nonEmpty(),
  host: nonEmpty(),
  port: port().default(993),
  tls: oneOf(['implicit', 'starttls', 'none']).default('implicit'),
  user: nonEmpty(),
  /** Exactly one of password / passwordFile / passwordEnv; load.ts resolves it into `password`. */
  password: secret(str().optional()),
  passwordFile: nonEmpty().optional(),
  passwordEnv: nonEmpty().optional(),
  folders: strings({ nonEmpty: true }).default(['INBOX']),
  schedule: cron('*/5 * * * *'),
  idle: bool().default(false),
  moveTo: table({ processed: nonEmpty().optional(), notBounce: nonEmpty().optional(), failed: nonEmpty().optional() }).prefault({}),
  markSeen: bool().default(true),
  delete: bool().default(false),
  maxMessagesPerRun: int(1, 1_000_000).default(500),
  maxRunSeconds: int(1, 86_400).default(240),
});

const control = table({
  socket: nonEmpty().default('./data/rebound.sock'),
  mode: mode().default(0o660),
  /** Group that owns the socket (name or numeric gid); empty = the daemon's group. */
  group: str().default(''),
  tcp: table({ enabled: bool().default(false), host: str().default('127.0.0.1'), port: port().default(10040) }).prefault({}),
  socketmap: table({
    enabled: bool().default(false),
    socket: nonEmpty().optional(),
    host: str().default('127.0.0.1'),
    port: port().default(10041),
  }).prefault({}),
  policy: table({ enabled: bool().default(false), host: str().default('127.0.0.1'), port: port().default(10042) }).prefault({}),
  /** What Postfix lookups answer for a suspended recipient: DEFER_IF_PERMIT 4.7.1 or REJECT 5.7.1. */
  suspended: oneOf(['defer', 'reject']).default('defer'),
  /** On an internal error answer DUNNO/NOTFOUND (true) or TEMP/DEFER (false). */
  failOpen: bool().default(true),
  maxLineBytes: int(256, 1_048_576).default(4096),
  maxClients: int(1, 100_000).default(1000),
  /** Reader processes that answer the control listeners (0 = the main process answers). */
  readers: int(0, 64).default(2),
});

export const configSchema = table({
  store: table({
    path: nonEmpty().default('./data/rebound.db'),
    busyTimeoutMs: int(0, 600_000).default(5000),
  }).prefault({}),
  state: table({
    /** Hours after Email Suspended At before the address may be mailed again (Marketo: 24). */
    suspendHours: int(1, 24 * 365).default(24),
    escalation: table({
      enabled: bool().default(false),
      /** Counted soft bounces (at most one per UTC day) needed to escalate... */
      softBounces: int(1, 1000).default(7),
      /** ...spread over at least this many distinct days... */
      distinctDays: int(1, 3650).default(3),
      /** ...all within this many days (a sliding window ending at the latest soft bounce). */
      withinDays: int(1, 3650).default(90),
      action: oneOf(['suspend', 'invalid']).default('suspend'),
    }).prefault({}),
  }).prefault({}),
  intake: table({ smtp: smtpIntake.prefault({}), lmtp: lmtpIntake.prefault({}) }).prefault({}),
  verp: table({
    domains: strings({ nonEmpty: true }).default(['bounces.localhost']),
    prefix: nonEmpty().default('bounces'),
    delimiter: oneOf(['+', '-', '=', '.', '_']).default('+'),
    equals: oneOf(['=', '+', '-', '.', '_']).default('='),
    /** HMAC keys, newest first; first one signs, all verify. */
    keys: secret(strings()).default([]),
    /** Extra keys, one per line, read from this file (appended to `keys`). */
    keysFile: nonEmpty().optional(),
    /** Extra keys, comma-separated, read from this environment variable (appended to `keys`). */
    keysEnv: nonEmpty().optional(),
    requireSignature: bool().default(false),
    // The expiry day wraps at 1000 (verp/sign.ts).
    maxAgeDays: int(1, 500).default(30),
    allowUnverifiedState: bool().default(false),
  }).prefault({}),
  imap: table({ mailboxes: z.array(mailboxSchema, { error: 'array of tables ([[imap.mailboxes]])' }).default([]) }).prefault({}),
  control: control.prefault({}),
  metrics: table({
    http: table({ enabled: bool().default(false), host: str().default('127.0.0.1'), port: port().default(9465) }).prefault({}),
  }).prefault({}),
  jobs: table({
    prune: table({
      enabled: bool().default(true),
      schedule: cron('17 3 * * *'),
      eventsDays: int(1, 36_500).default(400),
      messagesDays: int(1, 36_500).default(30),
    }).prefault({}),
    checkpoint: table({ enabled: bool().default(true), schedule: cron('*/15 * * * *') }).prefault({}),
    backup: table({
      enabled: bool().default(false),
      schedule: cron('45 2 * * *'),
      dir: nonEmpty().default('./data/backup'),
      keep: int(1, 10_000).default(7),
    }).prefault({}),
  }).prefault({}),
  log: table({ level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
});

export type Config = z.output<typeof configSchema>;
export type SmtpIntakeConfig = Config['intake']['smtp'];
export type LmtpIntakeConfig = Config['intake']['lmtp'];
export type TlsFiles = SmtpIntakeConfig['tls'];
export type ImapMailboxConfig = z.output<typeof mailboxSchema>;
export type ImapTls = ImapMailboxConfig['tls'];
export type ControlConfig = Config['control'];
export type LogLevel = Config['log']['level'];
export type EscalationAction = Config['state']['escalation']['action'];

/** Every default: the schema applied to an empty file. */
export const defaultConfig: Config = configSchema.parse({});

// ---- reading the schema (load.ts, show-config, the example-file test) ----

/** The schema under a wrapper (default, prefault, optional, preprocess). */
function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: z.ZodType; out?: z.ZodType };
    if ((def.type === 'default' || def.type === 'prefault' || def.type === 'optional') && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.out) s = def.out;
    else return s;
  }
}

/** The schema of a key path (segments; numbers are array indices), or undefined. */
export function schemaAt(path: readonly (string | number)[], root: z.ZodType = configSchema): z.ZodType | undefined {
  let s: z.ZodType | undefined = root;
  for (const seg of path) {
    if (!s) return undefined;
    const u = unwrap(s);
    const def = u._zod.def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType };
    if (def.type === 'object' && typeof seg === 'string') s = def.shape?.[seg];
    else if (def.type === 'array' && typeof seg === 'number') s = def.element;
    else return undefined;
  }
  return s;
}

/** The keys a table at `path` may have (for "did you mean"). */
export function tableKeys(path: readonly (string | number)[]): string[] {
  const s = schemaAt(path);
  const def = s ? (unwrap(s)._zod.def as { type: string; shape?: Record<string, z.ZodType> }) : undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** Whether a key path holds a secret: the key, or the array or table it belongs to, was declared
 *  with secret() (under any wrapper). */
export function isSecretPath(path: readonly (string | number)[]): boolean {
  for (let n = path.length; n > 0; n--) {
    for (let s = schemaAt(path.slice(0, n)); s; ) {
      if (secrets.has(s)) return true;
      const d = s._zod.def as { type: string; innerType?: z.ZodType; out?: z.ZodType };
      s = d.innerType ?? (d.type === 'pipe' ? d.out : undefined);
    }
  }
  return false;
}

/** One leaf key of the schema, as the example file and the docs list it. */
export interface KeyInfo {
  /** `intake.smtp.port`; mailbox keys as `imap.mailboxes[].port`. */
  path: string;
  kind: 'string' | 'number' | 'boolean' | 'enum' | 'array';
  /** No default: absent unless set (optional keys, and a mailbox's required name/host/user). */
  optional: boolean;
}

/** Every leaf key (a table is not a leaf; the mailboxes' keys are listed under `imap.mailboxes[]`). */
export function configKeys(): KeyInfo[] {
  const out: KeyInfo[] = [];
  const walk = (s: z.ZodType, path: string, optional: boolean): void => {
    let t = s;
    let opt = optional;
    let hasDefault = false;
    for (;;) {
      const d = t._zod.def as { type: string; innerType?: z.ZodType; out?: z.ZodType };
      if (d.type === 'default' || d.type === 'prefault') hasDefault = true;
      if (d.type === 'optional') opt = true;
      if ((d.type === 'default' || d.type === 'prefault' || d.type === 'optional') && d.innerType) t = d.innerType;
      else if (d.type === 'pipe' && d.out) t = d.out;
      else break;
    }
    const def = t._zod.def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType };
    if (def.type === 'object' && def.shape) {
      for (const [k, v] of Object.entries(def.shape)) walk(v, path ? `${path}.${k}` : k, false);
      return;
    }
    if (def.type === 'array' && def.element && unwrap(def.element)._zod.def.type === 'object') {
      walk(def.element, `${path}[]`, false);
      return;
    }
    const kind = def.type === 'number' || def.type === 'boolean' || def.type === 'enum' || def.type === 'array' ? def.type : 'string';
    out.push({ path, kind, optional: opt || !hasDefault });
  };
  walk(configSchema, '', false);
  return out;
}
