/**
 * The shape every MTA driver has: start a private instance that accepts mail on a loopback port,
 * relays everything to the scripted MX, gives up on temporary failures after `lifetime` seconds and
 * warns about delayed mail after `warn` seconds.
 */
export interface MtaTimes {
  /** Seconds a message may stay queued before the MTA returns it (queue lifetime). */
  lifetime: number;
  /** Seconds before the MTA sends a delay warning. */
  warn: number;
}

export interface MtaRun {
  /** Port on 127.0.0.1 where the MTA takes mail by SMTP. */
  submitPort: number;
  /** The MTA's own name for itself and its version (goes into the manifest). */
  version: string;
  /** Ask the MTA to retry its queue now (queue runs are also scheduled by the MTA). */
  flush(): void;
  /** The end of the MTA's log, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

export interface Listener {
  host: string;
  port: number;
}

/** Where the scripted MX listens: the main port, and two more that behave the same (a separate
 *  route for the scenarios whose replies close the connection, and one for the bounces). */
export interface MxPorts {
  mx: number;
  closing: Listener;
  sink: Listener;
  /** Still more listeners that behave the same, to spread messages over several routes. */
  spread: Listener[];
  /** Envelope senders of all scenarios, in order. */
  senders: string[];
  /** Envelope senders of the scenarios answered with a 421 (which closes the connection). */
  closingSenders: string[];
}

export interface MtaDriver {
  name: 'postfix' | 'exim' | 'opensmtpd' | 'sendmail';
  /** Why this MTA cannot run here, or '' when it can. */
  missing(): string;
  start(mx: MxPorts, times: MtaTimes): Promise<MtaRun>;
}

/** Host name every MTA uses for itself, so the DSNs of all four look alike where they can. */
export const MTA_HOSTNAME = 'mta.example.org';
