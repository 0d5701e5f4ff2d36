/**
 * decode - the decoder registry: which decoder reads a parsed message, in which order.
 * In: ParsedMessage. Out: Report (type, findings in report order, problems, original headers).
 * Never throws: a decoder that fails is recorded as a problem and the next one is tried.
 *
 * Order (first match wins):
 *   1. arf           feedback reports (RFC 5965) and non-standard complaint loops
 *   2. rfc3464       any message/delivery-status or message/global-delivery-status part
 *                    (RFC 3464, RFC 6522, RFC 6533); then the `enrich` of every MTA decoder whose
 *                    detect() passes, to fill what the DSN fields left out
 *   3. MDN           read receipts (RFC 8098 message/disposition-notification): not a bounce
 *   4. mtaDecoders   non-standard MTA formats, in the order of the array below
 *   5. rfc3464 text  DSN fields written as plain text
 *   6. auto-reply    RFC 3834; after the bounce formats: Exim marks its own DSNs "Auto-Submitted: auto-replied"
 *   7. rfc3464 loose a free-text bounce from a mail system naming failed addresses on error lines
 *   8. not-bounce
 * No config keys.
 */
import { arf } from '../parse/arf.js';
import { autoReply } from '../parse/auto-reply.js';
import type { MimePart, ParsedMessage } from '../parse/message.js';
import type { Finding, MessageType, Report } from '../types.js';
import { rfc3464, rfc3464Loose, rfc3464Text } from './rfc3464.js';
import { buildDecodeInput } from './text.js';
import type { DecodeInput, DecodeResult, Decoder } from './types.js';

// MTA decoders: one import here ...
// Group B: providers (Microsoft, Google, Yahoo, cloud services), before the generic MTA readers.
import { office365 } from './mta/office365.js';
import { exchange2007 } from './mta/exchange2007.js';
import { exchange2003 } from './mta/exchange2003.js';
import { googlegroups } from './mta/googlegroups.js';
import { googleworkspace } from './mta/googleworkspace.js';
import { gmail } from './mta/gmail.js';
import { yahoo } from './mta/yahoo.js';
import { mailru } from './mta/mailru.js';
import { gmx } from './mta/gmx.js';
import { einsundeins } from './mta/einsundeins.js';
import { zoho } from './mta/zoho.js';
import { verizon } from './mta/verizon.js';
import { mimecast } from './mta/mimecast.js';
import { amazonses } from './mta/amazonses.js';
import { amazonworkmail } from './mta/amazonworkmail.js';
import { outlook } from './mta/outlook.js';
// Group A: appliances and small MTAs with their own layouts, before the generic Unix MTA readers.
import { mxlogic } from './mta/mxlogic.js';
import { activehunter } from './mta/activehunter.js';
import { mfilter } from './mta/mfilter.js';
import { fml } from './mta/fml.js';
import { x1 } from './mta/x1.js';
import { x2 } from './mta/x2.js';
import { x3 } from './mta/x3.js';
import { x4 } from './mta/x4.js';
import { x6 } from './mta/x6.js';
import { kddi } from './mta/kddi.js';
import { ezweb } from './mta/ezweb.js';
import { biglobe } from './mta/biglobe.js';
import { imailserver } from './mta/imailserver.js';
import { trendmicro } from './mta/trendmicro.js';
import { mailfoundry } from './mta/mailfoundry.js';
import { apachejames } from './mta/apachejames.js';
import { domino } from './mta/domino.js';
import { notes } from './mta/notes.js';
import { exim } from './mta/exim.js';
import { qmail } from './mta/qmail.js';
import { dragonfly } from './mta/dragonfly.js';
import { v5sendmail } from './mta/v5sendmail.js';
import { sendmail } from './mta/sendmail.js';
import { postfix } from './mta/postfix.js';
import { opensmtpd } from './mta/opensmtpd.js';
import { courier } from './mta/courier.js';

export { buildDecodeInput } from './text.js';

/**
 * Non-standard MTA decoders, tried in this order after RFC 3464. To add one: import it above and
 * add one line here. Put specific formats (a provider's own layout) before generic ones
 * (sendmail-like text) so the generic reader does not claim them.
 */
