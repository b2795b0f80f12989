/** Runs `body` for seeds 1..count and collects its results. */
export async function overSeeds<T>(count: number, body: (seed: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let seed = 1; seed <= count; seed++) results.push(await body(seed));
  return results;
}
