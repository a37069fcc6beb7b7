/**
 * Match extensions as `iptables -L -n` prints them, turned back into the options iptables-save
 * prints for the same rule. Each recogniser knows one module's listing format (libxtables'
 * `print` hook) and the order of its `save` hook; both were checked against iptables 1.8.9
 * (nft and legacy) by loading rules into a network namespace and comparing `-L` with `-save`.
 */
import type {Match, Option} from './types.js'
import {opt, splitBang, TokenCursor} from './iptables-list-tokens.js'

type Recogniser = (cur: TokenCursor, negated: boolean) => Match | undefined

const PORT_MODULES = new Set(['tcp', 'udp', 'sctp', 'udplite', 'dccp'])

/** TCP flag bits in the order iptables-save names them. */
const TCP_FLAGS: [string, number][] = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
]

function tcpFlagNames(text: string): string {
  if (!/^0x[0-9a-f]+$/i.test(text)) return text // non-numeric listing already names them
  const bits = Number.parseInt(text, 16)
  const names = TCP_FLAGS.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name)
  return names.length > 0 ? names.join(',') : 'NONE'
}

/** `tcp spts:1000:2000 dpt:!80 flags:0x17/0x02 option=!5` (the module name itself already read). */
function portOptions(cur: TokenCursor): Option[] {
  const options: Option[] = []
  for (let word = cur.peek(); word !== undefined; word = cur.peek()) {
    const port = /^(s|d)pts?:(.*)$/.exec(word)
    const flags = /^flags:(.*)$/.exec(word)
    const option = /^option=(.*)$/.exec(word)
    if (port) {
      const {negated, value} = splitBang(port[2])
      options.push(opt(port[1] === 's' ? '--sport' : '--dport', [value], negated))
    } else if (flags) {
      const {negated, value} = splitBang(flags[1])
      const [mask, comp] = value.split('/')
      options.push(opt('--tcp-flags', [tcpFlagNames(mask), tcpFlagNames(comp ?? '')], negated))
    } else if (option) {
      const {negated, value} = splitBang(option[1])
      options.push(opt('--tcp-option', [value], negated))
    } else break
    cur.pos++
  }
  return options
}

const portsMatch: Recogniser = (cur) => {
  const module = cur.peek()
  if (module === undefined || !PORT_MODULES.has(module)) return undefined
  cur.pos++
  return {module, options: portOptions(cur)}
}

/** `multiport dports 80,443:445`, negated `multiport sports  !80,443`. */
const multiportMatch: Recogniser = (cur) => {
  const kind = cur.peek(1)
  if (cur.peek() !== 'multiport' || !['dports', 'sports', 'ports'].includes(kind ?? '')) return undefined
  cur.pos += 2
  const bang = cur.bang()
  const {negated, value} = splitBang(cur.next() ?? '')
  return {module: 'multiport', options: [opt(`--${kind}`, [value], bang || negated)]}
}

/** `statistic mode random ! probability 0.25` / `statistic mode nth ! every 3 packet 2`. */
const statisticMatch: Recogniser = (cur) => {
  if (cur.peek() !== 'statistic' || cur.peek(1) !== 'mode') return undefined
  cur.pos += 2
  const mode = cur.next() ?? ''
  const options = [opt('--mode', [mode])]
  const negated = cur.bang()
  if (mode === 'random' && cur.peek() === 'probability') {
    cur.pos++
    options.push(opt('--probability', [cur.next() ?? ''], negated))
  } else if (mode === 'nth' && cur.peek() === 'every') {
    cur.pos++
    options.push(opt('--every', [cur.next() ?? ''], negated))
    // The listing leaves out `packet 0`; iptables-save always prints it.
    let packet = '0'
    if (cur.peek() === 'packet') {
      cur.pos++
      packet = cur.next() ?? '0'
    }
    options.push(opt('--packet', [packet]))
  }
  return {module: 'statistic', options}
}

