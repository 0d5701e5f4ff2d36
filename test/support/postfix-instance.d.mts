/** Types of postfix-instance.mjs (plain JavaScript, shared with bench/postfix-intake.mjs). */
export interface PostfixOptions {
  /** Extra or overriding main.cf parameters. */
  main?: Record<string, string>;
  /** transport(5) lines; written to DIR/etc/transport and set as transport_maps. */
  transport?: string[];
  /** The transport map's type: texthash (default) or hash (built with postmap, as on a real host). */
  transportType?: 'texthash' | 'hash';
  /** Extra master.cf lines (e.g. the virtual(8) delivery agent, a pipe(8) service). */
  master?: string[];
  /** master.cf services to run chrooted in the queue directory (Debian's stock master.cf runs smtp, lmtp, ... chrooted). */
  chroot?: string[];
  /** Extra files in the config directory (name -> content), e.g. lookup tables; `$ETC` in main values is that directory. */
  files?: Record<string, string>;
}
export interface PostfixInstance {
  dir: string;
  /** The instance's config directory (for postmap -c, postconf -c). */
  etc: string;
  /** Loopback port of the instance's smtpd. */
  port: number;
  /** The instance's mail log so far (for assertions and failure messages). */
  log(): string;
  /** The mail log once it matches `pattern` (postlogd writes asynchronously), or as it is after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Number of messages still queued (postqueue -j). */
  queued(): number;
  /** Ask the queue manager to retry deferred mail now. */
  flush(): void;
  stop(): Promise<void>;
}
export function freePort(): Promise<number>;
export function startPostfix(opts?: PostfixOptions): Promise<PostfixInstance>;
