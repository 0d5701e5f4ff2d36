/**
 * decode/types - the shape every decoder has. A decoder is data plus two small functions:
 * `detect` (cheap: headers only) and `decode` (reads the body). It returns null when the message
 * is not in its format, so the registry can try the next one.
 */
import type { ParsedMessage } from '../parse/message.js';
import type { Finding, MessageType, Report } from '../types.js';

/** What decoders get: the parsed tree plus pre-computed views used by almost all of them. */
export interface DecodeInput {
  msg: ParsedMessage;
  /** Decoded From: and Subject: of the bounce itself. */
  from: string;
  subject: string;
  /** Human-readable text of the bounce: text/plain parts (or text/html stripped of tags when there is
   *  no plain part) outside any attached original message, joined with '\n'. LF line endings.
   *  buildDecodeInput computes it on first read (a getter), so detect() must not touch it. */
  text: string;
}

export interface DecodeResult {
  findings: Finding[];
  /** Defaults to 'bounce' when findings are failures. */
  type?: MessageType;
  original?: Report['original'];
  problems?: string[];
}

export interface Decoder {
  /** Short kebab-case name, same as the file: 'postfix', 'exchange2007', 'google-groups'. */
  name: string;
  /** Cheap test on headers only (From, Subject, X-Mailer, Received, Message-ID...). */
  detect(input: DecodeInput): boolean;
  /** Read the message; null when it is not in this decoder's format after all. */
  decode(input: DecodeInput): DecodeResult | null;
  /**
   * Optional: improve a report that another decoder (rfc3464) already read, in place, when this
   * decoder's detect() passes (e.g. the real diagnostic is only in the human-readable part).
   * Fill what is missing or plainly generic; never drop or reorder findings.
   */
  enrich?(report: Report, input: DecodeInput): void;
}