export const mtaDecoders: Decoder[] = [
  office365,
  exchange2007,
  exchange2003,
  googlegroups,
  googleworkspace,
  gmail,
  yahoo,
  mailru,
  gmx,
  einsundeins,
  zoho,
  verizon,
  mimecast,
  amazonworkmail,
  amazonses,
  outlook,
  mxlogic,
  activehunter,
  mfilter,
  fml,
  x1,
  x2,
  x3,
  x4,
  x6,
  kddi,
  ezweb,
  biglobe,
  imailserver,
  trendmicro,
  mailfoundry,
  apachejames,
  domino,
  notes,
  exim,
  qmail,
  dragonfly,
  v5sendmail,
  sendmail,
  postfix,
  opensmtpd,
  courier,
];

const MDN_TYPES = new Set(['message/disposition-notification', 'message/global-disposition-notification']);

function isReadReceipt(root: MimePart): boolean {
  if (root.type === 'multipart/report' && /disposition-notification/i.test(root.params['report-type'] ?? '')) return true;
  return root.parts.some((p) => MDN_TYPES.has(p.type));
}

/** Message type from the actions, unless the decoder said. */
function typeOf(result: DecodeResult): MessageType {
  if (result.type) return result.type;
  const f = result.findings;
  if (f.length > 0 && f.every((x) => x.action === 'delayed')) return 'delayed';
  if (f.length > 0 && f.every((x) => x.action === 'delivered' || x.action === 'relayed' || x.action === 'expanded')) return 'delivered';
  return 'bounce';
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run one decoder, catching its bugs. */
function tryDecode(d: Decoder, input: DecodeInput, problems: string[]): DecodeResult | null {
  try {
    if (!d.detect(input)) return null;
    const r = d.decode(input);
    if (r && r.findings.length > 0) return r;
  } catch (err) {
    problems.push(`decoder ${d.name} failed: ${errText(err)}`);
  }
  return null;
}

function toReport(d: Decoder, r: DecodeResult, problems: string[]): Report {
  for (const f of r.findings) if (!f.decodedBy) f.decodedBy = d.name;
  const report: Report = {
    type: typeOf(r),
    findings: r.findings,
    decodedBy: d.name,
    problems: r.problems ? [...problems, ...r.problems] : problems,
  };
  if (r.original) report.original = r.original;
  return report;
}

/** Decode a parsed message into a Report. */
export function decodeMessage(msg: ParsedMessage): Report {
  const problems = [...msg.problems];
  let input: DecodeInput;
  try {
    input = buildDecodeInput(msg, problems);
  } catch (err) {
    problems.push(`reading the text failed: ${errText(err)}`);
    input = { msg, from: '', subject: '', text: '' };
  }

  // 1. Complaints.
  const a = tryDecode(arf, input, problems);
  if (a) return toReport(arf, a, problems);

  // 2. Standard DSNs, improved by the MTA decoders that recognise the sender.
  const r = tryDecode(rfc3464, input, problems);
  if (r) {
    const report = toReport(rfc3464, r, problems);
    for (const d of mtaDecoders) {
      if (!d.enrich) continue;
      try {
        if (d.detect(input)) d.enrich(report, input);
      } catch (err) {
        report.problems.push(`decoder ${d.name} enrich failed: ${errText(err)}`);
      }
    }
    report.type = typeOf({ findings: report.findings, ...(r.type ? { type: r.type } : {}) });
    return report;
  }

  // 3. Read receipts are not bounces.
  if (isReadReceipt(msg.root)) {
    return { type: 'not-bounce', findings: [], decodedBy: 'mdn', problems };
  }

  // 4. Non-standard MTA formats.
  for (const d of mtaDecoders) {
    const m = tryDecode(d, input, problems);
    if (m) return toReport(d, m, problems);
  }

  // 5. DSN fields in plain text.
  const t = tryDecode(rfc3464Text, input, problems);
  if (t) return toReport(rfc3464Text, t, problems);

  // 6. Auto-replies.
  const v = tryDecode(autoReply, input, problems);
  if (v) return toReport(autoReply, v, problems);

  // 7. Last resort: a bounce in free text that names failed addresses.
  const l = tryDecode(rfc3464Loose, input, problems);
  if (l) return toReport(rfc3464Loose, l, problems);

  return { type: 'not-bounce', findings: [] as Finding[], decodedBy: '', problems };
}
