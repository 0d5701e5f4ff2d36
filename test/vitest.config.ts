import { defineConfig } from 'vitest/config';

// Integration tests start real servers (Postfix, Dovecot, the daemon); keep them
// from running all at once on a 2-core machine.
export default defineConfig({
  root: new URL('..', import.meta.url).pathname,
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // In-process daemons log to $TMPDIR/rebound-vitest.log, not into the report.
    setupFiles: ['test/support/log-to-file.ts', 'test/support/fast-check-seed.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
  },
});
