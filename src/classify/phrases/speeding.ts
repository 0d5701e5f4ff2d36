/**
 * phrases/speeding - the receiver throttles: the recipient receives too fast, our sending rate is
 * limited, or greylisting asks us to come back later. Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'speeding' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "speeding" / "ratelimited" (exceeding a rate limit, sending too fast)';

export const rules: PhraseRule[] = [
  {
    pattern: /\breceiving mail (?:at a rate that prevents|too quickly)\b|\breceivingrateperm\b/,
    seen: '550-5.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.',
    variant: '450 User is receiving mail too quickly',
    source: 'Google support.google.com/a/answer/3726730 (450 4.2.1 "receiving mail too quickly", 550 5.2.1 ReceivingRatePerm); Yahoo Sender Hub "450 User is receiving mail too quickly"',
  },
  {
    pattern: /\b(?:rate|frequency) limit(?:ed|ing)?\b(?! due to (?:ip |domain )?reputation)|\btemporarily (?:\S{1,20} )?rate limited\b|\bthrottl(?:ed|ing)\b/,
    seen: '450 4.2.1 The user you are trying to contact is receiving mail too quickly; rate limited',
    variant: '421 4.7.28 Mail sent from your IP address has been temporarily rate limited',
    source: `Google 421 4.7.28 "temporarily rate limited"; Amazon SES "Throttling failure: Maximum sending rate exceeded"; ${SISIMAI}`,
  },
  {
    pattern: /\btoo (?:many|much) (?:mail|messages|emails|e-mails)(?: [^ :]{1,20}){0,2}? (?:too quickly|in a short|per (?:hour|minute|day)|from)\b|\bsending (?:too fast|too quickly)\b|\bplease try again slower\b|\bdue to excessive volume\b|\bexcessive (?:mail |sending )?volume\b/,
    seen: '421 4.7.0 Too many messages in a short period',
    variant: '421 4.7.1 Messages to x@icloud.com deferred due to excessive volume. Try again later',
    source: `Apple iCloud "deferred due to excessive volume" (support.apple.com/en-us/102322); Postfix smtpd "Error: too much mail from %s" (smtpd_client_message_rate_limit); ${SISIMAI} ("please try again slower")`,
  },
  {
    pattern: /\b(?:exceeded|exceeds) (?:the |your )?(?:[^ :]{1,20} ){0,2}?(?:rate|max emails per hour|sending limit|sending quota)\b|\b(?:daily|hourly) (?:[^ :]{1,20} ){0,2}?(?:sending |message |relay )?(?:quota|limit) (?:exceeded|reached)\b|\bpeak smtp relay limit\b/,
    seen: '452 exceeded message rate',
    variant: '550 5.4.5 Daily user sending quota exceeded',
    source: 'Google Workspace SMTP relay limits (support.google.com/a/answer/166852: 550 5.4.5 "Daily user sending quota exceeded", 450 4.2.1 "Peak SMTP relay limit exceeded")',
  },
  {
    pattern: /\bgr[ae]y ?list(?:ed|ing)?\b/,
    seen: '450 4.7.1 <x@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html',
    variant: '451 4.7.1 Greylisting in action, please come back later',
    source: 'RFC 6647 (email greylisting: temporary 4xx refusal of unknown triplets); postgrey "Greylisted, see http://postgrey.schweikert.ch/help/%s.html"',
    note: 'come back later; Marketo category 3 (throttling)',
  },
  {
    pattern: /\bunusual rate of mail\b/,
    seen: '421-4.7.28 Gmail has detected an unusual rate of mail originating from your IP address.',
    variant: '421-4.7.28 Gmail has detected an unusual rate of mail originating from your SPF domain.',
    source: 'Google support.google.com/a/answer/3726730 (421 4.7.28 "unusual rate of mail")',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /receiving|rate|limit|throttl|too many|too much|too fast|too quickly|slower|volume|exceed|quota|gr[ae]y|peak/;

export const table: ReasonPhrases = { reason: 'speeding', rules, keys };
