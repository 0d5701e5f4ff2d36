/**
 * phrases/mailererror - a local delivery program (procmail, maildrop, a pipe) failed on the
 * receiving host. Soft: the mailbox's owner set up the program; the address is not judged.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'mailererror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  {
    pattern: /\bmailer error\b|\bmailer (?:\S{1,30} )?(?:died|exited|failed)\b/,
    seen: 'Recipient address rejected: Mailer error.',
    variant: '554 5.3.0 unknown mailer error 255',
    source: 'Sendmail "unknown mailer error %d" (sendmail/deliver.c); Sisimai reason definition "mailererror" ("mailer error")',
  },
  {
    pattern: /\b(?:command|program|pipe)(?: \S{1,60})? (?:died|failed|exited|terminated) (?:with|on)\b|\bcommand (?:failed|output):|\bchild process of \S{1,60} transport returned\b|\bpipe to \|/,
    seen: 'Command died with status 1: "/usr/bin/procmail"',
    variant: 'Child process of address_pipe transport returned 75 (could mean temporary error) from command: /usr/local/bin/filter',
    source: 'Postfix local(8)/pipe(8) "Command died with status %d: \\"%s\\"", "command output:" (src/global/pipe_command.c); Exim "Child process of %s transport returned %d" (src/transports/pipe.c)',
  },
  {
    pattern: /\bprocmail\b|\bmaildrop\b|\bmaidrop\b|\|\| exit \d{1,3}/,
    seen: '554 "|IFS=\' \' && exec /usr/local/bin/procmail -f- || exit 75"... Service unavailable',
    variant: 'maildrop: Unable to create a dot-lock at /var/mail/x.',
    source: 'procmail and maildrop local delivery agents named in the failure; Sendmail .forward pipe idiom "|IFS=\' \' && exec ... || exit 75"; Sisimai reason definition "mailererror"',
  },
];

export const table: ReasonPhrases = { reason: 'mailererror', rules };
