/**
 * store/bound - how openStore (SQLite) and openPgStore put one store together from its modules:
 * each module is a class over the backend's context, and the store is their methods side by side.
 */

/** Every method of `o` (own and inherited, up to Object), bound to it, as own properties. */
export function bound<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (let p = Object.getPrototypeOf(o) as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor' || k in out) continue;
      const v = (o as Record<string, unknown>)[k];
      if (typeof v === 'function') out[k] = (v as (...a: unknown[]) => unknown).bind(o);
    }
  }
  return out as T;
}
