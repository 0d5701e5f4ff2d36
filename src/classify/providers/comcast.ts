/**
 * providers/comcast - Comcast (comcast.net): BLnnnnnn / RLnnnnnn codes from postmaster.comcast.net.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

export const provider: Provider = {
  name: 'comcast',
  hosts: /\bcomcast\.net\b/,
  marks: /\b(?:bl|rl)0000\d\d\b/,
  rules: [
    { pattern: /\bbl0000\d\d\b/, reason: 'blocked', seen: '554 resimta-ch2-18v.sys.comcast.net comcast 192.0.2.1 Comcast block for spam. Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000000' },
    { pattern: /\brl0000\d\d\b/, reason: 'speeding', seen: '421 4.7.0 Comcast RL000010 rate limited' },
  ],
};
