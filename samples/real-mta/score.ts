/**
 * score - print the real-MTA corpus figures and the misses (`npm run score:real-mta`, optional
 * `-- --misses N` to list more, `-- --mta exim` to list one MTA's misses). The strict version of
 * the same check is test/real-mta-corpus.test.ts.
 */
import { parseArgs } from 'node:util';
import { formatScore, scoreCorpus } from '../../test/support/corpus-score.js';

const { values } = parseArgs({ options: { misses: { type: 'string', default: '40' }, mta: { type: 'string' } } });
const s = await scoreCorpus();
console.log(formatScore(s));
const misses = s.recipients.filter((r) => (r.got !== r.expect || r.goodMarkedInvalid || r.fpFlagMissing) && (!values.mta || r.mta === values.mta));
console.log(`\nmisses: ${misses.length}`);
for (const r of misses.slice(0, Number(values.misses))) {
  const flags = [r.goodMarkedInvalid ? 'GOOD-MARKED-INVALID' : '', r.fpFlagMissing ? 'NO-FP-FLAG' : ''].filter(Boolean).join(' ');
  console.log(`${r.mta}/${r.file} ${r.address} row=${r.row} expect=${r.expect} got=${r.got} reason=${r.reason} ${flags}\n    ${r.diagnostic.slice(0, 160)}`);
}
for (const u of s.unexpected.slice(0, 10)) console.log(`unexpected recipient ${u.address} in ${u.mta}/${u.file}`);
