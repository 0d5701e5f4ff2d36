/**
 * net - a free loopback TCP port for a test or bench server (plain JavaScript so that bench/*.mjs
 * and the TypeScript tests share it; types in net.d.mts).
 */
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}
