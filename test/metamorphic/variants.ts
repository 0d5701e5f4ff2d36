/**
 * Metamorphic variants of one bounce: the changes a real mail flow or a real administrator makes
 * to a message that must not change what rebound reports about it - other recipient addresses,
 * other host names and IPs, another subject and banner where the MTA lets the administrator write
 * them (and, for every bounce, another subject line), header fields folded, unfolded or in another
 * order, CRLF / LF / CR line endings, the message inside an mbox - and one change that must make it
 * stop being a bounce: a person forwarding it (as an attachment, or quoted inline).
 *
 * Every generator works on the raw message as a latin1 string with LF line endings, through
 * mime-edit.ts so that base64 bodies are rewritten too.
 */
import { headerFields, headerValue, rewriteEntity, splitEntity, type EntityInfo } from './mime-edit.js';

export interface Variant {
  name: string;
  raw: Buffer;
  /** 'same': type, recipients, reason and hard as the original. 'not-bounce': no bounce at all. */
  expect: 'same' | 'not-bounce';
  /** Expected recipient for a baseline recipient (address variants rename them). */
  mapAddress?: (a: string) => string;
  /** The raw is an mbox: split it with the intake's reader and analyse message #1. */
  mbox?: boolean;
  /** The raw is a file's content: read it with the intake's file reader first. */
  file?: boolean;
}

/** A predicate: does this host or domain name a receiving provider the classifier knows? */
export type ProviderTest = (name: string) => boolean;

export interface VariantInput {
  /** The original message (any line ending). */
  raw: Buffer;
  /** The recipients the original analysis reported, in order. */
  recipients: string[];
  /** The original analysis's message type. */
  type: string;
  providerName: ProviderTest;
}

const toText = (raw: Buffer): string => raw.toString('latin1').replace(/\r\n?/g, '\n');
const toRaw = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A small stable hash, to make names that differ per message but not per run. */
function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

const LOCAL_PARTS = ['hanako.yamada', 'j.doe', 'orders', 'm.mueller', 'li_wei', 'sam.o-brien', 'billing-desk', 'tk99'];
const DOMAINS = ['northwind.test', 'contoso-mail.test', 'lakeside.test', 'fabrikam.test', 'tailspin.test'];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replace every whole occurrence of the keys of `map` (case-insensitive) in text. */
function replaceAll(text: string, map: Map<string, string>, boundary: { before: string; after: string }): string {
  if (map.size === 0) return text;
  const keys = [...map.keys()].sort((a, b) => b.length - a.length).map(escapeRe);
  const re = new RegExp(`(?<!${boundary.before})(?:${keys.join('|')})(?!${boundary.after})`, 'gi');
  return text.replace(re, (m) => map.get(m.toLowerCase()) ?? m);
}

/** Apply a text rewrite to every header block and every leaf body. */
function everywhere(s: string, f: (t: string) => string): string {
  return rewriteEntity(s, (_kind, t) => f(t));
}

// ------------------------------------------------------------------------------------------------
// Addresses
// ------------------------------------------------------------------------------------------------

/**
 * Rename each reported recipient (local part always, domain unless it names a receiving provider,
 * which the classifier may rightly use) and the bounce's own To (our sender / VERP address).
 */
