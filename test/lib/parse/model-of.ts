import type {IptablesDump} from '../../../src/lib/parse/index.js'

const POSITION_KEYS = new Set(['line', 'raw', 'commitLine'])

/**
 * The model without source positions (line numbers, raw text), and issues reduced to their codes:
 * what parse → print → parse must keep.
 */
export function modelOf(dump: IptablesDump): unknown {
  const json = JSON.stringify({...dump, issues: dump.issues.map((i) => i.code)}, (key, value) => (POSITION_KEYS.has(key) ? undefined : value))
  return JSON.parse(json)
}
