/**
 * config/schema - the shape of rebound's configuration and every default, in one place.
 *
 * In: nothing (pure data). Out: the `Config` type, `defaultConfig` (checked with `satisfies`), and
 * `configRules`, the per-key checks that load.ts applies (ranges, enums, optional keys, secrets).
 * A key's path is the same in the TOML file and in TypeScript: `intake.smtp.port`.
 *
 * Adding a key: add it to the type, give it a default in `defaultConfig` (or, for a key without a
 * default, a rule with `optional: true`), add a rule if the type alone is not enough (ranges!),
 * and document it in config/rebound.example.toml - test/config/example.test.ts fails otherwise.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type ImapTls = 'implicit' | 'starttls' | 'none';
export type EscalationAction = 'suspend' | 'invalid';

export interface TlsFiles {
  /** PEM certificate chain file; STARTTLS is offered only when cert and key are both set. */
  cert?: string;
  key?: string;
}

export interface SmtpIntakeConfig {
  enabled: boolean;
  host: string;
  port: number;
  /** Name announced in the greeting; empty = os.hostname(). */
  hostname: string;
  maxClients: number;
  maxMessageBytes: number;
  socketTimeoutMs: number;
  /** Whole command (and DATA's base allowance), ms; see intake/smtp.ts. Applies to LMTP too. */
  commandTimeoutMs: number;
  /** DATA bytes per second that extend the message's deadline. */
  minDataRate: number;
  /** Refused RCPTs per session before 421. */
  hardErrorLimit: number;
  tls: TlsFiles;
}

export interface LmtpIntakeConfig {
  enabled: boolean;
  host: string;
  port: number;
  /** Unix socket path; when set, LMTP listens here instead of host:port. */
  socket?: string;
  /** Group that owns the socket (name or gid; mode 0660) so the MTA's LMTP client can connect; '' = the daemon's group. */
  group: string;
}

export interface ImapMailboxConfig {
  name: string;
  host: string;
  port: number;
  tls: ImapTls;
  user: string;
  /** Exactly one of password / passwordFile / passwordEnv; load.ts resolves it into `password`. */
  password?: string;
  passwordFile?: string;
  passwordEnv?: string;
  folders: string[];
  schedule: string;
  idle: boolean;
  moveTo: { processed?: string; notBounce?: string; failed?: string };
  markSeen: boolean;
  delete: boolean;
  maxMessagesPerRun: number;
  maxRunSeconds: number;
}

export interface ControlConfig {
  socket: string;
  mode: number;
  /** Group that owns the socket (name or numeric gid); empty = the daemon's group. */
  group: string;
  tcp: { enabled: boolean; host: string; port: number };
  socketmap: { enabled: boolean; socket?: string; host: string; port: number };
  policy: { enabled: boolean; host: string; port: number };
  /** What Postfix lookups answer for a suspended recipient: DEFER_IF_PERMIT 4.7.1 or REJECT 5.7.1. */
  suspended: 'defer' | 'reject';
  /** On an internal error answer DUNNO/NOTFOUND (true) or TEMP/DEFER (false). */
  failOpen: boolean;
  maxLineBytes: number;
  /** All listeners together, per process (main and each reader). */
  maxClients: number;
  /** Each listener (status socket, its TCP twin, socketmap, policy), per process. */
  maxClientsPerListener: number;
  /** A control connection without a byte from the client for this long is closed. */
  idleSeconds: number;
  /** Reader processes that answer the control listeners (0 = the main process answers). */
  readers: number;
}

export interface Config {
  store: { path: string; busyTimeoutMs: number };
  state: {
    suspendHours: number;
    escalation: {
      enabled: boolean;
      softBounces: number;
      distinctDays: number;
      withinDays: number;
      action: EscalationAction;
    };
  };
  intake: { smtp: SmtpIntakeConfig; lmtp: LmtpIntakeConfig };
  /** The budget of one message's parse and classification (a worker thread of its own). */
  analysis: {
    /** A message still being analysed after this many seconds is abandoned and stored marked failed. */
    deadlineSeconds: number;
    /** The analysis worker's heap (MB); a message that needs more is abandoned the same way. */
    maxHeapMb: number;
  };
  verp: {
    domains: string[];
    prefix: string;
    delimiter: string;
    equals: string;
    /** HMAC keys, newest first; first one signs, all verify. */
    keys: string[];
    /** Extra keys, one per line, read from this file (appended to `keys`). */
    keysFile?: string;
    /** Extra keys, comma-separated, read from this environment variable (appended to `keys`). */
    keysEnv?: string;
    requireSignature: boolean;
    maxAgeDays: number;
    allowUnverifiedState: boolean;
  };
  imap: { mailboxes: ImapMailboxConfig[] };
  control: ControlConfig;
  metrics: { http: { enabled: boolean; host: string; port: number } };
  jobs: {
    prune: { enabled: boolean; schedule: string; eventsDays: number; messagesDays: number };
    checkpoint: { enabled: boolean; schedule: string };
    backup: { enabled: boolean; schedule: string; dir: string; keep: number };
  };
  log: { level: LogLevel };
}

