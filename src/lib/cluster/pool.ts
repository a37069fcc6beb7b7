/**
 * Runs `work` over `items` with at most `limit` in flight, keeping the input order in the
 * result. Workers pull the next index, so one slow node does not hold back a whole batch.
 */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index], index)
    }
  }
  const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length))
  await Promise.all(Array.from({length: workers}, worker))
  return results
}
