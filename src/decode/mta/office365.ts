/**
 * office365 - non-delivery reports of Exchange Online / Office 365 (and Outlook.com on the same
 * platform) when they arrive without a usable message/delivery-status part. The text carries
 * the same "Diagnostic information for administrators" block as on-premises Exchange, so the
 * reading is shared with exchange2007.ts; detection looks for the cloud's own headers.
 * In: DecodeInput. Out: one Finding per recipient, in order. RFCs: 3463, 5321. Config keys: none.
 *
 *   Diagnostic information for administrators:
 *   Generating server: HOST.namprd00.prod.outlook.com
 *   user@example.com
 *   Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { receivedText } from '../text.js';
import type { Report } from '../../types.js';
import { enrichExchangeFindings, exchangeResult } from './exchange2007.js';

const NAME = 'office365';

// Received: from HOST.namprd00.prod.outlook.com (192.0.2.1) by ...
// Received: from host.outbound.protection.outlook.com ([192.0.2.1]) by ...
const CLOUD_HOST_RE = /\b(?:prod\.outlook\.com|protection\.outlook\.com|prod\.exchangelabs\.com|onmicrosoft\.com)\b/i;

export const office365: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    const h = input.msg.headers;
    // X-MS-Exchange-CrossTenant-* only exist on Exchange Online; From: postmaster@x.onmicrosoft.com
    if (h.list.some(([name]) => name.startsWith('x-ms-exchange-crosstenant-'))) return true;
    if (CLOUD_HOST_RE.test(input.from)) return true;
    return CLOUD_HOST_RE.test(receivedText(input));
  },
  decode(input: DecodeInput): DecodeResult | null {
    return exchangeResult(input.text, NAME);
  },
  enrich(report: Report, input: DecodeInput): void {
    enrichExchangeFindings(input.text, report.findings);
  },
};
