/**
 * providers/barracuda - Barracuda Email Security Service (ess.barracudanetworks.com): it answers
 * "550 permanent failure for one or more recipients (<addr>:<verdict>)", the verdict naming the cause.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Barracuda Email Security Service bounce format (campus.barracuda.com: "550 permanent failure for one or more recipients (addr:verdict)")';

export const provider: Provider = {
  name: 'barracuda',
  hosts: /\bbarracudanetworks\.com\b|\bcudamail\.com\b/,
  marks: /\bpermanent failure for one or more recipients \(/,
  rules: [
    { pattern: /:blocked\)/, reason: 'blocked', seen: '550 permanent failure for one or more recipients (someone@example.com:blocked)', variant: "550 permanent failure for one or more recipients (x@example.com:blocked, y@example.com:blocked)", source: SRC, note: 'Barracuda ESS policy or reputation block' },
    { pattern: /:(?:spam|bulk)\)/, reason: 'spamdetected', seen: '550 permanent failure for one or more recipients (someone@example.com:spam)', variant: "550 permanent failure for one or more recipients (x@example.com:bulk)", source: SRC },
    { pattern: /:virus\)/, reason: 'virusdetected', seen: '550 permanent failure for one or more recipients (someone@example.com:virus)', variant: "550 permanent failure for one or more recipients (x@example.org:virus)", source: SRC },
  ],
};
