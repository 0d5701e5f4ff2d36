/**
 * samples/generate - make the sample bounces with real MTAs on loopback (as root). Two sets:
 *
 *   npm run samples:generate -- walkthrough
 *       the README walkthrough DSNs in samples/postfix/ (one private Postfix, five replies;
 *       samples/walkthrough/generate-postfix.ts). Their expected `rebound parse --json` output is
 *       reviewed by hand before committing.
 *
 *   npm run samples:generate -- real-mta [--mta postfix,exim,opensmtpd,sendmail]
 *                                        [--lifetime 60] [--warn 20] [--serial]
 *       the real-MTA corpus in samples/real-mta/<mta>/ (see docs/CORPUS.md): every row of
 *       samples/real-mta/catalog.tsv replied by a scripted remote MX to real Postfix, Exim,
 *       OpenSMTPD and Sendmail binaries; the DSNs they write are kept as fixtures with a manifest.
 *       Exim, OpenSMTPD and Sendmail come from `apt-get download` + `dpkg -x` into
 *       ~/.cache/rebound-mta (they conflict with the installed Postfix as Debian packages).
 *       The MTAs run in parallel unless --serial.
 */
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mta: { type: 'string', default: 'postfix,exim,opensmtpd,sendmail' },
    lifetime: { type: 'string', default: '60' },
    warn: { type: 'string', default: '20' },
    serial: { type: 'boolean', default: false },
  },
});
const mode = positionals[0] ?? 'real-mta';

if (mode === 'walkthrough') {
  await import('./walkthrough/generate-postfix.js');
} else if (mode === 'real-mta') {
  const { generateFor } = await import('./real-mta/generate.js');
  const { drivers } = await import('./real-mta/mtas/index.js');
  const times = { lifetime: Number(values.lifetime), warn: Number(values.warn) };
  const wanted = values.mta.split(',').map((s) => s.trim()).filter(Boolean);
  const chosen = wanted.map((name) => {
    const d = drivers.find((x) => x.name === name);
    if (!d) throw new Error(`unknown MTA ${name}; known: ${drivers.map((x) => x.name).join(', ')}`);
    return d;
  });
  const started = Date.now();
  const runnable = chosen.filter((d) => {
    const why = d.missing();
    if (why) console.error(`${d.name}: cannot run here: ${why}`);
    return !why;
  });
  const results = values.serial
    ? await runnable.reduce<Promise<unknown[]>>(async (acc, d) => [...(await acc), await generateFor(d, times)], Promise.resolve([]))
    : await Promise.allSettled(runnable.map((d) => generateFor(d, times)));
  for (const [i, r] of results.entries()) {
    const s = r as PromiseSettledResult<unknown>;
    if (s && s.status === 'rejected') console.error(`${runnable[i]!.name}: failed: ${(s.reason as Error)?.stack ?? s.reason}`);
  }
  console.log(`real-mta corpus: ${runnable.map((d) => d.name).join(', ')} in ${Math.round((Date.now() - started) / 1000)} s`);
  // Pooled SMTP sockets or a stray timer must not keep the generator alive.
  process.exit(0);
} else {
  console.error(`unknown mode ${mode}: walkthrough | real-mta`);
  process.exit(2);
}
