/**
 * evidence - is this message a bounce at all, before any decoder reads an address from it?
 * In: DecodeInput (headers of the message) and the envelope when the caller knows it.
 * Out: Evidence: who sent it (a mail system, a person, an automated sender) and whether its
 * subject is a forward or a reply. The registry (decode/index.ts) decodes a message as a bounce
 * only with bounce evidence: a null or MAILER-DAEMON/postmaster return path or sender, a
 * delivery-status part, a returned original message, or a known MTA report structure. A person's
 * message, a forward or a reply is never a bounce on its own, whatever its subject or body says
 * (a person forwarding "Fwd: Undelivered Mail ..." must not mark the forwarder invalid, and a
 * phishing mail dressed as a bounce is not one).
 * No config keys. RFCs: 5321 4.5.5 (null reverse-path of notifications), 3834 (auto-replies),
 * 2142 (postmaster).
 */
import { addressList } from './arf.js';
import { withoutComments } from './text.js';
import type { DecodeContext, DecodeInput } from './types.js';

export interface Evidence {
  /** A mail system sent it: null or MAILER-DAEMON/postmaster-like envelope sender, Return-Path,
   *  Sender or From. */
  daemon: boolean;
  /** A person sent it: a personal From (not a mail system, not an automated sender) and a return
   *  path that is neither null nor a mail system's (or none known). */
  person: boolean;
  /** The subject is a forward or a reply ("Fwd:", "Re:", "AW:", "TR:", "转发:" ...). */
  forwardOrReply: boolean;
  /** Addresses that are never a failed recipient of a report written as text, lower-cased: the
   *  envelope recipients (our VERP address) and the bounce's own From, Sender and Return-Path (the
   *  mail system that wrote it). */
  own: Set<string>;
  /** The bounce's To (the original sender, usually our VERP address): never a recipient read from
   *  free prose. A report's own recipient structure may still name it (a message sent to oneself). */
  sender: Set<string>;
}

/** Local parts of mail systems (RFC 2142 postmaster, the MAILER-DAEMON convention and its spellings). */
const DAEMON_LOCAL = /^(?:mailer[-_.]?daemon|mail[-_.]?daemon|maildaemon|postmaster|post[-_.]master|mail[-_.]?delivery[-_.]?(?:system|subsystem|service)|double-bounce|mdaemon)$/i;

/** Local parts of automated senders that are not mail systems: no-reply robots, list robots,
 *  ticket systems. Their messages are not a person's, and not bounces by themselves either. */
const AUTOMATED_LOCAL =
  /^(?:no-?reply|do-?not-?reply|donotreply|noreply[-_.].*|.*[-_.]noreply|bounces?|auto-?reply|autoresponder|notifications?|notify|mailer|listserv|majordomo|mailman|sympa|ecartis|lyris|owner-.+|.+-(?:owner|admin|bounces?|errors?|request))$/i;

/** A forward or a reply, in the prefixes mail clients write (English, German, French, Spanish,
 *  Italian, Dutch, Scandinavian, Polish, Portuguese, Chinese, Japanese). Several may be stacked. */
const FORWARD_OR_REPLY = /^\s*(?:\[[^\]]{1,40}\]\s*)?(?:re|fwd?|fw|aw|wg|tr|rv|enc|sv|vs|vl|antw|odp|pd|r|i|doorst|转发|回复|転送|返信)\s*(?:\[\d+\])?\s*[:：]/i;

function localPart(addr: string): string {
  const at = addr.lastIndexOf('@');
  return at < 0 ? addr : addr.slice(0, at);
}

/** A header value that is a null path: "<>", "", "<null>" (AOL), or a bare "MAILER-DAEMON". */
function isNullPath(v: string): boolean {
  const t = v.trim();
  return t === '' || t === '<>' || /^<\s*>$/.test(t) || /^<?null>?$/i.test(t);
}

