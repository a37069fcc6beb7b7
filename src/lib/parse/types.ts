/**
 * The parsed model of an iptables ruleset. This is the contract between the parser
 * (src/lib/parse), the kube-proxy model, the tracer, the checks and the renderers.
 *
 * Design rules:
 * - Lossless: every rule keeps its source line and raw text; every match option and target
 *   option is kept in order, verbatim, including modules kpx does not understand.
 * - Typed views (`typed` on matches and targets, the named fields on Rule) are *derived* from
 *   the verbatim parts during parsing, for the modules kube-proxy and common CNIs use.
 * - Problems are data (`ParseIssue`), never exceptions.
 * - Plain JSON-serialisable objects only (no classes, Maps, bigints), so `--json` can emit it.
 *   Lazy parsing (`{lazy: true}`) hands out stand-ins that behave as such objects: LazyRule
 *   (decoded on first read) and DeferredChain (its `rules` read from the text on first access);
 *   both give the same JSON and compare deep-equal to the eager objects.
 */

/** Where the text came from, as far as the parser can tell. */
export type DumpFormat =
  | 'iptables-save' // `*table` headers, `:CHAIN` declarations, COMMIT (also iptables-restore input)
  | 'iptables-S' // `iptables -S` output: -P / -N / -A lines, no table headers
  | 'fragment' // bare `-A CHAIN ...` lines, e.g. `iptables-save | grep KUBE-SVC-`
  | 'iptables-L' // `iptables -L -n [-v] [--line-numbers]` listing

export type IpFamily = 4 | 6

export interface Counters {
  packets: number
  bytes: number
}

export interface ParseIssue {
  severity: 'error' | 'warning' | 'info'
  /** Stable machine-readable code, e.g. 'truncated-table', 'undeclared-chain', 'missing-jump-target'. */
  code: string
  /** 1-based line in the input. 0 when the issue is about the dump as a whole. */
  line: number
  /** 1-based column where the problem starts, when known. */
  column?: number
  message: string
  /** The offending source line (may be truncated to a sane length for huge lines). */
  text?: string
}

/** One option inside a match or target: `--dport 80`, `! --ctstate NEW`, `--rsource` (no args). */
export interface Option {
  /** The flag as written, with its dashes: '--dport', '-s', '--to-destination'. */
  flag: string
  /** The words that follow the flag, unquoted (`--comment "a b"` → ['a b']). */
  args: string[]
  negated: boolean
  /**
   * Where the `!` stood. iptables ≥ 1.4.3 prints it before the flag (`! --dport 80`); older
   * versions and some users write it before the value (`--dport ! 80`). Kept so that printing
   * gives back what was read.
   */
  negation?: 'before-flag' | 'before-value'
}

/** A negatable value: `{negated: true, value: '10.0.0.0/8'}` for `! -s 10.0.0.0/8`. */
export interface Negatable<T> {
  negated: boolean
  value: T
}

/** An inclusive port range; a single port has from === to. */
export interface PortRange {
  from: number
  to: number
}

/**
 * One match in rule order. Builtin criteria (-s -d -p -i -o -f) are a match with module null,
 * one per criterion, so the original order is kept. `-m MODULE opts...` is one match with its
 * options. `-p tcp --dport 80` without `-m tcp` attaches the options to an implicit module:
 * module 'tcp', implicit true.
 */
export interface Match {
  module: string | null
  implicit?: boolean
  options: Option[]
  /** Decoded view for known modules; absent for unknown modules (kept verbatim in options). */
  typed?: TypedMatch
}

export type TypedMatch =
  | {kind: 'source'; value: Negatable<string>} // -s, CIDR or address exactly as written
  | {kind: 'destination'; value: Negatable<string>} // -d
  | {kind: 'protocol'; value: Negatable<string>} // -p, lower-cased name or number as written
  | {kind: 'in-interface'; value: Negatable<string>} // -i
  | {kind: 'out-interface'; value: Negatable<string>} // -o
  | {kind: 'fragment'; negated: boolean} // -f
  | {kind: 'comment'; comment: string}
  | {
      kind: 'ports' // tcp, udp, sctp, udplite
      sport?: Negatable<PortRange>
      dport?: Negatable<PortRange>
      tcpFlags?: Negatable<{mask: string[]; comp: string[]}>
      syn?: Negatable<true>
    }
  | {
      kind: 'multiport'
      sports?: Negatable<PortRange[]>
      dports?: Negatable<PortRange[]>
      ports?: Negatable<PortRange[]>
    }
  | {
      kind: 'statistic'
      mode: 'random' | 'nth'
      negated: boolean
      /** As the kernel will apply it: the printed decimal parsed as a number. */
      probability?: number
      /** The probability exactly as written, e.g. '0.33332999982'. */
      probabilityText?: string
      every?: number
      packet?: number
    }
  | {kind: 'mark'; value: Negatable<{value: number; mask: number}>}
  | {
      kind: 'addrtype'
      srcType?: Negatable<string[]>
      dstType?: Negatable<string[]>
      limitIfaceIn?: boolean
      limitIfaceOut?: boolean
    }
  | {
      kind: 'recent'
      command?: 'set' | 'rcheck' | 'update' | 'remove'
      negated: boolean
      name?: string
      seconds?: number
      hitcount?: number
      reap?: boolean
      rttl?: boolean
      /** 'source' for --rsource (the default), 'dest' for --rdest. */
      side?: 'source' | 'dest'
      mask?: string
    }
  | {
      kind: 'conntrack' // -m conntrack, and -m state (--state) mapped to ctstate
      ctstate?: Negatable<string[]>
      ctstatus?: Negatable<string[]>
      ctorigdst?: Negatable<string>
      ctorigdstport?: Negatable<PortRange>
    }
  | {kind: 'set'; name: string; negated: boolean; flags: ('src' | 'dst')[]; returnNomatch?: boolean}
  | {
      kind: 'physdev'
      physdevIn?: Negatable<string>
      physdevOut?: Negatable<string>
      isIn?: Negatable<true>
      isOut?: Negatable<true>
      isBridged?: Negatable<true>
    }

