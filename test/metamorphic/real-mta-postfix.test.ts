/** Metamorphic suite, part 2: samples/real-mta/postfix (real postfix DSNs, see docs/CORPUS.md). */
import { resolve } from 'node:path';
import { metamorphicSuite, REPO } from './suite.js';

metamorphicSuite('samples/real-mta/postfix', resolve(REPO, 'samples/real-mta/postfix'), 100);
