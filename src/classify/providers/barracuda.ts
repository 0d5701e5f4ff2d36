/**
 * providers/barracuda - Barracuda Email Security Service (ess.barracudanetworks.com): it answers
 * "550 permanent failure for one or more recipients (<addr>:<verdict>)", the verdict naming the cause.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

export const provider: Provider = {
  name: 'barracuda',
  hosts: /\bbarracudanetworks\.com\b|\bcudamail\.com\b/,
  marks: /\bpermanent failure for one or more recipients \(/,
  rules: [
    { pattern: /:blocked\)/, reason: 'blocked', seen: '550 permanent failure for one or more recipients (someone@example.com:blocked)', note: 'Barracuda ESS policy or reputation block' },
    { pattern: /:(?:spam|bulk)\)/, reason: 'spamdetected', seen: '550 permanent failure for one or more recipients (someone@example.com:spam)' },
    { pattern: /:virus\)/, reason: 'virusdetected', seen: '550 permanent failure for one or more recipients (someone@example.com:virus)' },
  ],
};