/** Defaults for one `[[imap.mailboxes]]` entry (keys without a default are required or optional). */
export const defaultMailbox = {
  port: 993,
  tls: 'implicit',
  folders: ['INBOX'],
  schedule: '*/5 * * * *',
  idle: false,
  moveTo: {},
  markSeen: true,
  delete: false,
  maxMessagesPerRun: 500,
  maxRunSeconds: 240,
} satisfies Partial<ImapMailboxConfig>;

export const defaultConfig = {
  store: { path: './data/rebound.db', busyTimeoutMs: 5000 },
  state: {
    suspendHours: 24,
    escalation: { enabled: false, softBounces: 7, distinctDays: 3, withinDays: 90, action: 'suspend' },
  },
  intake: {
    smtp: {
      enabled: true,
      host: '127.0.0.1',
      port: 2525,
      hostname: '',
      maxClients: 100,
      maxMessageBytes: 10 * 1024 * 1024,
      socketTimeoutMs: 60_000,
      commandTimeoutMs: 60_000,
      minDataRate: 500,
      hardErrorLimit: 20,
      tls: {},
    },
    lmtp: { enabled: false, host: '127.0.0.1', port: 2424, group: '' },
  },
  analysis: { deadlineSeconds: 30, maxHeapMb: 256 },
  verp: {
    domains: ['bounces.localhost'],
    prefix: 'bounces',
    delimiter: '+',
    equals: '=',
    keys: [],
    requireSignature: false,
    maxAgeDays: 30,
    allowUnverifiedState: false,
  },
  imap: { mailboxes: [] },
  control: {
    socket: './data/rebound.sock',
    mode: 0o660,
    group: '',
    tcp: { enabled: false, host: '127.0.0.1', port: 10040 },
    socketmap: { enabled: false, host: '127.0.0.1', port: 10041 },
    policy: { enabled: false, host: '127.0.0.1', port: 10042 },
    suspended: 'defer',
    failOpen: true,
    maxLineBytes: 4096,
    maxClients: 1000,
    maxClientsPerListener: 500,
    idleSeconds: 300,
    readers: 2,
  },
  metrics: { http: { enabled: false, host: '127.0.0.1', port: 9465 } },
  jobs: {
    prune: { enabled: true, schedule: '17 3 * * *', eventsDays: 400, messagesDays: 30 },
    checkpoint: { enabled: true, schedule: '*/15 * * * *' },
    backup: { enabled: false, schedule: '45 2 * * *', dir: './data/backup', keep: 7 },
  },
  log: { level: 'info' },
} satisfies Config;

/**
 * Per-key checks. Paths use `[]` for array elements (`imap.mailboxes[].port`). A key that is
 * neither in `defaultConfig` (or `defaultMailbox`) nor listed here with `optional` is unknown,
 * and unknown keys are errors. Keys in defaults take their type from the default unless a rule
 * says more.
 */
export type Rule =
  | { kind: 'int'; min: number; max: number; optional?: true }
  | { kind: 'string'; nonEmpty?: true; optional?: true; secret?: true; cron?: true; file?: true }
  | { kind: 'enum'; values: readonly string[]; optional?: true }
  | { kind: 'strings'; nonEmpty?: true; optional?: true; secret?: true }
  | { kind: 'bool'; optional?: true }
  | { kind: 'port'; optional?: true }
  | { kind: 'mode' }
  | { kind: 'mailboxes' };

const cron = { kind: 'string', nonEmpty: true, cron: true } as const;
const port = { kind: 'port' } as const;
const path = { kind: 'string', nonEmpty: true } as const;
const optPath = { kind: 'string', nonEmpty: true, optional: true } as const;

