/** Wait until `ok()` holds, polling every 50 ms; throws naming `what` after `ms`. Resolves to the time waited. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

/** A small Postfix-style free-text bounce for user<i>@example.com, with `extra` text after its reason line. */
export function numberedBounce(i: number, extra = ''): string {
  return [
    'From: MAILER-DAEMON@mx.example.org',
    'To: bounces@bounces.test',
    `Subject: Undelivered Mail Returned to Sender ${i}`,
    'Content-Type: text/plain',
    '',
    `<user${i}@example.com>: host mx.example.com said: 550 5.1.1 user unknown`,
    extra,
    '',
  ].join('\r\n');
}