/** `mark match ! 0x4000/0x4000`. */
const markMatch: Recogniser = (cur) => {
  if (cur.peek() !== 'mark' || cur.peek(1) !== 'match') return undefined
  cur.pos += 2
  const negated = cur.bang()
  return {module: 'mark', options: [opt('--mark', [cur.next() ?? ''], negated)]}
}

/** `ADDRTYPE match src-type !UNICAST,LOCAL dst-type LOCAL limit-in`. */
const addrtypeMatch: Recogniser = (cur) => {
  if (cur.peek() !== 'ADDRTYPE' || cur.peek(1) !== 'match') return undefined
  cur.pos += 2
  const options: Option[] = []
  for (let word = cur.peek(); word !== undefined; word = cur.peek()) {
    if (word === 'src-type' || word === 'dst-type') {
      cur.pos++
      const bang = cur.bang()
      const {negated, value} = splitBang(cur.next() ?? '')
      options.push(opt(`--${word}`, [value], bang || negated))
    } else if (word === 'limit-in' || word === 'limit-out') {
      cur.pos++
      options.push(opt(word === 'limit-in' ? '--limit-iface-in' : '--limit-iface-out'))
    } else break
  }
  return {module: 'addrtype', options}
}

/** conntrack prints its options as in iptables-save, minus the dashes and in the same order. */
const CONNTRACK_WORDS = new Set([
  'ctstate', 'ctproto', 'ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst', 'ctorigsrcport',
  'ctorigdstport', 'ctreplsrcport', 'ctrepldstport', 'ctstatus', 'ctexpire', 'ctdir',
])

const conntrackMatch: Recogniser = (cur, negated) => {
  if (!CONNTRACK_WORDS.has(cur.peek() ?? '')) return undefined
  const options: Option[] = []
  let neg = negated
  for (;;) {
    options.push(opt(`--${cur.next()}`, [cur.next() ?? ''], neg))
    // A following `! ctxxx` or `ctxxx` belongs to the same match.
    const bangNext = cur.peek() === '!' && CONNTRACK_WORDS.has(cur.peek(1) ?? '')
    if (!bangNext && !CONNTRACK_WORDS.has(cur.peek() ?? '')) break
    neg = cur.bang()
  }
  return {module: 'conntrack', options}
}

const stateMatch: Recogniser = (cur, negated) => {
  if (cur.peek() !== 'state' || cur.peek(1) === undefined) return undefined
  cur.pos++
  return {module: 'state', options: [opt('--state', [cur.next() ?? ''], negated)]}
}

const RECENT_COMMANDS: Record<string, string> = {SET: '--set', CHECK: '--rcheck', UPDATE: '--update', REMOVE: '--remove'}

/** `recent: CHECK seconds: 10800 reap hit_count: 3 TTL-Match name: X side: source mask: M`. */
const recentMatch: Recogniser = (cur, negated) => {
  const command = RECENT_COMMANDS[cur.peek(1) ?? '']
  if (cur.peek() !== 'recent:' || command === undefined) return undefined
  cur.pos += 2
  const fields = new Map<string, string>()
  const flags = new Set<string>()
  for (let word = cur.peek(); word !== undefined; word = cur.peek()) {
    if (['seconds:', 'hit_count:', 'name:', 'side:', 'mask:'].includes(word)) {
      cur.pos++
      fields.set(word, cur.next() ?? '')
    } else if (word === 'reap' || word === 'TTL-Match') {
      cur.pos++
      flags.add(word)
    } else break
  }
  // iptables-save's order: command, seconds, reap, hitcount, rttl, name, mask, side.
  const options = [opt(command, [], negated)]
  if (fields.has('seconds:')) options.push(opt('--seconds', [fields.get('seconds:') ?? '']))
  if (flags.has('reap')) options.push(opt('--reap'))
  if (fields.has('hit_count:')) options.push(opt('--hitcount', [fields.get('hit_count:') ?? '']))
  if (flags.has('TTL-Match')) options.push(opt('--rttl'))
  options.push(opt('--name', [fields.get('name:') ?? 'DEFAULT']))
  // Older iptables do not print the mask; the kernel default for IPv4 is a full mask.
  options.push(opt('--mask', [fields.get('mask:') ?? '255.255.255.255']))
  options.push(opt(fields.get('side:') === 'dest' ? '--rdest' : '--rsource'))
  return {module: 'recent', options}
}

