/**
 * phrases/syntaxerror - the receiver did not understand our SMTP: unknown or out-of-sequence
 * commands, bad arguments, protocol violations (RFC 5321 §4.2.2 500-504, RFC 3463 X.5.x). Soft;
 * sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'syntaxerror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:bad|improper|wrong) sequence of commands\b|\b(?:ehlo\/helo|mail|rcpt) first\b|\bno data after bdat\b/,
    seen: '503 Improper sequence of commands',
    variant: '503 5.5.1 Bad sequence of commands; MAIL first',
    source: 'RFC 5321 §4.2.2 503 "Bad sequence of commands"; Google 503 5.5.1 (support.google.com/a/answer/3221692)',
  },
  {
    pattern: /\bcommand (?:\S{1,20} )?(?:parameter )?(?:not (?:implemented|recogni[sz]ed)|unrecogni[sz]ed)\b|\bsyntax error\b|\bunrecogni[sz]ed command\b|\bunimplemented command\b/,
    seen: '504 Command parameter not implemented',
    variant: '500 5.5.2 Syntax error, command unrecognized',
    source: 'RFC 5321 §4.2.2 (500 "Syntax error, command unrecognized", 501 "Syntax error in parameters or arguments", 502 "Command not implemented", 504 "Command parameter not implemented")',
  },
  {
    pattern: /\bcommand line too long\b|\bline too long\b(?! for)|\bimproper use of smtp command pipelining\b|\bsmtp protocol violation\b|\bprotocol error\b|\bmalformed address\b/,
    seen: '500 5.5.1 Line too long',
    variant: '554 5.5.0 Error: improper use of SMTP command pipelining',
    source: 'RFC 5321 §4.5.3.1.4 (command line length); Postfix smtpd "Error: improper use of SMTP command pipelining" (src/smtpd/smtpd.c); Google 451/454/525 "SMTP protocol violation"; Exim "malformed address"',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /sequence|first|bdat|command|syntax|line too long|pipelining|protocol|malformed address/;

export const table: ReasonPhrases = { reason: 'syntaxerror', rules, keys };
