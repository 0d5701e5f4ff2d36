// The resolve hook of slow-analysis.mjs: dist/pipeline/analyze-worker.js -> slow-analyze-worker.mjs.
const SLOW = new URL('./slow-analyze-worker.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  return r.url.endsWith('/dist/pipeline/analyze-worker.js') ? { ...r, url: SLOW } : r;
}
