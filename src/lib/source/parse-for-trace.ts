import type {IptablesDump} from '../parse/types.js'
import type {NodeCapture} from '../snapshot/types.js'
import {parseNodeRules, parseNodeRules6} from './parse-node.js'

/** The parse callback the tracer and checks take: strict (errors abort), undefined when absent. */
export function parseFamily(node: NodeCapture, family: 4 | 6, table?: string): IptablesDump | undefined {
  if (family === 6) return parseNodeRules6(node, {table})
  return node.iptables ? parseNodeRules(node, {table}) : undefined
}