function addressVariant(s: string, input: VariantInput): Variant | null {
  const map = new Map<string, string>();
  const seed = hash(s);
  input.recipients.forEach((r, i) => {
    const at = r.lastIndexOf('@');
    // Internationalized addresses are spelt in many byte forms in one message; not renamed here.
    if (at <= 0 || !/^[\x21-\x7e]+$/.test(r)) return;
    const domain = r.slice(at + 1).toLowerCase();
    const local = LOCAL_PARTS[(seed + i) % LOCAL_PARTS.length]! + (i >= LOCAL_PARTS.length ? String(i) : '');
    const newDomain = input.providerName(domain) ? domain : DOMAINS[(seed + i) % DOMAINS.length]!;
    map.set(r.toLowerCase(), `${local}@${newDomain}`);
  });
  if (map.size === 0) return null;
  // Our own address: the bounce is addressed to it. A VERP address of a sender's bounce domain.
  const { head } = splitEntity(s);
  const to = /<?([^\s<>"@,]+@[A-Za-z0-9.-]+)>?/.exec(headerValue(head, 'to') ?? '')?.[1]?.toLowerCase();
  // Not when the To is also the report's From or Return-Path (a list robot writing to itself).
  const selfAddressed = [headerValue(head, 'from'), headerValue(head, 'return-path')].some((v) => v !== undefined && v.toLowerCase().includes(to ?? '\u0000'));
  if (to && !selfAddressed && !map.has(to) && !input.recipients.some((r) => r.toLowerCase() === to) && !/^(?:postmaster|mailer-daemon)@/i.test(to)) {
    map.set(to, `bounces+${(seed % 9973).toString(36)}=${to.replace('@', '=')}@bounce.sender.test`);
  }
  const renamed = everywhere(s, (t) => replaceAll(t, map, { before: "[A-Za-z0-9._%+=!#$&'*/?^`{|}~-]", after: '[A-Za-z0-9-]|\\.[A-Za-z0-9]' }));
  if (renamed === s) return null;
  const mapAddress = (a: string): string => map.get(a.toLowerCase()) ?? a.toLowerCase();
  return { name: 'addresses', raw: toRaw(renamed), expect: 'same', mapAddress };
}

// ------------------------------------------------------------------------------------------------
// Host names and IP addresses
// ------------------------------------------------------------------------------------------------

/** A host name of three labels or more, not part of an address, a URL or a longer name. */
const HOST = /(?<![@\w.\/:-])((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.){2,}[A-Za-z]{2,})(?![\w@-]|\.[A-Za-z0-9])/g;

/** An IPv4 address where MTAs write one: in brackets or parentheses, or after "IP", "from", "host". */
const IPV4 = /(?<=\[|\(|=|\bIP:? |\baddress |\bfrom |\bhost |\bclient )(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])/g;

function hostVariant(s: string, input: VariantInput): Variant | null {
  const hosts = new Map<string, string>();
  const ips = new Map<string, string>();
  let n = 0;
  const rename = (t: string): string =>
    t
      .replace(HOST, (m) => {
        const key = m.toLowerCase();
        if (input.providerName(key)) return m;
        let v = hosts.get(key);
        if (v === undefined) {
          v = `smtp-${(++n).toString(36)}.relay${n % 3}.mailhost.test`;
          hosts.set(key, v);
        }
        return v;
      })
      .replace(IPV4, (m, a: string, b: string, c: string, d: string) => {
        if ([a, b, c, d].some((x) => Number(x) > 255)) return m;
        let v = ips.get(m);
        if (v === undefined) {
          v = `${ips.size % 2 === 0 ? '203.0.113' : '198.51.100'}.${(ips.size * 37 + 11) % 250 + 2}`;
          ips.set(m, v);
        }
        return v;
      });
  const renamed = everywhere(s, rename);
  if (renamed === s) return null;
  return { name: 'hosts', raw: toRaw(renamed), expect: 'same' };
}

// ------------------------------------------------------------------------------------------------
// Subject and banner of MTAs whose administrators write them
// ------------------------------------------------------------------------------------------------

/**
 * What an administrator can change in each configurable MTA's report, and a plausible rewrite.
 * Postfix: every text of bounce_template_file (subject, From's full name, the paragraphs, the
 * signature); Exim: bounce_message_file / warn_message_file (subject, the paragraphs before and
 * after the address list); qmail: the intro paragraph (patched qmail-send, or a front end).
 * Courier: its bounce templates. The address blocks each MTA writes stay as they are.
 */
const BANNERS: ReadonlyArray<{ mta: string; from: RegExp; to: string; where: 'subject' | 'from' | 'body' }> = [
  // Postfix (bounce_template_file)
  { mta: 'postfix', where: 'subject', from: /^Undelivered Mail Returned to Sender$/i, to: 'Your message to some recipients was returned' },
  { mta: 'postfix', where: 'subject', from: /^Delayed Mail \(still being retried\)$/i, to: 'Delivery of your message is taking longer than usual' },
  { mta: 'postfix', where: 'from', from: /\(Mail Delivery System\)/, to: '(Northwind Mail Service)' },
  { mta: 'postfix', where: 'from', from: /^Mail Delivery System </, to: 'Northwind Mail Service <' },
  { mta: 'postfix', where: 'body', from: /This is the (?:mail system|Postfix program) at host ([^\s.]+(?:\.[^\s.]+)*)\./, to: 'Automatic notice from the mail gateway $1.' },
  { mta: 'postfix', where: 'body', from: /I'm sorry to have to inform you that your message could not\s*\nbe delivered to one or more recipients\. It's attached below\./, to: 'We were unable to deliver your message to the recipients listed\nbelow. Your message is attached.' },
  { mta: 'postfix', where: 'body', from: /For further assistance, please send mail to postmaster\./, to: 'Questions? Write to our help desk.' },
  { mta: 'postfix', where: 'body', from: /\n( +)The mail system\n/, to: '\n$1-- Northwind IT\n' },
  // Exim (bounce_message_file, warn_message_file)
  { mta: 'exim', where: 'subject', from: /^Mail delivery failed: returning message to sender$/i, to: 'Returned: your message could not be delivered' },
  { mta: 'exim', where: 'subject', from: /^Warning: message (\S+) delayed (.*)$/i, to: 'Still trying to deliver message $1' },
  { mta: 'exim', where: 'body', from: /This message was created automatically by mail delivery software\./, to: 'This is an automatic report from the Northwind mail service.' },
  { mta: 'exim', where: 'body', from: /A message that you sent could not be delivered to one or more of its\s*\nrecipients\. This is a permanent error\./, to: 'Your message could not be delivered to some of its recipients and\nwe have stopped trying.' },
  // qmail (qmail-send's intro, as patched by distributions and front ends)
  { mta: 'qmail', where: 'body', from: /Hi\. This is the qmail-send program at ([^\s]+?)\.?\n/, to: 'Hello, this is the mail transfer agent at $1.\n' },
  { mta: 'qmail', where: 'body', from: /I'm afraid I wasn't able to deliver your message to the following addresses\.\s*\nThis is a permanent error; I've given up\. Sorry it didn't work out\./, to: 'Your message could not be delivered to the addresses below.\nDelivery will not be retried.' },
  // Courier (its templates)
  { mta: 'courier', where: 'subject', from: /^NOTICE: mail delivery status\.$/i, to: 'Delivery status report' },
  { mta: 'courier', where: 'body', from: /This is a delivery status notification from ([^\s,]+),\s*\nrunning the Courier mail server, version [^\s.]+(?:\.[^\s.]+)*\./, to: 'Delivery report from the mail server $1.' },
];

function bannerVariant(s: string): Variant | null {
  const subjectAndFrom = (head: string): string =>
    headerFields(head)
      .map(([name, text]) => {
        if (name !== 'subject' && name !== 'from') return text;
        const colon = text.indexOf(':');
        const value = text.slice(colon + 1).replace(/\n[ \t]+/g, ' ').trim();
        let changed = value;
        for (const b of BANNERS) if (b.where === name) changed = changed.replace(b.from, b.to);
        return changed === value ? text : text.slice(0, colon + 1) + ' ' + changed;
      })
      .join('\n');
  const out = rewriteEntity(s, (kind, t, info) => {
    if (kind === 'head') return info.depth === 0 ? subjectAndFrom(t) : t;
    let body = t;
    for (const b of BANNERS) if (b.where === 'body') body = body.replace(b.from, b.to);
    return body;
  });
  if (out === s) return null;
  return { name: 'banner', raw: toRaw(out), expect: 'same' };
}

/**
 * Any bounce under another subject: detection must not hang on a subject line. (Not for
 * auto-replies, whose subject is often all they have, nor complaints and non-bounces.)
 */
function subjectVariant(s: string, input: VariantInput): Variant | null {
  if (input.type !== 'bounce' && input.type !== 'delayed') return null;
  const { head, body, hasBody } = splitEntity(s);
  const fields = headerFields(head);
  if (!fields.some(([name]) => name === 'subject')) return null;
  const newHead = fields.map(([name, text]) => (name === 'subject' ? 'Subject: Delivery report' : text)).join('\n');
  return { name: 'subject', raw: toRaw(hasBody ? newHead + '\n\n' + body : newHead), expect: 'same' };
}

// ------------------------------------------------------------------------------------------------
// Folding, unfolding, reordering, line endings
// ------------------------------------------------------------------------------------------------

/** Fold header-like lines (field: value) longer than `width` at spaces, continuation with a tab. */
function foldFields(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.length <= width || !/^[A-Za-z][A-Za-z0-9-]*:[ \t]/.test(line)) return line;
      const out: string[] = [];
      let rest = line;
      while (rest.length > width) {
        const cut = rest.lastIndexOf(' ', width);
        if (cut <= rest.indexOf(':') + 1) break;
        out.push(rest.slice(0, cut));
        rest = '\t' + rest.slice(cut + 1);
      }
      out.push(rest);
      return out.join('\n');
    })
    .join('\n');
}

