/**
 * types - the values that cross stage folders, and nothing else.
 *
 * One bounce flows one way:
 *   raw bytes --parse/message--> ParsedMessage --decode/--> Report (Finding[])
 *   --classify/--> RecipientResult[] (Finding + Verdict) --store/--> state change + events.
 *
 * Stage-private shapes live in their own folder; only what two folders share is here.
 */

/** Sisimai's reason tokens, verbatim. A typo fails to compile. */
export const REASONS = [
  'authfailure',
  'badreputation',
  'blocked',
  'contenterror',
  'delivered',
  'exceedlimit',
  'expired',
  'failedstarttls',
  'feedback',
  'filtered',
  'hasmoved',
  'hostunknown',
  'mailboxfull',
  'mailererror',
  'mesgtoobig',
  'networkerror',
  'norelaying',
  'notaccept',
  'notcompliantrfc',
  'onhold',
  'policyviolation',
  'rejected',
  'requireptr',
  'securityerror',
  'spamdetected',
  'speeding',
  'suppressed',
  'suspend',
  'syntaxerror',
  'systemerror',
  'systemfull',
  'toomanyconn',
  'undefined',
  'userunknown',
  'vacation',
  'virusdetected',
] as const;
export type Reason = (typeof REASONS)[number];

export function isReason(s: string): s is Reason {
  return (REASONS as readonly string[]).includes(s);
}

/** What kind of message arrived at the return path. */
export type MessageType = 'bounce' | 'delayed' | 'feedback' | 'autoreply' | 'delivered' | 'not-bounce';

/** RFC 3464 Action values, lower-cased; '' when the report gave none and none could be inferred. */
export type Action = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded' | '';

/** Marketo bounce category: 1 spam/blocklist, 2 invalid address, 3 soft (full, timeout, throttle),
 *  4 soft (DNS, transient, admin, policy), 9 unknown. 0 = not a bounce (delivered, vacation, complaint). */
export type Category = 0 | 1 | 2 | 3 | 4 | 9;

/**
 * One recipient as a decoder read it from a report: facts only, no judgement.
 * Strings are '' when absent, never undefined, so that JSON output is stable.
 */
export interface Finding {
  /** The failed address, lower-cased domain, no angle brackets. '' when the report names none. */
  recipient: string;
  action: Action;
  /** RFC 3463 enhanced status (e.g. '5.1.1', '5.7.606'), the most specific one found; '' if none. */
  status: string;
  /** SMTP reply code such as '550'; '' if none. */
  replyCode: string;
  /** The remote server's own words (Diagnostic-Code text or the MTA's error line), unfolded. */
  diagnostic: string;
  /** Diagnostic-Code type: 'smtp', 'x-unix', ... or ''. */
  diagnosticType: string;
  /** Host that rejected (Remote-MTA, or named in the text); '' if unknown. */
  remoteMta: string;
  /** Host that wrote the report (Reporting-MTA); '' if unknown. */
  reportingMta: string;
  /** SMTP command the rejection answered: 'CONN' | 'EHLO' | 'HELO' | 'MAIL' | 'RCPT' | 'DATA' | '' . */
  lastCommand: string;
  /** A reason the decoder knows from the format itself (e.g. qmail's timeout text => 'expired',
   *  ARF => 'feedback', vacation => 'vacation'). The classifier may still override it with better evidence. */
  reasonHint?: Reason;
  /** ARF Feedback-Type ('abuse', 'opt-out', ...), only for feedback reports. */
  feedbackType?: string;
  /** Name of the decoder that produced this finding ('rfc3464', 'postfix', 'exim', ...). */
  decodedBy: string;
  /** The human-readable explanation the decoder saw for this recipient, when it says more than (or
   *  other than) `diagnostic`: the classifier reads it for the reporter's own words and for a part
   *  that contradicts the machine-readable fields. Absent when there is none. */
  human?: string;
}

