/**
 * Flags and arguments are public API (STYLE habit 3, after salesforcecli/plugin-org's
 * command-snapshot.json): the committed command-snapshot.json records every command's surface,
 * and this test fails on any difference so that a rename or removal is a deliberate act, noted in
 * CHANGELOG.md as a BREAKING CHANGE. It also holds every command to the help-text rules (habit 4).
 * Commands load from dist/ (npm test builds first).
 */
import {type Command, Config} from '@oclif/core'
import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const SNAPSHOT = `${root}command-snapshot.json`
const UPDATE = 'UPDATE_SNAPSHOT=1 npx mocha test/commands/flags-snapshot.test.ts'

interface CommandSurface {
  command: string
  /** Flag names, sorted (oclif's global `json` included when enableJsonFlag is set). */
  flags: string[]
  /** Short aliases as `c:name`, sorted: `-n` is as public as `--namespace`. */
  flagChars: string[]
  /** Positional argument names in order (their order is the public part). */
  args: string[]
  aliases: string[]
  enableJsonFlag: boolean
  hasSummary: boolean
  hasDescription: boolean
  examplesCount: number
}

function surfaceOf(cmd: Command.Loadable): CommandSurface {
  const flags = Object.values(cmd.flags)
  return {
    command: cmd.id,
    flags: flags.map((f) => f.name).sort(),
    flagChars: flags.filter((f) => f.char).map((f) => `${f.char}:${f.name}`).sort(),
    args: Object.keys(cmd.args),
    aliases: [...cmd.aliases].sort(),
    enableJsonFlag: cmd.enableJsonFlag === true,
    hasSummary: Boolean(cmd.summary?.trim()),
    hasDescription: Boolean(cmd.description?.trim()),
    examplesCount: cmd.examples?.length ?? 0,
  }
}

/** What changed, in words, so the failure tells the developer exactly what they altered. */
function describeDrift(saved: CommandSurface[], current: CommandSurface[]): string[] {
  const byId = (list: CommandSurface[]) => new Map(list.map((c) => [c.command, c]))
  const before = byId(saved)
  const after = byId(current)
  const lines: string[] = []
  for (const id of after.keys()) if (!before.has(id)) lines.push(`command added: ${id}`)
  for (const id of before.keys()) if (!after.has(id)) lines.push(`command REMOVED: ${id} (BREAKING CHANGE)`)
  for (const [id, now] of after) {
    const was = before.get(id)
    if (!was) continue
    for (const key of Object.keys(now) as (keyof CommandSurface)[]) {
      if (JSON.stringify(was[key]) === JSON.stringify(now[key])) continue
      if (Array.isArray(was[key]) && Array.isArray(now[key])) {
        const gone = (was[key] as string[]).filter((x) => !(now[key] as string[]).includes(x))
        const added = (now[key] as string[]).filter((x) => !(was[key] as string[]).includes(x))
        const order = gone.length + added.length === 0 ? ' order changed' : ''
        lines.push(`${id}: ${key}${added.length ? ` added [${added.join(', ')}]` : ''}${gone.length ? ` REMOVED [${gone.join(', ')}] (BREAKING CHANGE)` : ''}${order}`)
      } else {
        lines.push(`${id}: ${key} ${JSON.stringify(was[key])} → ${JSON.stringify(now[key])}`)
      }
    }
  }
  return lines
}

