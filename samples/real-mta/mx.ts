/**
 * mx - the scripted remote MX and the bounce sink, one SMTP listener on loopback. Written on
 * node:net rather than smtp-server because the replies must be byte-exact: multi-line replies
 * (Gmail, GMX), odd codes (571, 513, 422), no enhanced code added, and a 421 that really closes the
 * connection, as providers do.
 *
 * Mail to the bounce domain is the sink: every DSN an MTA sends is handed to onBounce. Mail to any
 * other domain is answered from the scenario the envelope belongs to: the scenario's row at MAIL
 * (looked up by envelope sender), per recipient at RCPT, or after DATA.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { replyLines, type CatalogRow } from './catalog.js';
import { BOUNCE_DOMAIN, type Scenario } from './scenarios.js';

export interface Envelope {
  sender: string;
  recipients: string[];
}

export interface ScriptedMx {
  port: number;
  /** More listeners with the same behaviour, each on its own loopback address (127.0.0.2, ...),
   *  for MTAs that need separate routes and hosts (see opensmtpd.ts). */
  extra: { host: string; port: number }[];
  /** Replies sent, by scenario id (to check that every scenario reached the remote). */
  hits: Map<string, number>;
  close(): Promise<void>;
}

function reply(code: number, lines: string[]): string {
  return lines.map((l, i) => `${code}${i < lines.length - 1 ? '-' : ' '}${l}`).join('\r\n') + '\r\n';
}

export function qidFor(s: Scenario, rcpt: string): string {
  // Deterministic stand-in for a provider's session id: depends on the scenario and recipient only.
  let h = 2166136261;
  for (const c of `${s.id}/${rcpt}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return `${h.toString(36)}${s.id.slice(0, 3)}`;
}

function rowReply(row: CatalogRow, s: Scenario, rcpt: string): string {
  return reply(row.code, replyLines(row, { rcpt, sender: s.sender, qid: qidFor(s, rcpt) }));
}

export async function startScriptedMx(opts: {
  scenarios: Scenario[];
  onBounce: (env: Envelope, raw: Buffer) => void;
  hostname?: string;
  extraPorts?: number;
}): Promise<ScriptedMx> {
  const bySender = new Map<string, Scenario>();
  const byRecipient = new Map<string, { s: Scenario; row?: CatalogRow }>();
  for (const s of opts.scenarios) {
    bySender.set(s.sender.toLowerCase(), s);
    for (const r of s.recipients) byRecipient.set(r.address.toLowerCase(), { s, row: r.row });
  }
  const hostname = opts.hostname ?? 'mx.remote.test';
  const hits = new Map<string, number>();
  const hit = (s: Scenario) => hits.set(s.id, (hits.get(s.id) ?? 0) + 1);

  const handler = (sock: Socket) => {
    let buf = Buffer.alloc(0);
    let env: Envelope | null = null;
    let scenario: Scenario | undefined;
    let accepted: string[] = [];
    let inData = false;
    let closed = false;
    const send = (text: string, close = false) => {
      if (closed) return;
      sock.write(text);
      if (close) {
        closed = true;
        sock.end();
      }
    };
    sock.on('error', () => {});
    send(`220 ${hostname} ESMTP scripted\r\n`);

    const endOfData = (body: Buffer) => {
      inData = false;
      const e = env!;
      env = null;
      if (accepted.every((a) => a.toLowerCase().endsWith(`@${BOUNCE_DOMAIN}`))) {
        opts.onBounce({ sender: e.sender, recipients: accepted }, body);
        send('250 2.0.0 Ok: stored\r\n');
        return;
      }
      if (scenario?.stage === 'data' && scenario.messageRow) {
        hit(scenario);
        const row = scenario.messageRow;
        send(rowReply(row, scenario, accepted[0]!), row.code === 421);
        return;
      }
      send('250 2.0.0 Ok: queued\r\n');
    };

    const command = (line: string) => {
      const verb = line.slice(0, 4).toUpperCase();
      const arg = /<([^>]*)>/.exec(line)?.[1] ?? '';
      switch (verb) {
        case 'EHLO':
          return send(`250-${hostname}\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n`);
        case 'HELO':
          return send(`250 ${hostname}\r\n`);
        case 'MAIL': {
          env = { sender: arg, recipients: [] };
          accepted = [];
          scenario = bySender.get(arg.toLowerCase());
          if (scenario?.stage === 'mail' && scenario.messageRow) {
            hit(scenario);
            const row = scenario.messageRow;
            env = null;
            return send(rowReply(row, scenario, scenario.recipients[0]!.address), row.code === 421);
          }
          return send('250 2.1.0 Ok\r\n');
        }
        case 'RCPT': {
          if (!env) return send('503 5.5.1 Error: need MAIL command\r\n');
          env.recipients.push(arg);
          const known = byRecipient.get(arg.toLowerCase());
          if (known) scenario ??= known.s;
          if (known?.row && known.s.stage === 'rcpt') {
            hit(known.s);
            return send(rowReply(known.row, known.s, arg), known.row.code === 421);
          }
          accepted.push(arg);
          return send('250 2.1.5 Ok\r\n');
        }
        case 'DATA':
          if (!env || accepted.length === 0) return send('554 5.5.1 Error: no valid recipients\r\n');
          inData = true;
          return send('354 End data with <CR><LF>.<CR><LF>\r\n');
        case 'RSET':
          env = null;
          accepted = [];
          return send('250 2.0.0 Ok\r\n');
        case 'NOOP':
          return send('250 2.0.0 Ok\r\n');
        case 'QUIT':
          return send('221 2.0.0 Bye\r\n', true);
        default:
          return send('502 5.5.2 Error: command not recognized\r\n');
      }
    };

    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (closed) return;
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          const atStart = buf.subarray(0, 3).toString() === '.\r\n';
          if (end < 0 && !atStart) return;
          const body = atStart ? Buffer.alloc(0) : buf.subarray(0, end + 2);
          buf = buf.subarray(atStart ? 3 : end + 5);
          // SMTP transparency (RFC 5321 4.5.2): a leading dot was doubled by the client.
          endOfData(Buffer.from(body.toString('latin1').replace(/^\.\./gm, '.'), 'latin1'));
          continue;
        }
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        const line = buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
        buf = buf.subarray(nl + 1);
        command(line);
      }
    });
  };
  const servers: Server[] = [];
  const hosts = ['127.0.0.1', ...Array.from({ length: opts.extraPorts ?? 0 }, (_, i) => `127.0.0.${i + 2}`)];
  for (const host of hosts) {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    servers.push(server);
  }
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  return {
    port: ports[0]!,
    extra: hosts.slice(1).map((host, i) => ({ host, port: ports[i + 1]! })),
    hits,
    close: () => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined),
  };
}
