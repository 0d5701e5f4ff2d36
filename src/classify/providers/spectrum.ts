/**
 * providers/spectrum - Spectrum / Charter (charter.net, rr.com): AUP#<letters>-<number> codes.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider, Context } from '../rules.js';
import type { Reason } from '../../types.js';

/**
 * Spectrum groups its AUP numbers in ranges by kind of refusal (spectrum.net "understanding email
 * error codes"). Only the 1300s (volume and connection limits) are confirmed by a sample here; the
 * other ranges follow the published page as we read it and are unverified.
 */
function byNumber(n: number): Reason | null {
  if (n >= 1000 && n < 1100) return 'blocked'; // IP on a Spectrum or third-party block list
  if (n >= 1100 && n < 1200) return 'blocked'; // domain or sender blocked
  if (n >= 1200 && n < 1300) return 'rejected'; // sender address problems
  if (n >= 1300 && n < 1400) return 'toomanyconn'; // volume and connection limits
  if (n >= 1400 && n < 1500) return 'systemerror';
  if (n >= 1500 && n < 1600) return 'userunknown'; // recipient does not exist
  return null;
}

const SRC = 'Spectrum email error codes (spectrum.net/support/internet/understanding-email-error-codes)';

export const provider: Provider = {
  name: 'spectrum',
  hosts: /\b(?:charter\.net|rr\.com|spectrum\.net|twc\.com)\b/,
  marks: /spectrum\.net\/support|aup#(?:in|out|be|ch)-\d{4}/,
  rules: [],
  decideSource: SRC,
  decide(ctx: Context) {
    const m = /aup#[a-z]+-(\d{4})/.exec(ctx.text);
    if (!m?.[1]) return null;
    const reason = byNumber(Number(m[1]));
    return reason ? { reason, evidence: m[0] } : null;
  },
};
