/**
 * einsundeins - 1&1 / IONOS bounces (mailer-daemon@kundenserver.de, "Mail delivery failed:
 * returning message to sender"). Same layout as GMX (both United Internet), so the reading is
 * shared with gmx.ts; only detection differs.
 * In: DecodeInput. Out: one Finding per failed address. RFCs: 3463, 5321. Config keys: none.
 *
 *   user@example.fr:
 *   SMTP error from remote server for TEXT command, host: smtp-in.example.fr (192.0.2.1) reason: 550 5.2.0 ...
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { readUnitedInternetReport } from './gmx.js';

const NAME = 'einsundeins';

export const einsundeins: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: "Mail Delivery System" <mailer-daemon@kundenserver.de> (also ionos.*, 1and1.*, online.de)
    return /mailer-daemon@(?:[\w-]+\.)*(?:kundenserver\.de|1and1\.[a-z.]+|ionos\.[a-z.]+|online\.de|web\.de)\b/i.test(
      input.from,
    );
  },
  decode(input: DecodeInput): DecodeResult | null {
    const findings = readUnitedInternetReport(input.text, NAME);
    return findings ? { findings, type: 'bounce' } : null;
  },
};
