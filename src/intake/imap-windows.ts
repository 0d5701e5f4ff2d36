/**
 * intake/imap-windows - which messages a pass fetches: the UIDs above the folder's cursor, found by
 * UID SEARCH a window of UID values at a time (it widens where UIDs are sparse, so a folder of a
 * million messages is never listed at once), cut into batches bounded by count and by
 * RFC822.SIZE total (a batch's raw bytes are held in memory).
 */
import type { ImapFlow } from 'imapflow';

/** Most bytes of raw messages held in memory per batch. */
const BATCH_BYTES = 16 * 1024 * 1024;

/** "1:3,7,9:10" for [1,2,3,7,9,10]: short command lines even for big batches (RFC 3501 sequence-set). */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** UIDs looked at per UID SEARCH at first (a window of UID values; it widens where UIDs are sparse). */
export const UID_WINDOW = 4096;

export async function* noWindows(): AsyncGenerator<number[]> {}

/**
 * The messages of the selected folder with a UID above `lastUid`: how many, and their UIDs in
 * ascending windows. With ESEARCH (RFC 4731: Dovecot, Cyrus, IMAP4rev2) the count is one
 * `UID SEARCH RETURN (COUNT MIN)` and the UIDs come from searches over successive ranges of UID
 * values up to UIDNEXT, each answering at most one window - memory stays flat however big the
 * folder. A server without ESEARCH answers the count with the whole list; its windows are then cut
 * from that list.
 */
export async function newMessages(client: ImapFlow, lastUid: number, uidNext: number, window: number): Promise<{ count: number; windows: AsyncGenerator<number[]> }> {
  const r = await client.search({ uid: `${lastUid + 1}:*` }, { uid: true, returnOptions: ['COUNT', 'MIN'] });
  if (r === false || r === undefined) throw new Error('UID SEARCH was refused');
  if (Array.isArray(r)) {
    // "n:*" always matches the highest UID, even below n: filter.
    const all = r.filter((u) => u > lastUid).sort((a, b) => a - b);
    return {
      count: all.length,
      windows: (async function* () {
        for (let i = 0; i < all.length; i += window) yield all.slice(i, i + window);
      })(),
    };
  }
  // The same "n:*" rule: when nothing is above lastUid the highest UID (<= lastUid) was counted.
  const count = Math.max(0, (r.count ?? 0) - (r.min !== undefined && r.min <= lastUid ? 1 : 0));
  const end = uidNext > 0 ? uidNext - 1 : Number.MAX_SAFE_INTEGER;
  return {
    count,
    windows: (async function* () {
      let from = Math.max(lastUid + 1, r.min ?? 0);
      let width = window;
      let seen = 0;
      while (seen < count && from <= end) {
        // Past the last assigned UID: "n:*" (new mail since SELECT is left for the next pass).
        const to = from + width - 1;
        const range = to >= end ? `${from}:*` : `${from}:${to}`;
        const found = await client.search({ uid: range }, { uid: true });
        if (found === false || found === undefined) throw new Error('UID SEARCH was refused');
        const upTo = to >= end ? end : to;
        const uids = found.filter((u) => u >= from && u <= upTo).sort((a, b) => a - b);
        if (uids.length > 0) {
          seen += uids.length;
          yield uids;
        }
        from = upTo + 1;
        // Sparse UIDs (a folder whose older messages were moved away): wider windows.
        if (uids.length < width / 8) width = Math.min(width * 4, 1 << 26);
        else if (uids.length > 2 * window) width = Math.max(window, Math.floor(width / 2));
      }
    })(),
  };
}

/** The batches of at most `want` messages taken from the windows, each window's sizes asked once. */
export async function* batchesOf(
  client: ImapFlow,
  windows: AsyncGenerator<number[]>,
  want: number,
  maxCount: number,
  doing: (what: string) => void,
): AsyncGenerator<number[]> {
  let left = want;
  while (left > 0) {
    doing('search');
    const w = await windows.next();
    if (w.done) return;
    const todo = w.value.slice(0, left);
    left -= todo.length;
    doing('read message sizes');
    for (const b of await planBatches(client, todo, maxCount)) yield b;
  }
}

/** Split UIDs (ascending) into batches bounded by count and by RFC822.SIZE total. */
async function planBatches(client: ImapFlow, todo: number[], maxCount: number): Promise<number[][]> {
  const sizes = new Map<number, number>();
  // One FETCH over the span (not the list: a list of 10,000 UIDs would exceed line limits).
  for await (const m of client.fetch(`${todo[0]}:${todo[todo.length - 1]}`, { uid: true, size: true }, { uid: true }))
    sizes.set(m.uid, m.size ?? 0);
  const out: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  for (const uid of todo) {
    const size = sizes.get(uid) ?? 0;
    if (cur.length > 0 && (cur.length >= maxCount || bytes + size > BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(uid);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
