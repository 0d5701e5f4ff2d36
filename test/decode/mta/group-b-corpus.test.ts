/**
 * Group-B formats that are plain RFC 3464 DSNs read by rfc3464.ts (SendGrid, Yandex, Amazon SES
 * receiving), and bounces written by other MTAs about rejections from big providers (rhost-*):
 * every recipient must be found, in report order, with the status the labels give.
 * Skipped when ../shared/sisimai is absent.
 */
import { describe, it } from 'vitest';
import { checkCorpus, corpusCases, corpusPresent } from './group-b.js';

const prefixes = ['lhost-sendgrid-', 'lhost-yandex-', 'rhost-'];

describe.skipIf(!corpusPresent)('group-B corpus: DSN-only formats and rhost samples (needs ../shared/sisimai; absent here)', () => {
  it.each(prefixes.flatMap((p) => corpusCases(p)))('%s', (file, entries) => checkCorpus(file, entries));
});
