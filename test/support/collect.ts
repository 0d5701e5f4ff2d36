/** support/collect - an AsyncIterable read into an array (Array.fromAsync is Node 22). */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