/** `! match-set NAME src,dst return-nomatch ! update-counters`. */
const setMatch: Recogniser = (cur, negated) => {
  if (cur.peek() !== 'match-set') return undefined
  cur.pos++
  const options = [opt('--match-set', [cur.next() ?? '', cur.next() ?? ''], negated)]
  for (;;) {
    const bang = cur.peek() === '!' ? 1 : 0
    const word = cur.peek(bang)
    if (word !== 'return-nomatch' && word !== 'update-counters' && word !== 'update-subcounters') break
    cur.pos += bang + 1
    options.push(opt(`--${word}`, [], bang === 1))
  }
  return {module: 'set', options}
}

/** `PHYSDEV match --physdev-in veth0 ! --physdev-out veth1 --physdev-is-bridged` (save's own words). */
const physdevMatch: Recogniser = (cur) => {
  if (cur.peek() !== 'PHYSDEV' || cur.peek(1) !== 'match') return undefined
  cur.pos += 2
  const options: Option[] = []
  for (;;) {
    const bang = cur.peek() === '!' ? 1 : 0
    const word = cur.peek(bang)
    if (word === undefined || !word.startsWith('--physdev-')) break
    cur.pos += bang + 1
    const takesValue = word === '--physdev-in' || word === '--physdev-out'
    options.push(opt(word, takesValue ? [cur.next() ?? ''] : [], bang === 1))
  }
  return {module: 'physdev', options}
}

/** `icmptype 8`, `icmptype 3 code 1`, negated `icmp !type 3 code 1`. */
const icmpMatch: Recogniser = (cur) => {
  let negated = false
  if (cur.peek() === 'icmptype') cur.pos++
  else if (cur.peek() === 'icmp' && cur.peek(1) === '!type') {
    cur.pos += 2
    negated = true
  } else return undefined
  let type = cur.next() ?? ''
  if (cur.peek() === 'code') {
    cur.pos++
    type += `/${cur.next() ?? ''}`
  }
  return {module: 'icmp', options: [opt('--icmp-type', [type], negated)]}
}

const commentMatch: Recogniser = (cur) => {
  const token = cur.token()
  if (token?.kind !== 'comment') return undefined
  cur.pos++
  return {module: 'comment', options: [opt('--comment', [token.text])]}
}

/** Recognisers tried in order. Only the modules whose listing puts `!` before the keyword take one. */
const RECOGNISERS: [Recogniser, boolean][] = [
  [commentMatch, false], [portsMatch, false], [multiportMatch, false], [statisticMatch, false],
  [markMatch, false], [addrtypeMatch, false], [conntrackMatch, true], [stateMatch, true],
  [recentMatch, true], [setMatch, true], [physdevMatch, false], [icmpMatch, false],
]

/**
 * Read one match at the cursor, including a leading `!` that negates it (`! ctstate`,
 * `! recent:`, `! match-set`). Leaves the cursor untouched when nothing is recognised.
 */
export function readListedMatch(cur: TokenCursor): Match | undefined {
  const start = cur.pos
  const negated = cur.bang()
  for (const [recognise, takesBang] of RECOGNISERS) {
    if (negated && !takesBang) continue
    const match = recognise(cur, negated)
    if (match) return match
    cur.pos = negated ? start + 1 : start
  }
  cur.pos = start
  return undefined
}