describe('command-snapshot.json (flags and arguments are public API)', () => {
  let config: Config
  let current: CommandSurface[]

  before(async () => {
    config = await Config.load(root)
    current = config.commands.map((c) => surfaceOf(c)).sort((a, b) => a.command.localeCompare(b.command))
  })

  it('loads the commands from dist/', () => {
    // An empty list would make every other assertion here vacuous.
    expect(current.map((c) => c.command), 'no commands found: run `npx tsc -p tsconfig.json` first').to.include.members(['rules', 'services', 'trace'])
  })

  it('matches the committed snapshot', () => {
    if (process.env.UPDATE_SNAPSHOT === '1') {
      writeFileSync(SNAPSHOT, JSON.stringify(current, null, 2) + '\n')
      return
    }
    expect(existsSync(SNAPSHOT), `command-snapshot.json is missing; create it with: ${UPDATE}`).to.equal(true)
    const saved = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as CommandSurface[]
    const drift = describeDrift(saved, current)
    const advice = `\nIf intended, run: ${UPDATE}\nand record removals/renames in CHANGELOG.md as a BREAKING CHANGE.`
    expect(drift, `the commands' public surface changed:\n  ${drift.join('\n  ')}${advice}`).to.deep.equal([])
    // describeDrift compares field by field; this catches anything it could not name.
    expect(current, `command-snapshot.json is out of date.${advice}`).to.deep.equal(saved)
  })

  it('every command has a summary, a description and at least one example', () => {
    for (const c of current) {
      expect(c.hasSummary, `${c.command}: static summary`).to.equal(true)
      expect(c.hasDescription, `${c.command}: static description`).to.equal(true)
      expect(c.examplesCount, `${c.command}: static examples`).to.be.greaterThan(0)
    }
  })

  it('every flag and argument is described', () => {
    for (const cmd of config.commands) {
      for (const flag of Object.values(cmd.flags)) {
        expect(Boolean(flag.summary?.trim() || flag.description?.trim()), `${cmd.id} --${flag.name}: give it a summary`).to.equal(true)
      }
      for (const [name, arg] of Object.entries(cmd.args)) {
        expect(Boolean(arg.description?.trim()), `${cmd.id} ${name}: give the argument a description`).to.equal(true)
      }
    }
  })

  it('examples are {description, command} with config.bin/command.id and long flag names', () => {
    for (const cmd of config.commands) {
      for (const example of cmd.examples ?? []) {
        expect(example, `${cmd.id}: write examples as {description, command}`).to.be.an('object')
        const {command, description} = example as {command: string; description: string}
        expect(description, `${cmd.id}: example description`).to.be.a('string').and.not.equal('')
        expect(command, `${cmd.id}: example command`).to.match(/^<%= config\.bin %> <%= command\.id %>/)
        // Short flags are for typing, long ones for reading (heroku/cli AGENTS.md).
        expect(command, `${cmd.id}: use long flag names in examples`).not.to.match(/(^|\s)-[a-zA-Z](\s|=|$)/)
      }
    }
  })
})

describe('describeDrift (how the snapshot test reports a change)', () => {
  const trace: CommandSurface = {
    command: 'trace', flags: ['json', 'namespace', 'node'], flagChars: ['n:namespace'], args: ['target'], aliases: [],
    enableJsonFlag: true, hasSummary: true, hasDescription: true, examplesCount: 2,
  }
  const cases: {name: string; current: CommandSurface[]; expected: string[]}[] = [
    {name: 'no change', current: [trace], expected: []},
    {name: 'a flag renamed', current: [{...trace, flags: ['json', 'namespace', 'nodes']}], expected: ['trace: flags added [nodes] REMOVED [node] (BREAKING CHANGE)']},
    {name: 'a flag added', current: [{...trace, flags: ['json', 'namespace', 'node', 'verbose']}], expected: ['trace: flags added [verbose]']},
    {name: 'a short flag dropped', current: [{...trace, flagChars: []}], expected: ['trace: flagChars REMOVED [n:namespace] (BREAKING CHANGE)']},
    {name: 'arguments reordered', current: [{...trace, args: ['b', 'a']}], expected: ['trace: args added [b, a] REMOVED [target] (BREAKING CHANGE)']},
    {name: '--json turned off', current: [{...trace, enableJsonFlag: false}], expected: ['trace: enableJsonFlag true → false']},
    {name: 'a command added', current: [trace, {...trace, command: 'dump'}], expected: ['command added: dump']},
    {name: 'a command removed', current: [], expected: ['command REMOVED: trace (BREAKING CHANGE)']},
  ]
  for (const c of cases) {
    it(c.name, () => {
      expect(describeDrift([trace], c.current)).to.deep.equal(c.expected)
    })
  }

  it('names a pure reordering', () => {
    expect(describeDrift([{...trace, args: ['a', 'b']}], [{...trace, args: ['b', 'a']}])).to.deep.equal(['trace: args order changed'])
  })
})
