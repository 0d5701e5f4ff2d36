/**
 * barracuda: Barracuda bounces are RFC 3464 reports that rfc3464 reads in full, so there is no decoder of
 * its own; this checks the labelled corpus samples of the format through the whole decode stage
 * (skipped when ../shared is absent).
 */
import { corpusSuite } from './group-a.js';

corpusSuite('barracuda');