export const configRules: Record<string, Rule> = {
  'store.path': path,
  'store.busyTimeoutMs': { kind: 'int', min: 0, max: 600_000 },
  'state.suspendHours': { kind: 'int', min: 1, max: 24 * 365 },
  'state.escalation.softBounces': { kind: 'int', min: 1, max: 1000 },
  'state.escalation.distinctDays': { kind: 'int', min: 1, max: 3650 },
  'state.escalation.withinDays': { kind: 'int', min: 1, max: 3650 },
  'state.escalation.action': { kind: 'enum', values: ['suspend', 'invalid'] },
  'intake.smtp.port': port,
  'intake.smtp.maxClients': { kind: 'int', min: 1, max: 100_000 },
  'intake.smtp.maxMessageBytes': { kind: 'int', min: 1024, max: 1024 * 1024 * 1024 },
  'intake.smtp.socketTimeoutMs': { kind: 'int', min: 1000, max: 3_600_000 },
  'intake.smtp.commandTimeoutMs': { kind: 'int', min: 1000, max: 3_600_000 },
  'intake.smtp.minDataRate': { kind: 'int', min: 1, max: 1_000_000_000 },
  'intake.smtp.hardErrorLimit': { kind: 'int', min: 1, max: 1000 },
  'intake.smtp.tls.cert': optPath,
  'intake.smtp.tls.key': optPath,
  'intake.lmtp.port': port,
  'intake.lmtp.socket': optPath,
  'verp.domains': { kind: 'strings', nonEmpty: true },
  'verp.prefix': { kind: 'string', nonEmpty: true },
  'verp.delimiter': { kind: 'enum', values: ['+', '-', '=', '.', '_'] },
  'verp.equals': { kind: 'enum', values: ['=', '+', '-', '.', '_'] },
  'verp.keys': { kind: 'strings', secret: true },
  'verp.keysFile': optPath,
  'verp.keysEnv': { kind: 'string', nonEmpty: true, optional: true },
  'verp.maxAgeDays': { kind: 'int', min: 1, max: 500 }, // the expiry day wraps at 1000 (verp/sign.ts)
  'imap.mailboxes': { kind: 'mailboxes' },
  'imap.mailboxes[].name': { kind: 'string', nonEmpty: true },
  'imap.mailboxes[].host': { kind: 'string', nonEmpty: true },
  'imap.mailboxes[].user': { kind: 'string', nonEmpty: true },
  'imap.mailboxes[].port': port,
  'imap.mailboxes[].tls': { kind: 'enum', values: ['implicit', 'starttls', 'none'] },
  'imap.mailboxes[].password': { kind: 'string', optional: true, secret: true },
  'imap.mailboxes[].passwordFile': optPath,
  'imap.mailboxes[].passwordEnv': { kind: 'string', nonEmpty: true, optional: true },
  'imap.mailboxes[].folders': { kind: 'strings', nonEmpty: true },
  'imap.mailboxes[].schedule': cron,
  'imap.mailboxes[].moveTo.processed': { kind: 'string', nonEmpty: true, optional: true },
  'imap.mailboxes[].moveTo.notBounce': { kind: 'string', nonEmpty: true, optional: true },
  'imap.mailboxes[].moveTo.failed': { kind: 'string', nonEmpty: true, optional: true },
  'imap.mailboxes[].maxMessagesPerRun': { kind: 'int', min: 1, max: 1_000_000 },
  'imap.mailboxes[].maxRunSeconds': { kind: 'int', min: 1, max: 86_400 },
  'control.socket': path,
  'control.mode': { kind: 'mode' },
  'control.tcp.port': port,
  'control.socketmap.socket': optPath,
  'control.socketmap.port': port,
  'control.policy.port': port,
  'control.suspended': { kind: 'enum', values: ['defer', 'reject'] },
  'control.maxLineBytes': { kind: 'int', min: 256, max: 1_048_576 },
  'control.maxClients': { kind: 'int', min: 1, max: 100_000 },
  'control.maxClientsPerListener': { kind: 'int', min: 1, max: 100_000 },
  'control.idleSeconds': { kind: 'int', min: 10, max: 86_400 },
  'control.readers': { kind: 'int', min: 0, max: 64 },
  'metrics.http.port': port,
  'analysis.deadlineSeconds': { kind: 'int', min: 1, max: 3600 },
  'analysis.maxHeapMb': { kind: 'int', min: 32, max: 16_384 },
  'jobs.prune.schedule': cron,
  'jobs.prune.eventsDays': { kind: 'int', min: 1, max: 36_500 },
  'jobs.prune.messagesDays': { kind: 'int', min: 1, max: 36_500 },
  'jobs.checkpoint.schedule': cron,
  'jobs.backup.schedule': cron,
  'jobs.backup.dir': path,
  'jobs.backup.keep': { kind: 'int', min: 1, max: 10_000 },
  'log.level': { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
};

/** Keys whose values never appear in show-config output or error messages. */
export function isSecretKey(path: string): boolean {
  const r = configRules[path];
  return r !== undefined && 'secret' in r && r.secret === true;
}
