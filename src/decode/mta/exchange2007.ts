/**
 * exchange2007 - non-delivery reports of Microsoft Exchange 2007 and later (on-premises).
 * The text part ends with "Diagnostic information for administrators:", which names the
 * generating server and, per recipient, the remote server's answer. Office 365 writes the same
 * block (office365.ts reuses readExchangeReport()).
 * Most of these NDRs also carry a message/delivery-status part; rfc3464.ts reads that first, and
 * `enrichExchangeFindings()` lets the registry upgrade a DSN that only says `Status: 5.0.0`
 * with the 5.7.606 / 5.4.310 the text gives.
 * In: DecodeInput. Out: one Finding per recipient, in order. RFCs: 3463 (three-digit detail codes
 * such as 5.7.606 are valid), 5321. Config keys: none.
 *
 *   Diagnostic information for administrators:
 *
 *   Generating server: mta4.example.org
 *
 *   user@example.co.jp
 *   #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##
 *
 *   Original message headers:
 *
 * Variants of the per-recipient line:
 *   Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'
 *   3/09/2016 8:05:56 PM - Remote Server at host.example.org (192.0.2.3) returned '550 4.4.7 QUEUE.Expired; message expired'
 */
import type { Finding, Report } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { bestStatusIn, addressFromField } from '../../parse/dsn.js';

const NAME = 'exchange2007';

// "Diagnostic information for administrators:" and the same heading in the languages Exchange
// ships (Italian "Informazioni di diagnostica per gli amministratori:", German
// "Diagnoseinformationen für Administratoren:", French, Spanish, Portuguese, Dutch, Japanese).
const DIAG_RE =
  /^(?:Diagnostic information for administrators|Informazioni di diagnostica per gli amministratori|Diagnoseinformationen f\u00fcr Administratoren|Informations de diagnostic pour les administrateurs|Informaci\u00f3n de diagn\u00f3stico para administradores|Informa\u00e7\u00f5es de diagn\u00f3stico para administradores|Diagnostische gegevens voor beheerders|\u7ba1\u7406\u8005\u5411\u3051\u306e\u8a3a\u65ad\u60c5\u5831)\s*[:\uff1a]\s*$/im;
