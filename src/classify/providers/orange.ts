/**
 * providers/orange - Orange / Wanadoo / La Poste (France PTT): OFRnnn_nnn and LPNnnn_nnn codes.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Orange / La Poste postmaster (postmaster.orange.fr, postmaster.laposte.net: OFRnnn_nnn and LPNnnn_nnn codes)';

export const provider: Provider = {
  name: 'orange',
  hosts: /\b(?:orange\.fr|wanadoo\.fr|laposte\.net|francetelecom\.|orange-business\.)/,
  marks: /\b(?:ofr\d{3}_\d{3}|ofr_\d{3}|lpn\d{3}_\d{3})\b/,
  rules: [
    { pattern: /\bofr00[0-6]_10[0-9]\b|\bcsi\.cloudmark\.com\b|\bbloquee\b/, reason: 'blocked', seen: '550 mwinf5c04 ME Adresse IP source bloquee pour incident de spam. Client host blocked for spamming issues. OFR006_102 Ref http://csi.cloudmark.com', variant: "550 mwinf5d30 ME Adresse IP source bloquee pour incident de spam. OFR004_104 Ref http://csi.cloudmark.com/reset-request", source: SRC, note: 'source IP on Cloudmark / Orange block list' },
    { pattern: /\bofr_50[6-9]\b|\bmail rejete\b/, reason: 'spamdetected', seen: '550 5.2.0 Mail rejete. Mail rejected. OFR_506 [506]', variant: "550 5.7.1 Mail rejete. Mail rejected. ofr_507 [507]", source: SRC, note: 'content filter' },
    { pattern: /\bofr005_505\b|\bservice refuse\b(?=(?:(?!\bservice refuse\b).)*\bofr)/, reason: 'systemerror', seen: '421 4.2.0 Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR005_505 [505]', variant: "421 mwinf5c18 ME Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR005_505 [505]", source: SRC },
    { pattern: /\blpn001_108\b|\blpn00[0-9]_1\d\d\b/, reason: 'blocked', seen: '550 5.5.0 Service refuse. Veuillez essayer plus tard. service refused, please try later. LPN001_108', variant: "421 4.2.1 Service refuse. Veuillez essayer plus tard. LPN003_104", source: SRC, note: 'La Poste refuses the sending IP' },
    { pattern: /\blpn007_416\b|\bdestinataire invalide\b/, reason: 'userunknown', seen: '550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416', variant: "550 5.1.1 <x@laposte.net>: Adresse destinataire invalide. Invalid recipient. LPN007_416", source: SRC },
    { pattern: /\blpn007_426\b|\bcompte du destinataire est bloque\b|\brecipient account is blocked\b/, reason: 'suspend', seen: '550 5.5.0 Le compte du destinataire est bloque. The recipient account is blocked. LPN007_426', variant: "550 5.5.0 The recipient account is blocked. LPN007_426", source: SRC },
    { pattern: /\blpn000_6\d\d\b/, reason: 'policyviolation', seen: '554 5.7.1 <host[192.0.2.1]:49309>: Client host rejected: #216 lpn LPN000_630', variant: "554 5.7.1 Client host rejected: #121 lpn LPN000_613", source: SRC },
    { pattern: /\bboite (?:aux lettres )?pleine\b|\bmailbox full\b/, reason: 'mailboxfull', seen: '552 5.2.2 Boite pleine. Mailbox full.', variant: "552 5.2.2 Boite aux lettres pleine. Mailbox full.", source: SRC },
  ],
};
