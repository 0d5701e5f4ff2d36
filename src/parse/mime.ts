/**
 * mime - read one raw message into a MIME tree, synchronously and within bounded time and memory.
 * In: raw bytes (any line ending, any charset/transfer encoding). Out: ParsedMessage; never throws
 * on bad input: what cannot be read becomes a problem string.
 *
 * CONTRACT used by every decoder (owned by the parse stage; keep these shapes stable):
 */

export interface Headers {
  /** Header fields in order: [lower-case name, unfolded raw value]. */
  readonly list: ReadonlyArray<readonly [string, string]>;
  /** First value of a field (unfolded, raw, not RFC 2047-decoded), or undefined. */
  get(name: string): string | undefined;
  /** Every value of a field, in order. */
  getAll(name: string): string[];
  /** First value, RFC 2047-decoded to a UTF-8 string; '' when absent. */
  text(name: string): string;
}

export interface MimePart {
  headers: Headers;
  /** Lower-case media type, 'text/plain' when absent. */
  type: string;
  /** Content-Type parameters, lower-case keys, decoded values (RFC 2231 joined). */
  params: Record<string, string>;
  /**
   * Leaf parts: the body decoded (transfer encoding removed, text converted to UTF-8 with LF endings).
   * message/rfc822, message/global, text/rfc822-headers, message/delivery-status,
   * message/global-delivery-status, message/feedback-report: the (transfer-decoded) text as-is.
   * Multipart: the preamble text (some MTAs write their report there).
   */
  body: string;
  /** Multipart children; for message/rfc822 and message/global: one child, the parsed inner message. */
  parts: MimePart[];
}

export interface ParsedMessage {
  headers: Headers;
  root: MimePart;
  problems: string[];
}

export interface ParseOptions {
  /** Bytes beyond this are ignored (a problem is recorded). Default 64 MiB. */
  maxBytes?: number;
  /** Maximum MIME nesting depth. Default 16. */
  maxDepth?: number;
  /** Maximum number of parts. Default 512. */
  maxParts?: number;
}

export declare function parseMessage(raw: Buffer | string, opts?: ParseOptions): ParsedMessage;