/** DIAG_RE's headings as literals (a cheap test before the regex). */
const DIAG_HEADINGS = [
  'Diagnostic information for administrators',
  'Informazioni di diagnostica per gli amministratori',
  'Diagnoseinformationen f\u00fcr Administratoren',
  'Informations de diagnostic pour les administrateurs',
  'Informaci\u00f3n de diagn\u00f3stico para administradores',
  'Informa\u00e7\u00f5es de diagn\u00f3stico para administradores',
  'Diagnostische gegevens voor beheerders',
  '\u7ba1\u7406\u8005\u5411\u3051\u306e\u8a3a\u65ad\u60c5\u5831',
];
// "Original message headers:" ("Intestazioni originali del messaggio:", "Ursprüngliche
// Nachrichtenkopfzeilen:", "En-têtes de message d'origine :", ...) ends the block.
const END_RE =
  /^(?:Original message headers|Intestazioni originali del messaggio|Urspr\u00fcngliche Nachrichtenkopfzeilen|En-t\u00eates de message d'origine|Encabezados del mensaje original|Cabe\u00e7alhos de mensagens originais|Oorspronkelijke berichtkoppen|\u5143\u306e\u30e1\u30c3\u30bb\u30fc\u30b8 \u30d8\u30c3\u30c0\u30fc)\s*[:\uff1a]\s*$/im;
// "Generating server: mta4.example.org" ("Server di generazione: ...", "Generierender Server: ...")
const GENERATING_RE =
  /^(?:Generating server|Server di generazione|Generierender Server|Serveur de g\u00e9n\u00e9ration|Servidor de generaci\u00f3n|Servidor de gera\u00e7\u00e3o|Genererende server|\u751f\u6210\u30b5\u30fc\u30d0\u30fc)\s*[:\uff1a]\s*(\S+)/im;
// "Receiving server: host.example.org (192.0.2.3)"
const RECEIVING_RE = /^(?:Receiving server|Server di ricezione|Empfangender Server|Serveur de r\u00e9ception|Servidor de recepci\u00f3n|Servidor de recebimento|Ontvangende server)\s*[:\uff1a]\s*([^\s(]+)/im;
// "Reported error: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; ..." (2017+ Office 365 layout)
const REPORTED_RE = /^Reported error:\s*(.*)$/im;
// One of the per-recipient answer lines (English in every language version).
const ANSWER_RE = /(?:Remote )?Server (?:at \S+ .*?)?returned '|^#\s*[245]\d\d\b|^Reported error:/im;
// A bare address line starts a recipient.
const ADDRESS_LINE_RE = /^\s*<?([^\s<>@]+@[^\s<>@]+?)>?\s*$/;
// Friendly part, used when the administrator block is missing: "Neko<mailto:user@example.co.jp>"
const MAILTO_RE = /<mailto:([^\s<>@]+@[^\s<>]+?)>/gi;
// "Delivery has failed to these recipients or groups:" / "... or distribution lists:" (Exchange's own
// heading only: generic phrases such as "could not be delivered" would let this claim other MTAs' text)
const FRIENDLY_RE = /Delivery (?:has failed|is delayed) to these recipients or (?:groups|distribution lists)\s*:/i;
// The delay notice (Exchange 2007+ "Delivery delayed:"): the same layout, nothing final.
//   "Delivery is delayed to these recipients or groups:" ... "This message hasn't been delivered
//   yet. Delivery will continue to be attempted."
const DELAY_RE = /Delivery is delayed to these recipients or (?:groups|distribution lists)\s*:|This message hasn't been delivered yet\.|Delivery (?:of this message )?will continue to be attempted/i;

/** Exchange's own structure: the administrator block with an address and its answer line, or the 2017+ error details. */
export function exchangeStructure(text: string): boolean {
  // Exchange writes its headings exactly so: a literal search first, the regex only then.
  if (!DIAG_HEADINGS.some((h) => text.includes(h)) && !text.includes('Reported error:')) return false;
  if (DIAG_RE.test(text)) return /^[^\S\r\n]*<?[^\s<>@]+@[^\s<>@]+?>?\s*\n\s*(?:(?:Remote )?Server (?:at \S+ .*?)?returned '|#\s*[245]\d\d\b|#< #\d)/im.test(text) || GENERATING_RE.test(text);
  return REPORTED_RE.test(text) && /^Recipient Address:\s*\S+@|Your message to <?[^\s<>@]+@[^\s<>@]+?>? couldn't be delivered/im.test(text);
}

export interface ExchangeEntry {
  recipient: string;
  status: string;
  replyCode: string;
  diagnostic: string;
  remoteMta: string;
  reportingMta: string;
}

export const exchange2007: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // X-MS-Exchange-Message-Is-Ndr: ; Subject: Undeliverable: Hello ; Content-Language: en-US
    const h = input.msg.headers;
    return (
      h.get('x-ms-exchange-message-is-ndr') !== undefined ||
      // The subject prefix in the languages Exchange ships: "Unzustellbar:", "Non remis :", "配信不能:", ...
      /^(?:Undeliverable|Non remis|Unzustellbar|Non recapitabile|No se puede entregar|Onbestelbaar|Não é possível entregar|Olevererbart|Nie można dostarczyć|配信不能|无法传递|無法傳遞)\s*[:：]/i.test(
        input.subject.trim(),
      )
    );
  },
  structure(input: DecodeInput): boolean {
    return exchangeStructure(input.text);
  },
  decode(input: DecodeInput): DecodeResult | null {
    return exchangeResult(input.text, NAME);
  },
  enrich(report: Report, input: DecodeInput): void {
    enrichExchangeFindings(input.text, report.findings);
  },
};

/** The findings of an Exchange NDR or delay notice (also office365's). */
export function exchangeResult(text: string, name: string): DecodeResult | null {
  const entries = readExchangeReport(text);
  if (!entries) return null;
  const delayed = DELAY_RE.test(text);
  const findings = entries.map((e) => toFinding(e, name));
  if (delayed) for (const f of findings) f.action = 'delayed';
  return { findings, type: delayed ? 'delayed' : 'bounce' };
}

export function toFinding(e: ExchangeEntry, decodedBy: string): Finding {
  return {
    recipient: e.recipient,
    action: 'failed',
    status: e.status,
    replyCode: e.replyCode,
    diagnostic: e.diagnostic,
    diagnosticType: e.diagnostic ? 'smtp' : '',
    remoteMta: e.remoteMta,
    reportingMta: e.reportingMta,
    lastCommand: '',
    decodedBy,
  };
}

/** Read the Exchange NDR text; null when it has neither the administrator block nor a friendly list. */
export function readExchangeReport(text: string): ExchangeEntry[] | null {
  // The administrator block, or the whole text when the heading is in a language we do not know:
  // then only address lines followed by an answer line count.
  const diag = DIAG_RE.exec(text);
  if (!diag && REPORTED_RE.test(text)) return readErrorDetails(text);
  let block = diag ? text.slice(diag.index + diag[0].length) : text;
  const end = END_RE.exec(block);
  if (end) block = block.slice(0, end.index);

  const reportingMta = (GENERATING_RE.exec(block)?.[1] ?? '').toLowerCase();
  const receiving = (RECEIVING_RE.exec(block)?.[1] ?? '').toLowerCase();

  const blocks: Array<{ recipient: string; lines: string[] }> = [];
  for (const line of block.split('\n')) {
    const a = ADDRESS_LINE_RE.exec(line);
    if (a) {
      blocks.push({ recipient: addressFromField(a[1] ?? ''), lines: [] });
      continue;
    }
    const current = blocks[blocks.length - 1];
    if (current && line.trim() !== '') current.lines.push(line.trim());
  }
  const entries = diag ? blocks : blocks.filter((b) => ANSWER_RE.test(b.lines.join('\n')));
  if (entries.length === 0) return readFriendly(text);

  return entries.map(({ recipient, lines }) => {
    const { diagnostic, remoteMta } = unwrapSmtp(readAnswer(lines));
    const reply = /^([245]\d\d)\b/.exec(diagnostic);
    return {
      recipient,
      status: bestStatusIn(diagnostic),
      replyCode: reply?.[1] ?? '',
      diagnostic,
      remoteMta: remoteMta || receiving,
      reportingMta,
    };
  });
}

/**
 * Exchange relays quote the remote reply inside its own code:
 *   Remote Server returned '< #5.0.0 smtp; 550 5.1.1 <user@example.jp>... User unknown>'
 *   #< #5.1.1 smtp;550 5.1.1 User unknown> #SMTP#
 * The remote server's words are the part after "smtp;".
 */
function unwrapSmtp(a: { diagnostic: string; remoteMta: string }): { diagnostic: string; remoteMta: string } {
  const m = /^#?<\s*#\d\.\d{1,3}\.\d{1,3}\s+smtp;\s*(.*)>(?:\s*#SMTP#)?$/i.exec(a.diagnostic);
  return m && m[1] ? { diagnostic: m[1].trim(), remoteMta: a.remoteMta } : a;
}

/** The per-recipient answer. Exchange lists attempts newest first, so the first one wins. */
function readAnswer(lines: string[]): { diagnostic: string; remoteMta: string } {
  const joined = lines.join('\n');
  // "Remote Server at host.example.org (192.0.2.3) returned '550 4.4.7 QUEUE.Expired; message expired'"
  // "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; ...'"
  // "5/25/2018 8:21:10 AM - Server at HOST.prod.protection.outlook.com returned '550 5.4.312 ...'"
  const returned = /(?:Remote )?Server (?:at ([^\s(]+)[^\n]*? )?returned '([^]*?)'(?=\s*$|\s*\n)/im.exec(joined);
  if (returned) {
    return { diagnostic: unfold(returned[2] ?? ''), remoteMta: (returned[1] ?? '').toLowerCase() };
  }
  // "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##"  (optionally followed by "rfc822;user@...")
  // (Trimmed by hand: /^#\s*([^#]*?)\s*##/ tried the trailing blanks again from every position.)
  const hashed = /^#([^#]*)##/m.exec(joined);
  if (hashed) return { diagnostic: unfold((hashed[1] ?? '').trim()), remoteMta: '' };
  // Newer layout: "Reported error: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; ..."
  const reported = /^Reported error:\s*(.+)$/im.exec(joined);
  if (reported) return { diagnostic: unfold(reported[1] ?? ''), remoteMta: '' };
  return { diagnostic: unfold(lines.filter((l) => !GENERATING_RE.test(l) && !RECEIVING_RE.test(l)).join(' ')), remoteMta: '' };
}

/**
 * The 2017+ Office 365 layout ("More Info for Email Admins"):
 *   Original Message Details
 *   Recipient Address:      user@example.jp
 *   Error Details
 *   Reported error: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup
 *   DSN generated by:       HOST.apcprd01.prod.exchangelabs.com
 *   Remote server:          mx.example.jp
 */
function readErrorDetails(text: string): ExchangeEntry[] | null {
  const reported = REPORTED_RE.exec(text);
  // The error may wrap onto following lines until the next "Label:" line or a blank line.
  const tail = text.slice((reported?.index ?? 0) + (reported?.[0].length ?? 0)).split('\n');
  const parts = [reported?.[1] ?? ''];
  for (const line of tail.slice(1)) {
    if (line.trim() === '' || /^[A-Z][\w -]{2,40}:\s/.test(line)) break;
    parts.push(line);
  }
  const diagnostic = unfold(parts.join(' '));
  const reportingMta = (/^DSN generated by:\s*(\S+)/im.exec(text)?.[1] ?? '').toLowerCase();
  const remoteMta = (/^Remote server:\s*(\S+)/im.exec(text)?.[1] ?? '').toLowerCase();

  // "Recipient Address:      user@example.jp", else "Your message to user@example.jp couldn't be delivered."
  const recipients: string[] = [];
  const listed = /^Recipient Address:\s*(.+)$/im.exec(text)?.[1] ?? '';
  for (const a of listed.split(/[;,\s]+/)) if (a.includes('@')) recipients.push(addressFromField(a));
  if (recipients.length === 0) {
    const to = /Your message to <?([^\s<>@]+@[^\s<>@]+?)>? couldn't be delivered/i.exec(text);
    if (to) recipients.push(addressFromField(to[1] ?? ''));
  }
  if (recipients.length === 0) return readFriendly(text);
  const reply = /^([245]\d\d)\b/.exec(diagnostic);
  return recipients.map((recipient) => ({
    recipient,
    status: bestStatusIn(diagnostic),
    replyCode: reply?.[1] ?? '',
    diagnostic,
    remoteMta,
    reportingMta,
  }));
}

function readFriendly(text: string): ExchangeEntry[] | null {
  const lead = FRIENDLY_RE.exec(text);
  if (!lead) return null;
  const recipients: string[] = [];
  for (const m of text.slice(lead.index).matchAll(MAILTO_RE)) {
    const r = addressFromField(m[1] ?? '');
    if (!recipients.includes(r)) recipients.push(r);
  }
  if (recipients.length === 0) return null;
  return recipients.map((recipient) => ({ recipient, status: '', replyCode: '', diagnostic: '', remoteMta: '', reportingMta: '' }));
}

/**
 * For the registry's enrich step: a DSN from Exchange often says `Status: 5.0.0` (or nothing
 * useful in Diagnostic-Code) while the text carries the real code. Fill in what the DSN lacks.
 */
export function enrichExchangeFindings(text: string, findings: Finding[]): Finding[] {
  // Nothing to fill: skip reading the text.
  if (findings.every((f) => f.status && !isGeneric(f.status) && f.diagnostic && f.replyCode && f.remoteMta)) return findings;
  const entries = readExchangeReport(text);
  if (!entries) return findings;
  findings.forEach((f, i) => {
    const e =
      entries.find((x) => x.recipient.toLowerCase() === f.recipient.toLowerCase()) ??
      (entries.length === findings.length ? entries[i] : undefined);
    if (!e) return;
    // "Status: 5.0.0" while the text says "550 5.7.606 Access denied, banned sending IP".
    if (e.status && (!f.status || isGeneric(f.status)) && !isGeneric(e.status)) f.status = e.status;
    if (!f.diagnostic && e.diagnostic) f.diagnostic = e.diagnostic;
    if (!f.replyCode && e.replyCode) f.replyCode = e.replyCode;
    if (!f.remoteMta && e.remoteMta) f.remoteMta = e.remoteMta;
  });
  return findings;
}

function isGeneric(status: string): boolean {
  return /^\d\.0\.0$/.test(status);
}

function unfold(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
