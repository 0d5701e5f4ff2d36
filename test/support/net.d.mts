/** Types of net.mjs (plain JavaScript, shared with bench/*.mjs). */
export function freePort(): Promise<number>;
