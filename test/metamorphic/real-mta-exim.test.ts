/** Metamorphic suite, part 2: samples/real-mta/exim (real exim DSNs, see docs/CORPUS.md). */
import { resolve } from 'node:path';
import { metamorphicSuite, REPO } from './suite.js';

metamorphicSuite('samples/real-mta/exim', resolve(REPO, 'samples/real-mta/exim'), 100);