/** Unfold continuation lines of header-like fields. */
function unfoldFields(text: string): string {
  return text.replace(/^([A-Za-z][A-Za-z0-9-]*:[^\n]*)((?:\n[ \t]+[^\n]*)+)/gm, (_m, first: string, cont: string) => first + cont.replace(/\n[ \t]+/g, ' '));
}

const DSN_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);

/** Wrap long lines of a text part the way an MTA folds a long reply: continuation indented deeper. */
function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.length <= width) return line;
      const indent = /^[ \t]*/.exec(line)![0];
      const cont = indent + '    ';
      const out: string[] = [];
      let rest = line;
      while (rest.length > width) {
        const cut = rest.lastIndexOf(' ', width);
        if (cut <= indent.length + 8) break;
        out.push(rest.slice(0, cut));
        rest = cont + rest.slice(cut + 1).replace(/^ +/, '');
      }
      out.push(rest);
      return out.join('\n');
    })
    .join('\n');
}

function wrappedVariant(s: string): Variant | null {
  const out = rewriteEntity(s, (kind, t, info: EntityInfo) => {
    if (kind === 'head') return foldFields(t, 48);
    if (DSN_TYPES.has(info.type)) return foldFields(t, 48);
    if (info.type === 'text/plain') return wrapText(t, 78);
    return t;
  });
  return out === s ? null : { name: 'wrapped', raw: toRaw(out), expect: 'same' };
}