/** What the decode stage says about one message. */
export interface Report {
  type: MessageType;
  findings: Finding[];
  /** Decoder that recognised the message ('' when none did). */
  decodedBy: string;
  /** Non-fatal problems noticed while reading (bad header, truncated part, unknown charset...). */
  problems: string[];
  /** Headers of the message we sent, when the bounce returned them (for VERP and Message-ID matching). */
  original?: { messageId: string; to: string; from: string; subject: string; returnPath: string };
}

/** The classifier's judgement about one finding. */
export interface Verdict {
  reason: Reason;
  /** True only where the address itself is bad (userunknown, hostunknown, hasmoved, 5xx notaccept),
   *  and never for a likely false positive. */
  hard: boolean;
  category: Category;
  /** True for spam-filter, blocklist and reputation rejections: they say nothing about the address. */
  likelyFalsePositive: boolean;
  /** The text that decided the reason (matched phrase), so an operator can see why. '' if none. */
  evidence: string;
  /** Which rule decided: 'status:5.1.1', 'phrase:userunknown', 'provider:google', 'hint:qmail', ... */
  rule: string;
}

/** One line of `rebound parse --json` output per recipient; also what the store records. */
export interface RecipientResult {
  address: string;
  action: Action;
  status: string;
  replyCode: string;
  reason: Reason;
  hard: boolean;
  category: Category;
  likelyFalsePositive: boolean;
  evidence: string;
  diagnostic: string;
  remoteMta: string;
  feedbackType: string;
}

/** The whole analysis of one message: parse + decode + classify. Pure, no I/O. */
export interface Analysis {
  type: MessageType;
  recipients: RecipientResult[];
  decodedBy: string;
  problems: string[];
  original?: Report['original'];
  /** The bounce's own Date: header (unfolded, raw), read once by the MIME parser; '' if absent. */
  date?: string;
  /** Set when the message could not be analysed at all (larger than the parse limit, the parser
   *  gave up, a crash): why. No findings then; the pipeline marks the message failed. */
  unreadable?: string;
}

/** Where a stored message came from. */
export type SourceKind = 'smtp' | 'lmtp' | 'imap' | 'file' | 'stdin';

/** What a return path's VERP token is worth (verp/sign.ts verifyReturnPath decides it). */
export const VERIFY_STATUSES = [
  'valid', // signed with a known key, not expired
  'expired', // signature good, expiry day passed
  'bad-signature', // tag present, MAC does not match
  'unknown-key', // tag names a key we do not have
  'unsigned', // plain VERP or bare prefix: no tag at all
  'not-ours', // not at a bounce domain, or no prefix
] as const;
export type VerifyStatus = (typeof VERIFY_STATUSES)[number];

/**
 * What intake learned from one envelope recipient (a return path of ours, or not): decoded and
 * judged once, when the message arrived, with the verp.* config in force then (verp/sign.ts
 * learnReturnPaths; SMTP/LMTP keep their RCPT decision). The pipeline attributes from it and never
 * decodes the token again, so a key removed later does not turn yesterday's verified bounce
 * into a forgery.
 */
export interface ReturnPathVerdict {
  /** The envelope recipient it is about (an entry of Envelope.rcptTo). */
  returnPath: string;
  /** The address the VERP token names; '' when it names none. */
  address: string;
  status: VerifyStatus;
  /** Valid, or unsigned where verp.requireSignature was off. */
  verified: boolean;
  /** May a bounce at this return path change address state: verified, or verp.allowUnverifiedState. */
  mayChangeState: boolean;
}

/** A message as received, before it is stored. */
export interface Envelope {
  source: SourceKind;
  /** Free-form origin detail: peer address, 'account/mailbox/uid', file path. */
  origin: string;
  mailFrom: string;
  rcptTo: string[];
  /** When it reached us (ms since epoch). */
  receivedAt: number;
  /**
   * What intake learned from rcptTo's return paths, one entry per recipient it judged ([] when
   * there is none to judge: files, stdin). Absent only for a message stored before intake kept
   * it (schema < 8: the store judges those on read, store/messages.ts) or an envelope a
   * library caller built without it (planned as is, no token is trusted and the report alone
   * decides; once stored, a store opened with legacyVerp judges it on read like a schema < 8 row).
   */
  returnPaths?: ReturnPathVerdict[];
}
