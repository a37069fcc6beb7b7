/**
 * Undo actions (deleting debug pods) that must run when kpx finishes, fails, or is
 * interrupted. The library registers them; the command layer owns the process: it calls
 * `installSignalCleanup(registry, onDone)` so SIGINT/SIGTERM run every cleanup before exiting
 * (src/lib never calls process.exit, so the exit itself is the caller's `onDone`).
 */
export type CleanupAction = () => Promise<void>

export class CleanupRegistry {
  private readonly actions = new Map<number, {label: string; action: CleanupAction}>()
  private nextId = 0
  private running: Promise<string[]> | undefined

  /** True once runAll() has started: code that creates resources must undo them at once. */
  get closing(): boolean {
    return this.running !== undefined
  }

  /** Registers an action; returns a function that unregisters it (after a normal cleanup). */
  add(label: string, action: CleanupAction): () => void {
    const id = this.nextId++
    this.actions.set(id, {label, action})
    return () => this.actions.delete(id)
  }

  get size(): number {
    return this.actions.size
  }

  /**
   * Runs every registered action concurrently, once; returns the failures as messages (a
   * cleanup failing must not hide the other cleanups or the original error).
   */
  runAll(): Promise<string[]> {
    this.running ??= (async () => {
      const pending = [...this.actions.values()]
      this.actions.clear()
      const results = await Promise.allSettled(pending.map((p) => p.action()))
      return results.flatMap((r, i) => (r.status === 'rejected' ? [`${pending[i].label}: ${(r.reason as Error)?.message ?? r.reason}`] : []))
    })()
    return this.running
  }
}

/** Runs `body` with a fresh registry and always runs the registered cleanups afterwards. */
export async function withCleanup<T>(body: (registry: CleanupRegistry) => Promise<T>, registry = new CleanupRegistry()): Promise<T> {
  try {
    return await body(registry)
  } finally {
    await registry.runAll()
  }
}

export type Signal = 'SIGINT' | 'SIGTERM'

/**
 * On SIGINT/SIGTERM: run the registry's cleanups, then call `onDone(signal, failures)` (the
 * command exits there, conventionally with 128 + signal number). Returns an uninstaller.
 * Handlers are `once`: a second Ctrl-C during a slow cleanup gets Node's default (exit now).
 */
export function installSignalCleanup(
  registry: CleanupRegistry,
  onDone: (signal: Signal, failures: string[]) => void,
  target: Pick<NodeJS.Process, 'once' | 'removeListener'> = process,
): () => void {
  const handlers = new Map<Signal, () => void>()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const handler = () => {
      void registry.runAll().then((failures) => onDone(signal, failures))
    }
    handlers.set(signal, handler)
    target.once(signal, handler)
  }
  return () => {
    for (const [signal, handler] of handlers) target.removeListener(signal, handler)
  }
}