export function isDaemonAddress(addr: string): boolean {
  return DAEMON_LOCAL.test(localPart(addr.trim().replace(/^<|>$/g, '')));
}

function isAutomatedAddress(addr: string): boolean {
  return AUTOMATED_LOCAL.test(localPart(addr.trim().replace(/^<|>$/g, '')));
}

/** The first address of a header value ('' if none), or the bare word ("MAILER-DAEMON"). */
function firstAddress(v: string): string {
  const list = addressList(v);
  if (list.length > 0) return list[0]!.toLowerCase();
  const bare = /<([^<>@\s]*)>/.exec(v)?.[1] ?? withoutComments(v).trim();
  return /^[^\s@<>"]+$/.test(bare) ? bare.toLowerCase() : '';
}

export function forwardOrReplySubject(subject: string): boolean {
  return FORWARD_OR_REPLY.test(subject);
}

/** Read the sender evidence of one message. The address sets are built on first use. */
export function readEvidence(input: DecodeInput, ctx?: DecodeContext): Evidence {
  const h = input.msg.headers;
  // One pass over the fields this needs.
  const returnPaths: string[] = [];
  let fromValue: string | undefined;
  let senderValue: string | undefined;
  for (const [name, value] of h.list) {
    if (name === 'return-path') returnPaths.push(value);
    else if (name === 'from') fromValue ??= value;
    else if (name === 'sender') senderValue ??= value;
  }

  const envelope = ctx?.mailFrom;
  const paths = envelope !== undefined ? [...returnPaths, envelope] : returnPaths;
  const pathAddresses = paths.map((p) => (isNullPath(p) ? null : firstAddress(p)));
  const nullPath = pathAddresses.some((a) => a === null);
  const pathDaemon = pathAddresses.some((a) => a !== null && isDaemonAddress(a));

  const from = firstAddress(fromValue ?? '');
  const sender = firstAddress(senderValue ?? '');
  // "From: <>" or "From: MAILER-DAEMON" (no domain) are mail systems too.
  const fromDaemon = (fromValue !== undefined && isNullPath(fromValue.replace(/^[^<]*(?=<)/, ''))) || (from !== '' && isDaemonAddress(from)) || (sender !== '' && isDaemonAddress(sender));
  const daemon = nullPath || pathDaemon || fromDaemon;

  const personalFrom = from.includes('@') && !isDaemonAddress(from) && !isAutomatedAddress(from);
  const personalPath = pathAddresses.every((a) => a !== null && !isDaemonAddress(a) && !isAutomatedAddress(a));
  return new SenderEvidence(h.list, ctx?.rcptTo ?? [], daemon, !daemon && personalFrom && personalPath, forwardOrReplySubject(input.subject));
}

/** Evidence whose address sets (needed only when a text report is read) are built lazily. */
class SenderEvidence implements Evidence {
  private ownSet: Set<string> | undefined;
  private senderSet: Set<string> | undefined;

  constructor(
    private readonly fields: ReadonlyArray<readonly [string, string]>,
    private readonly rcptTo: readonly string[],
    readonly daemon: boolean,
    readonly person: boolean,
    readonly forwardOrReply: boolean,
  ) {}

  get own(): Set<string> {
    if (this.ownSet === undefined) {
      const s = new Set<string>();
      for (const [name, value] of this.fields) {
        if (name === 'from' || name === 'sender' || name === 'return-path') for (const a of addressList(value)) s.add(a.toLowerCase());
      }
      for (const r of this.rcptTo) s.add(r.toLowerCase());
      this.ownSet = s;
    }
    return this.ownSet;
  }

  get sender(): Set<string> {
    if (this.senderSet === undefined) {
      const s = new Set<string>();
      for (const [name, value] of this.fields) if (name === 'to') for (const a of addressList(value)) s.add(a.toLowerCase());
      this.senderSet = s;
    }
    return this.senderSet;
  }
}
