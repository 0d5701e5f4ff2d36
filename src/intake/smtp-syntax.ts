/**
 * intake/smtp-syntax - read the arguments of MAIL FROM and RCPT TO (RFC 5321 4.1.2, 3.3):
 * the path in angle brackets and the ESMTP parameters after it.
 *
 * In: the command line after the verb ("FROM:<a@b> SIZE=10"). Out: { address, params } or an
 * error text for a 501. Lenient where real MTAs are sloppy (a space after the colon, a missing
 * pair of brackets, a source route), strict where a mistake would change meaning (unbalanced
 * brackets, control characters). Parameter names are upper-cased; values are kept as sent.
 */

export interface PathArg {
  /** The address without brackets or source route; '' for the null path "<>". */
  address: string;
  params: Map<string, string>;
}

/** "FROM:" / "TO:" followed by a path and parameters. `keyword` is 'FROM' or 'TO'. */
export function parsePathArg(arg: string, keyword: 'FROM' | 'TO'): PathArg | string {
  const head = arg.slice(0, keyword.length + 1).toUpperCase();
  if (head !== `${keyword}:`) return `Syntax: ${keyword === 'FROM' ? 'MAIL FROM:<address>' : 'RCPT TO:<address>'}`;
  const rest = arg.slice(keyword.length + 1).trimStart();
  let path: string;
  let tail: string;
  if (rest.startsWith('<')) {
    const close = closingBracket(rest);
    if (close < 0) return 'Syntax: unbalanced angle brackets';
    path = rest.slice(1, close);
    tail = rest.slice(close + 1);
  } else {
    // No brackets (seen from old mailers): the path runs to the first space.
    const sp = rest.indexOf(' ');
    path = sp < 0 ? rest : rest.slice(0, sp);
    tail = sp < 0 ? '' : rest.slice(sp);
  }
  // A source route ("@relay1,@relay2:user@domain") is obsolete; the mailbox is after the colon.
  if (path.startsWith('@')) {
    const colon = path.indexOf(':');
    if (colon < 0) return 'Syntax: bad source route';
    path = path.slice(colon + 1);
  }
  if (/[\x00-\x1f\x7f]/.test(path)) return 'Syntax: control character in address';
  if (keyword === 'TO' && path === '') return 'Syntax: empty recipient';
  const params = new Map<string, string>();
  for (const word of tail.split(' ')) {
    if (word === '') continue;
    const eq = word.indexOf('=');
    params.set((eq < 0 ? word : word.slice(0, eq)).toUpperCase(), eq < 0 ? '' : word.slice(eq + 1));
  }
  return { address: path, params };
}

/** Index of the ">" that closes the "<" at 0, skipping quoted strings ("a>b"@x); -1 if none. */
function closingBracket(s: string): number {
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c /* \ */ && quoted) i++;
    else if (c === 0x22 /* " */) quoted = !quoted;
    else if (c === 0x3e /* > */ && !quoted) return i;
  }
  return -1;
}
