// Running async work with a concurrency limit (tuning.parallelism for clusters, a small pool for
// the objects of one cluster). Results keep the input order. Each item's function is expected to
// catch its own errors; one that throws stops the pool: no new item starts, the calls in flight
// finish, and then the first error is thrown — so nothing goes on running after the caller has
// moved on (an apply still being sent after its cluster's pass was reported would be unrecorded).

/** Maps `items` through `fn` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw (failure as { error: unknown }).error;
  return results;
}
