/** Metamorphic suite, part 2: samples/real-mta/sendmail (real sendmail DSNs, see docs/CORPUS.md). */
import { resolve } from 'node:path';
import { metamorphicSuite, REPO } from './suite.js';

metamorphicSuite('samples/real-mta/sendmail', resolve(REPO, 'samples/real-mta/sendmail'), 100);