function unwrappedVariant(s: string): Variant | null {
  const out = rewriteEntity(s, (kind, t, info: EntityInfo) => {
    if (kind === 'head') return unfoldFields(t);
    if (DSN_TYPES.has(info.type)) return unfoldFields(t);
    return t;
  });
  return out === s ? null : { name: 'unwrapped', raw: toRaw(out), expect: 'same' };
}

/** The top-level fields grouped by name and the groups reversed (fields of one name keep their order). */
function reorderedVariant(s: string): Variant | null {
  const { head: whole, body, hasBody } = splitEntity(s);
  // An mbox "From " line stays first: it is not a header field.
  const envelope = /^From [^\n]*\n/.exec(whole)?.[0] ?? '';
  const head = whole.slice(envelope.length);
  const groups = new Map<string, string[]>();
  for (const [name, text] of headerFields(head)) {
    const g = groups.get(name);
    if (g) g.push(text);
    else groups.set(name, [text]);
  }
  const newHead = envelope + [...groups.values()].reverse().flat().join('\n');
  const out = hasBody ? newHead + '\n\n' + body : newHead;
  return out === s ? null : { name: 'headers-reordered', raw: toRaw(out), expect: 'same' };
}

// ------------------------------------------------------------------------------------------------
// Containers: mbox, forwarded by a person
// ------------------------------------------------------------------------------------------------

