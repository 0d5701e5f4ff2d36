/**
 * mfilter - decode the bounces of m-FILTER (Digital Arts) mail gateways: a Japanese preamble, the
 * failed addresses, then "-------server message" and "-------SMTP command" sections.
 * In: DecodeInput (X-Mailer: m-FILTER). Out: one Finding per address. No config keys.
 *
 * The format:
 *   以下のメールアドレスへの送信に失敗しました。
 *   alice@example.com
 *
 *   -------server message
 *   550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in local recipient table
 *
 *   -------SMTP command
 *   DATA
 *
 *   -------original message
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { commandOf, fillCodes, findAddress, joinReply, newFinding, splitLines, bounded } from './text-bounce.js';

const NAME = 'mfilter';

export const mfilter: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    if (/m-FILTER/i.test(input.msg.headers.get('x-mailer') ?? '')) return true;
    return /^failure notice$/i.test(input.subject.trim());
  },

  structure(input: DecodeInput): boolean {
    // m-FILTER's "-------server message" / "-------SMTP command" sections.
    const t = input.text;
    if (!t.includes('server message')) return false;
    return /^-{5,}server message\s*$/im.test(t) && /^-{5,}SMTP command\s*$/im.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    // Cheap necessary condition before splitting the text: qmail's "failure notice" shares the subject.
    if (!/-{5}server message/i.test(input.text)) return null;
    const lines = splitLines(input.text);
    const server = lines.findIndex((l) => /^-{5,}server message\s*$/i.test(l.trim()));
    if (server < 0) return null;
    // Addresses: the lines before "-------server message" that are an address alone.
    const findings: Finding[] = [];
    for (const l of lines.slice(0, server)) {
      if (/^\s*[^\s@]+@[^\s@]+\.[^\s@]+\s*$/.test(l)) findings.push(newFinding(NAME, findAddress(l)));
    }
    if (findings.length === 0) return null;
    const reply: string[] = [];
    let command = '';
    let section = 'server';
    for (const raw of lines.slice(server + 1)) {
      const line = raw.trim();
      const head = /^-{5,}(.*)$/.exec(line);
      if (head && head[1] !== undefined) {
        section = /SMTP command/i.test(head[1]) ? 'command' : 'other';
        continue;
      }
      if (!line) continue;
      if (section === 'server') reply.push(line);
      else if (section === 'command' && !command) command = commandOf(line) || line.split(/\s/)[0]!.toUpperCase();
    }
    const diagnostic = joinReply(reply);
    for (const f of findings) {
      f.diagnostic = diagnostic;
      f.diagnosticType = 'smtp';
      f.lastCommand = command;
      fillCodes(f);
    }
    return { findings };
  },
};
