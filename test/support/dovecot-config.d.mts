/** Types of dovecot-config.mjs (plain JavaScript, shared with bench/imap-backfill.mjs). */
export function dovecotConfig(dir: string, port: number, unprivileged: string | undefined, tlsPort?: number): string;
