/**
 * courier - decode the Courier mail server's delivery notices when the RFC 3464 part is missing,
 * and enrich Courier DSNs with the SMTP command from the text (">>> DATA").
 * In: DecodeInput ("This is a delivery status notification from host, running the Courier mail
 * server"). Out: one Finding per "<address>:" block, in report order. No config keys.
 *
 * The format (courier/module.dsn):
 *   Your message to the following recipients cannot be delivered:
 *
 *   <alice@example.jp>:
 *       mx.example.jp [192.0.2.45]:
 *   >>> DATA
 *   <<< 550 5.7.1 can't determine Purported Responsible Address
 *   ----------------------------------------------------------------
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding, Report } from '../../types.js';
import { commandOf, fillCodes, findAddress, joinReply, newFinding, splitLines, bounded } from './text-bounce.js';

const NAME = 'courier';

/**
 * Courier's own layout under any template text: "<addr>:" alone, then the remote host line
 * "    host [ip]:" and/or ">>> COMMAND" / "<<< reply" lines.
 */
function courierStructure(text: string): boolean {
  if (!text.includes('>:') || (!text.includes('>>> ') && !text.includes('<<< '))) return false;
  return /^<[^<>\s@]+@[^<>\s]+>:[ \t]*\n(?:[ \t]+\S+ \[[^\]\n]+\]:[ \t]*\n)?(?:>>> |<<< )/m.test(text);
}

function readBlocks(text: string): Finding[] {
  const out: Finding[] = [];
  let cur: { f: Finding; reply: string[] } | null = null;
  let delayed = false;
  const flush = (): void => {
    if (!cur) return;
    const f = cur.f;
    f.diagnostic = joinReply(cur.reply);
    f.diagnosticType = /^[245]\d\d/.test(f.diagnostic) ? 'smtp' : f.diagnostic ? 'x-courier' : '';
    fillCodes(f);
    if (!f.replyCode) {
    }
    out.push(f);
    cur = null;
  };
  for (const line of splitLines(text)) {
    // "DELAYED MAIL" / "Your message to the following recipients has been delayed:"
    if (/following recipients (?:has|have) been delayed|^\s*DELAYED MAIL\s*$/i.test(line)) delayed = true;
    const head = /^<([^<>\s@]+@[^<>\s]+)>:\s*$/.exec(line.trim());
    if (head && head[1] !== undefined) {
      flush();
      cur = { f: newFinding(NAME, findAddress(`<${head[1]}>`), delayed ? 'delayed' : 'failed'), reply: [] };
      continue;
    }
    if (!cur) continue;
    if (/^-{10,}/.test(line.trim())) {
      flush();
      continue;
    }
    // "    mx.example.jp [192.0.2.45]:"
    const host = /^\s+(\S+)\s+\[[^\]]*\]:\s*$/.exec(line);
    if (host && host[1] !== undefined) {
      cur.f.remoteMta = host[1];
      continue;
    }
    if (line.startsWith('>>>')) {
      cur.f.lastCommand = commandOf(line.slice(3).trim());
      cur.reply = [];
      continue;
    }
    if (line.startsWith('<<<')) cur.reply.push(line.slice(3).trim());
  }
  flush();
  return out;
}

export const courier: Decoder = {
  name: NAME,
  enrich: (report, input) => enrichCourier(report, input),

  detect(input: DecodeInput): boolean {
    // "Subject: NOTICE: mail delivery status."
    if (/^NOTICE: mail delivery status/i.test(input.subject)) return true;
    return input.msg.headers.getAll('message-id').some((m) => m.includes('courier'));
  },

  structure: (input: DecodeInput): boolean => courierStructure(input.text),

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    if (!courierStructure(input.text) && !/running the Courier mail server/i.test(input.text)) return null;
    const findings = readBlocks(input.text);
    if (findings.length === 0) return null;
    return { findings, ...(findings.every((f) => f.action === 'delayed') ? { type: 'delayed' as const } : {}) };
  },
};

/** Add the SMTP command and remote host from Courier's text to the DSN findings. */
export function enrichCourier(report: Report, input: DecodeInput): void {
  input = bounded(input);
  if (!courierStructure(input.text) && !/running the Courier mail server/i.test(input.text)) return;
  const fromText = readBlocks(input.text);
  for (const f of report.findings) {
    const t = fromText.find((x) => x.recipient === f.recipient);
    if (!t) continue;
    if (!f.lastCommand && t.lastCommand) f.lastCommand = t.lastCommand;
    if (!f.remoteMta && t.remoteMta) f.remoteMta = t.remoteMta;
  }
}