function mboxVariant(s: string): Variant {
  const quoted = s.replace(/^(>*From )/gm, '>$1');
  const next = [
    'From: Alice Person <alice@people.test>',
    'To: bob@people.test',
    'Subject: lunch',
    'Date: Mon, 3 Mar 2025 10:13:00 +0000',
    '',
    'From the looks of it, Thursday works.',
    '',
  ].join('\n');
  const mbox = `From MAILER-DAEMON Mon Mar  3 10:12:40 2025\n${quoted}${quoted.endsWith('\n') ? '' : '\n'}\nFrom alice@people.test Mon Mar  3 10:13:00 2025\n${next}\n`;
  return { name: 'mbox', raw: toRaw(mbox), expect: 'same', mbox: true };
}

const PERSON_HEAD = [
  'Return-Path: <alice.person@people.test>',
  'Received: from [192.0.2.77] (helo=laptop) by mx.people.test with esmtpsa; Mon, 3 Mar 2025 11:00:00 +0000',
  'From: Alice Person <alice.person@people.test>',
  'To: Help Desk <helpdesk@people.test>',
  'Date: Mon, 3 Mar 2025 11:00:00 +0000',
  'Message-ID: <fwd-1@laptop.people.test>',
  'MIME-Version: 1.0',
];

function originalSubject(s: string): string {
  return (headerValue(splitEntity(s).head, 'subject') ?? '').slice(0, 200);
}

function forwardedAttachmentVariant(s: string): Variant {
  const b = 'fwd-boundary-7Qm2';
  const out = [
    ...PERSON_HEAD,
    `Subject: Fwd: ${originalSubject(s)}`,
    `Content-Type: multipart/mixed; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Hi, I got the message below after writing to a customer. Can you tell me what it means?',
    '',
    'Alice',
    '',
    `--${b}`,
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment; filename="forwarded.eml"',
    '',
    s.endsWith('\n') ? s.slice(0, -1) : s,
    `--${b}--`,
    '',
  ].join('\n');
  return { name: 'forwarded-attachment', raw: toRaw(out), expect: 'not-bounce' };
}

/** Forwarded inline the way Apple Mail and Thunderbird quote: the original's headers and body after a line. */
function forwardedInlineVariant(s: string): Variant | null {
  const { head, body } = splitEntity(s);
  const h = (n: string): string => headerValue(head, n) ?? '';
  // Only the text of a single-part message can be quoted inline faithfully.
  if (/^multipart\//i.test(h('content-type')) || /base64|quoted-printable/i.test(h('content-transfer-encoding'))) return null;
  const charset = /charset="?([^";\s]+)/i.exec(h('content-type'))?.[1] ?? 'us-ascii';
  const out = [
    ...PERSON_HEAD,
    `Subject: Fwd: ${originalSubject(s)}`,
    `Content-Type: text/plain; charset=${charset}`,
    '',
    'See below - did my message get through?',
    '',
    'Begin forwarded message:',
    '',
    `> From: ${h('from')}`,
    `> Subject: ${h('subject')}`,
    `> Date: ${h('date')}`,
    `> To: ${h('to')}`,
    '>',
    ...body.split('\n').map((l) => (l === '' ? '>' : '> ' + l)),
    '',
  ].join('\n');
  return { name: 'forwarded-inline', raw: toRaw(out), expect: 'not-bounce' };
}

// ------------------------------------------------------------------------------------------------

/** All variants of one message. */
export function makeVariants(input: VariantInput): Variant[] {
  const s = toText(input.raw);
  const out: Array<Variant | null> = [
    addressVariant(s, input),
    hostVariant(s, input),
    bannerVariant(s),
    subjectVariant(s, input),
    wrappedVariant(s),
    unwrappedVariant(s),
    reorderedVariant(s),
    { name: 'lf', raw: toRaw(s), expect: 'same' },
    { name: 'crlf', raw: toRaw(s.replace(/\n/g, '\r\n')), expect: 'same' },
    // CR-only line endings come only from files (SMTP and IMAP deliver CRLF): read as a file.
    { name: 'cr', raw: toRaw(s.replace(/\n/g, '\r')), expect: 'same', file: true },
    mboxVariant(s),
    forwardedAttachmentVariant(s),
    forwardedInlineVariant(s),
  ];
  return out.filter((v): v is Variant => v !== null);
}
