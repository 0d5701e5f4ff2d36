/**
 * store/limits - how much text the store keeps per message and per event, whatever a bounce says.
 * A reply is at most a few KB (RFC 5321: 512 characters a line); a longer "diagnostic" is a whole
 * human-readable part copied into every recipient, and stored as it came it multiplied a 257 KB
 * message into 130 MB of events (issue 16). docs/SCHEMA.md lists these caps.
 */

/** Characters of one diagnostic text kept (once per message and distinct text, in `diagnostics`). */
export const MAX_STORED_DIAGNOSTIC = 4096;
/** Characters of an event's evidence (the text a rule matched) kept. */
export const MAX_STORED_EVIDENCE = 1000;
/** Characters of a message's problems (JSON) kept. */
export const MAX_STORED_PROBLEMS = 16_384;

/** s cut to max characters, marked when cut (the marker counts in max). */
export function capText(s: string, max: number): string {
  if (s.length <= max) return s;
  const mark = ` [... ${s.length - max} more characters not stored]`;
  let cut = Math.max(0, max - mark.length);
  // Not between the two halves of a surrogate pair.
  if (cut > 0 && /[\uD800-\uDBFF]/.test(s[cut - 1]!)) cut--;
  return s.slice(0, cut) + mark;
}
