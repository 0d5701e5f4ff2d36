/**
 * decode/types - the shape every decoder has. A decoder is data plus two small functions:
 * `detect` (cheap: headers only) and `decode` (reads the body). It returns null when the message
 * is not in its format, so the registry can try the next one.
 */
import type { ParsedMessage } from '../parse/message.js';
import type { Finding, MessageType, Report } from '../types.js';

/**
 * What the caller knows of the message's envelope. Optional: a message read from a file has none.
 * The pipeline passes the SMTP/LMTP envelope (MAIL FROM '' is the null sender of a bounce).
 */
export interface DecodeContext {
  /** The envelope sender (MAIL FROM), '' for the null sender; undefined when unknown. */
  mailFrom?: string;
  /** The envelope recipients (our VERP addresses): never a failed recipient of the report. */
  rcptTo?: string[];
}

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
  /** The envelope, when the caller passed one to decodeMessage. */
  context?: DecodeContext;
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
  /**
   * Cheap test on headers only (From, Subject at its start, X-Mailer, Received, Message-ID...): the
   * format's preferred signals. A match lets the registry try decode() first.
   */
  detect(input: DecodeInput): boolean;
  /**
   * Optional: the format's structural markers in the text (the shape of its recipient blocks, its
   * separators, its transcript lines), which an administrator cannot configure away. When no
   * decoder whose detect() matched could read the message, the registry tries, in order, every
   * decoder whose structure() finds its markers; a match also counts as bounce evidence.
   */
  structure?(input: DecodeInput): boolean;
  /** Read the message; null when it is not in this decoder's format after all. */
  decode(input: DecodeInput): DecodeResult | null;
  /**
   * Optional: improve a report that another decoder (rfc3464) already read, in place, when this
   * decoder's detect() passes (e.g. the real diagnostic is only in the human-readable part).
   * Fill what is missing or plainly generic; never drop or reorder findings.
   */
  enrich?(report: Report, input: DecodeInput): void;
}
