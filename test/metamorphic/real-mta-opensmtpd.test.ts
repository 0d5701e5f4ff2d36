/** Metamorphic suite, part 2: samples/real-mta/opensmtpd (real opensmtpd DSNs, see docs/CORPUS.md). */
import { resolve } from 'node:path';
import { metamorphicSuite, REPO } from './suite.js';

metamorphicSuite('samples/real-mta/opensmtpd', resolve(REPO, 'samples/real-mta/opensmtpd'), 100);