/** A NAT address/port range as in `--to-destination 10.0.0.1-10.0.0.3:80-90` or `[fd00::1]:80`. */
export interface NatRange {
  addressFrom?: string
  addressTo?: string
  portFrom?: number
  portTo?: number
  /** The text as written. */
  text: string
}

export interface Target {
  /** ACCEPT, DROP, DNAT, KUBE-SVC-..., etc. */
  name: string
  /** true for `-g CHAIN` (goto: no return to the caller), false for `-j`. */
  goto: boolean
  options: Option[]
  typed?: TypedTarget
}

export type TypedTarget =
  | {kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'RETURN' | 'QUEUE'}
  | {kind: 'jump'; chain: string} // a user-defined chain
  | {kind: 'dnat'; to: NatRange[]; random: boolean; persistent: boolean}
  | {kind: 'snat'; to: NatRange[]; random: boolean; randomFully: boolean; persistent: boolean}
  | {kind: 'masquerade'; toPorts?: PortRange; random: boolean; randomFully: boolean}
  | {kind: 'redirect'; toPorts?: PortRange; random: boolean}
  | {kind: 'mark'; op: 'set-xmark' | 'set-mark' | 'or-mark' | 'and-mark' | 'xor-mark'; value: number; mask: number}
  | {kind: 'reject'; rejectWith?: string}
  | {kind: 'log'; prefix?: string; level?: string}

export interface Rule {
  table: string
  chain: string
  /** 1-based position in the chain after all -A/-I lines are applied (what `--line-numbers` shows). */
  index: number
  /** 1-based source line. */
  line: number
  /** The source line as read (without the line ending). */
  raw: string
  /** How the rule was introduced. '-I' rules carry the requested position in `insertAt`. */
  op: '-A' | '-I'
  insertAt?: number
  counters?: Counters
  matches: Match[]
  /** Absent for a rule with no -j/-g (a counting rule, e.g. kube-proxy's KUBE-FW fall-through comment). */
  target?: Target
  /** Convenience copies of the most used typed matches (first occurrence). */
  comment?: string
  protocol?: Negatable<string>
  source?: Negatable<string>
  destination?: Negatable<string>
}

export interface Chain {
  name: string
  /** Built-in chains have a policy (ACCEPT/DROP); user chains have none ('-' in the dump). */
  policy?: string
  counters?: Counters
  builtin: boolean
  /** 1-based line of the `:CHAIN` / `-N` / `-P` declaration, absent when only inferred from rules. */
  line?: number
  /** true when the chain was never declared but appears in rules (partial dumps). */
  inferred?: boolean
  /** `iptables -L` only: the kernel's count from the `Chain X (N references)` header. */
  references?: number
  rules: Rule[]
}

export interface Table {
  name: string
  /** 1-based line of `*name`, absent for inferred tables (fragments, -S output). */
  line?: number
  /** 1-based line of COMMIT; absent when the table was truncated or inferred. */
  commitLine?: number
  /** Chains in declaration order (as iptables-save prints them). */
  chains: Chain[]
}

export interface IptablesDump {
  format: DumpFormat
  family: IpFamily
  /** Tables in input order. */
  tables: Table[]
  /**
   * Comment lines as read, with their positions, so that printing gives them back:
   * `# Generated by iptables-save v1.8.9 (nf_tables) on ...`, `# Completed on ...`, and
   * iptables-nft's `# Warning: iptables-legacy tables present, ...`.
   */
  comments: {line: number; text: string}[]
  /** The iptables version and backend from the header comment, when present. */
  generator?: {version: string; backend?: 'legacy' | 'nf_tables'}
  /** true when the input could not carry everything a full dump has (fragments, -L listings). */
  partial: boolean
  issues: ParseIssue[]
}
