/**
 * catalog - the reply catalog of the real-MTA corpus (samples/real-mta/catalog.tsv): one remote-MX
 * reply per row, with where its wording is documented and what it means for the address.
 * Read by the generator (to script the remote MX) and by the corpus score (to know what each
 * recipient should come out as). Plain data, no I/O beyond reading the file.
 */
import { readFileSync } from 'node:fs';

/** What a reply tells a sender. 'auth' = authentication or sender policy (SPF, DKIM, DMARC, PTR,
 *  HELO, sender domain): about the sender, never about the address. */
export type Meaning = 'invalid' | 'spam' | 'auth' | 'full' | 'soft' | 'relay';
export type Stage = 'mail' | 'rcpt' | 'data';

export interface CatalogRow {
  id: string;
  meaning: Meaning;
  /** What the reply says about the recipient address: bad (does not exist), good (exists; the
   *  rejection is about something else), unknown (the reply cannot tell). */
  address: 'bad' | 'good' | 'unknown';
  stage: Stage;
  domain: string;
  code: number;
  /** Reply text after the code, placeholders unfilled; lines of a multi-line reply joined by '\n'. */
  reply: string;
  source: string;
  note: string;
}

const MEANINGS = new Set<Meaning>(['invalid', 'spam', 'auth', 'full', 'soft', 'relay']);
const STAGES = new Set<Stage>(['mail', 'rcpt', 'data']);

export const CATALOG_PATH = new URL('./catalog.tsv', import.meta.url).pathname;

/** Parse catalog.tsv; throws naming the line on a malformed row. */
export function loadCatalog(path = CATALOG_PATH): CatalogRow[] {
  const rows: CatalogRow[] = [];
  const seen = new Set<string>();
  const lines = readFileSync(path, 'utf8').split('\n');
  let header = true;
  lines.forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    if (header) {
      header = false;
      return;
    }
    const f = line.split('\t');
    const where = `${path}:${i + 1}`;
    if (f.length !== 9) throw new Error(`${where}: ${f.length} columns, want 9`);
    const [id, meaning, address, stage, domain, code, reply, source, note] = f as [string, string, string, string, string, string, string, string, string];
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(id)) throw new Error(`${where}: bad id ${id}`);
    if (seen.has(id)) throw new Error(`${where}: duplicate id ${id}`);
    seen.add(id);
    if (!MEANINGS.has(meaning as Meaning)) throw new Error(`${where}: bad meaning ${meaning}`);
    if (!STAGES.has(stage as Stage)) throw new Error(`${where}: bad stage ${stage}`);
    if (!['bad', 'good', 'unknown'].includes(address)) throw new Error(`${where}: bad address ${address}`);
    if (!/^[45]\d\d$/.test(code)) throw new Error(`${where}: bad code ${code}`);
    if (!source.trim()) throw new Error(`${where}: no source`);
    if (meaning === 'invalid' && (address !== 'bad' || code.startsWith('4')))
      throw new Error(`${where}: an invalid row must be a 5xx about a bad address`);
    rows.push({ id, meaning: meaning as Meaning, address: address as CatalogRow['address'], stage: stage as Stage, domain, code: Number(code), reply, source, note });
  });
  return rows;
}

/** Values for the placeholders of one reply. */
export interface ReplyVars {
  rcpt: string;
  sender: string;
  /** Deterministic token standing in for a provider's session or queue id. */
  qid: string;
}

/** The client IP the remote claims to see (TEST-NET-1, RFC 5737): our loopback address would
 *  not look like a real rejection. */
export const CLAIMED_CLIENT_IP = '192.0.2.25';

/** The domain in the From: header of the messages we send (what DMARC replies name). */
export const AUTHOR_DOMAIN = 'example.org';

/** The lines of the reply, placeholders filled (without the reply code). */
export function replyLines(row: CatalogRow, v: ReplyVars): string[] {
  const [local = '', rdomain = ''] = v.rcpt.split('@');
  const values: Record<string, string> = {
    rcpt: v.rcpt,
    local,
    rdomain,
    sender: v.sender,
    sdomain: AUTHOR_DOMAIN,
    ip: CLAIMED_CLIENT_IP,
    mx: `mx1.${row.domain}`,
    qid: v.qid,
    score: '14.2',
  };
  return row.reply.split('\\n').map((line) =>
    line.replace(/\{([a-z]+)\}/g, (m, k: string) => {
      const val = values[k];
      if (val === undefined) throw new Error(`catalog row ${row.id}: unknown placeholder ${m}`);
      return val;
    }),
  );
}
