import {NotFoundError} from '../errors.js'
import {closeNames} from '../suggest.js'
import type {NodeCapture, Snapshot} from './types.js'

/**
 * The nodes the user asked for (all when none). An unknown name is "not found" (exit 5), with
 * the closest known names as suggestions.
 */
export function selectNodes(snapshot: Snapshot, names: string[] | undefined): NodeCapture[] {
  if (!names || names.length === 0) return snapshot.nodes
  const byName = new Map(snapshot.nodes.map((n) => [n.name, n]))
  const unknown = names.filter((n) => !byName.has(n))
  if (unknown.length > 0) {
    const known = [...byName.keys()]
    const close = unknown.flatMap((n) => closeNames(n, known))
    throw new NotFoundError(`node ${unknown.join(', ')} is not in ${snapshot.origin}`, [`--node ${(close.length > 0 ? close : known).join(' or --node ')}`], 'node-not-found')
  }
  return names.map((n) => byName.get(n)!)
}
