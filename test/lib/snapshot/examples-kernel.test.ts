/**
 * The kernel is the oracle: every example's iptables-save.txt loads with iptables-legacy-restore
 * into a fresh network namespace and iptables-legacy-save prints it back identically (apart from
 * the `#` header/footer lines, which carry the save time, and the order of the tables). Needs root;
 * skips loudly otherwise.
 */
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

const EXAMPLES = join(import.meta.dirname, '../../../examples')

function rulesFiles(): string[] {
  return readdirSync(EXAMPLES, {withFileTypes: true})
    .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
    .flatMap((d) => readdirSync(join(EXAMPLES, d.name, 'nodes')).map((node) => join(d.name, 'nodes', node, 'iptables-save.txt')))
}

/**
 * The dump without its `#` lines, as {table: lines}. iptables-legacy-save prints tables in the
 * reverse of the order they were first used in the namespace, which is not part of the ruleset.
 */
function tables(text: string): Record<string, string> {
  const result: Record<string, string> = {}
  for (const block of text.split(/^(?=\*)/m)) {
    const lines = block.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
    if (lines.length > 0) result[lines[0]] = lines.join('\n')
  }
  return result
}

function canRunKernelTests(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root'
  try {
    execFileSync('iptables-legacy-save', ['--version'], {stdio: 'ignore'})
    return undefined
  } catch {
    return 'iptables-legacy-save is not installed'
  }
}

describe('examples in the kernel (iptables-legacy in a kpxE- network namespace)', function () {
  this.timeout(60_000)
  const namespaces: string[] = []
  const reason = canRunKernelTests()

  before(function () {
    if (reason) {
      console.warn(`    SKIPPED kernel round trip of the examples: ${reason}`)
      this.skip()
    }
  })

  afterEach(() => {
    while (namespaces.length > 0) execFileSync('ip', ['netns', 'del', namespaces.pop()!], {stdio: 'ignore'})
  })

  for (const [i, file] of rulesFiles().entries()) {
    it(`${file} is what iptables-legacy-save prints after loading it`, () => {
      const ns = `kpxE-t${process.pid}-${i}`
      execFileSync('ip', ['netns', 'add', ns])
      namespaces.push(ns)
      const text = readFileSync(join(EXAMPLES, file), 'utf8')
      execFileSync('ip', ['netns', 'exec', ns, 'iptables-legacy-restore'], {input: text})
      const saved = execFileSync('ip', ['netns', 'exec', ns, 'iptables-legacy-save'], {encoding: 'utf8'})
      expect(tables(saved)).to.deep.equal(tables(text))
      expect(Object.keys(tables(text))).to.include.members(['*nat', '*filter'])
    })
  }
})
