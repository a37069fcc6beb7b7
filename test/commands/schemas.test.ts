/**
 * The --json output of every command is public API (STYLE habit 3): each run below is checked
 * against its hand-written schema in schemas/, over every shipped example and the kinds of
 * target users trace. Commands load from dist/ (npm test builds first); a command the lead has
 * not written yet is skipped, not failed.
 */
import {runCommand} from '@oclif/test'
import {type AnySchema, Ajv, type ValidateFunction} from 'ajv'
import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {CORPUS_DIR} from '../helpers/corpus.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const EXAMPLES = ['ghost', 'modern', 'nginx', 'stale'] as const
const CORPUS = CORPUS_DIR
/** kube-proxy's own test output: every rule shape kube-proxy writes, as `--rules` input. */
const corpusRules = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => f.endsWith('.rules')).sort() : []
const corpusCases = corpusRules.map((f) => ({name: `corpus ${f}`, argv: ['--rules', `${CORPUS}/${f}`]}))
const ajv = new Ajv({allErrors: true, strict: true})
const validators = new Map<string, ValidateFunction>()

function schemaFor(name: string): ValidateFunction {
  let validate = validators.get(name)
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(`${root}schemas/${name}.schema.json`, 'utf8')) as AnySchema)
    validators.set(name, validate)
  }
  return validate
}

function commandBuilt(id: string): boolean {
  return existsSync(`${root}dist/commands/${id}.js`)
}

/** Validation errors as lines a developer can act on, capped so a big document stays readable. */
function explain(validate: ValidateFunction): string {
  return (validate.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n')
}

function expectValid(schema: string, doc: unknown): void {
  const validate = schemaFor(schema)
  expect(validate(doc), `${schema}.schema.json:\n${explain(validate)}`).to.equal(true)
}

function expectInvalid(schema: string, doc: unknown, why: RegExp): void {
  const validate = schemaFor(schema)
  expect(validate(doc), `${schema}.schema.json accepted a mutated document`).to.equal(false)
  expect(explain(validate)).to.match(why)
}

interface Case {
  name: string
  argv: string[]
  /** 'object' | 'array': the top-level shape kpx promises for this run. */
  shape?: 'array' | 'object'
  /** Exit codes the run may end with (default: 0). */
  exits?: number[]
}

const traceCases: Case[] = [
  {name: 'NodePort from outside, all nodes (ghost)', argv: ['svc/ghost', '--nodeport', '30966', '--snapshot', 'examples/ghost'], shape: 'array'},
  {name: 'NodePort from outside, one node (ghost)', argv: ['svc/ghost', '--nodeport', '30966', '--snapshot', 'examples/ghost', '--node', 'k8s-1'], shape: 'object'},
  {name: 'from the node itself, nat OUTPUT (ghost)', argv: ['svc/ghost', '--src', 'node/k8s-1', '--node', 'k8s-1', '--snapshot', 'examples/ghost'], shape: 'object'},
  {name: 'ClusterIP, 1/3 shares (nginx)', argv: ['10.254.198.92:80', '--snapshot', 'examples/nginx'], shape: 'object'},
  {name: 'NodePort from the internet (nginx)', argv: ['192.168.0.11:32110', '--src', '115.236.50.21', '--snapshot', 'examples/nginx'], shape: 'object'},
  {name: 'LB IP with a Local policy, all nodes (modern)', argv: ['203.0.113.10:80', '--src', '198.51.100.20', '--snapshot', 'examples/modern'], shape: 'array'},
  {name: 'UDP ClusterIP (modern)', argv: ['10.96.0.10:53', '--proto', 'udp', '--snapshot', 'examples/modern', '--node', 'node-b'], shape: 'object'},
  {name: 'session affinity forks (modern)', argv: ['svc/cart', '--namespace', 'shop', '--snapshot', 'examples/modern', '--node', 'node-b'], shape: 'object'},
  {name: 'a Service with no endpoints: REJECT (modern)', argv: ['10.96.77.7:80', '--snapshot', 'examples/modern', '--node', 'node-a'], shape: 'object'},
  {name: 'internalTrafficPolicy Local with no local pod: DROP (modern)', argv: ['10.96.9.100:9100', '--snapshot', 'examples/modern', '--node', 'node-c'], shape: 'object'},
  {name: 'an IP no Service owns (modern)', argv: ['10.96.200.200:80', '--snapshot', 'examples/modern', '--node', 'node-b'], shape: 'object'},
  {name: 'stale endpoint still in the rules, all nodes (stale)', argv: ['10.96.10.10:80', '--snapshot', 'examples/stale'], shape: 'array'},
  {name: 'skewed probability via NodePort (stale)', argv: ['svc/web', '--nodeport', '30800', '--snapshot', 'examples/stale', '--node', 'stale-1'], shape: 'object'},
]

/** Every command's runs: trace over its targets, the listing commands over every example. */
const runs: {command: string; schema: string; cases: Case[]}[] = [
  {command: 'trace', schema: 'trace', cases: traceCases},
  {command: 'services', schema: 'services', cases: [
    ...EXAMPLES.map((e): Case => ({name: `every node (${e})`, argv: ['--snapshot', `examples/${e}`], shape: 'array'})),
    {name: 'one node (modern)', argv: ['--snapshot', 'examples/modern', '--node', 'node-c'], shape: 'array'},
    {name: 'a rules file without cluster objects', argv: ['--rules', 'examples/nginx/listing.txt', '--node-ip', '192.168.0.11'], shape: 'array'},
    ...corpusCases.map((c) => ({...c, shape: 'array' as const})),
  ]},
  {command: 'rules', schema: 'rules', cases: [
    ...EXAMPLES.map((e): Case => ({name: `every node (${e})`, argv: ['--snapshot', `examples/${e}`], shape: 'object'})),
    {name: 'an iptables -L listing', argv: ['--rules', 'examples/nginx/listing.txt'], shape: 'object'},
    ...['legacy-counters.save', 'nft-counters.save', 'nft-with-legacy-warning.save'].map((f): Case => ({name: `fixture ${f}`, argv: ['--rules', `test/fixtures/iptables/${f}`], shape: 'object'})),
    ...corpusCases.map((c) => ({...c, shape: 'object' as const})),
  ]},
  {command: 'rbac', schema: 'rbac', cases: ['kube-proxy', 'debug-pod', 'all'].map((t): Case => ({name: `--transport ${t}`, argv: ['--transport', t], shape: 'object'}))},
  // The checks helper owns the schema; the command is the lead's. Findings exit 1 by design.
  {command: 'check', schema: 'check', cases: EXAMPLES.map((e): Case => ({name: `every node (${e})`, argv: ['--snapshot', `examples/${e}`], shape: 'object', exits: [0, 1]}))},
]

async function runJson(command: string, argv: string[]): Promise<{doc: unknown; exit: number; result: unknown}> {
  const {stdout, result, error} = await runCommand([command, ...argv, '--json'], {root})
  const exit = error?.oclif?.exit ?? 0
  if (exit === 0 || exit === 1) expect(error === undefined || exit === 1, error?.message).to.equal(true)
  return {doc: parseOneDocument(stdout), exit, result}
}

/** Under --json, stdout must be exactly one JSON document (a result or an error, never both). */
function parseOneDocument(stdout: string): unknown {
  try {
    return JSON.parse(stdout) as unknown
  } catch (error) {
    expect.fail(`--json stdout is not one JSON document (${(error as Error).message}):\n${stdout.slice(0, 400)}\n…\n${stdout.slice(-400)}`)
  }
}

for (const {command, schema, cases} of runs) {
  describe(`kpx ${command} --json matches schemas/${schema}.schema.json`, function () {
    before(function () {
      if (!commandBuilt(command) || !existsSync(`${root}schemas/${schema}.schema.json`)) this.skip()
    })
    for (const c of cases) {
      it(c.name, async () => {
        const {doc, exit, result} = await runJson(command, c.argv)
        expect(c.exits ?? [0], `exit code`).to.include(exit)
        expectValid(schema, doc)
        if (c.shape) expect(Array.isArray(doc) ? 'array' : 'object').to.equal(c.shape)
        // What --json prints is exactly what run() returns (no side channel, no extra keys).
        if (exit === 0) expect(doc).to.deep.equal(JSON.parse(JSON.stringify(result)))
      })
    }
  })
}

describe('error --json matches schemas/error.schema.json', () => {
  const errorCases = [
    {name: 'trace: a missing Service → 5', command: 'trace', argv: ['svc/nope', '--snapshot', 'examples/ghost'], exit: 5, code: 'service-not-found'},
    {name: 'trace: a missing rules file → 4', command: 'trace', argv: ['10.96.0.10:53', '--rules', 'does/not/exist.rules'], exit: 4},
    // --node is validated against the snapshot as a usage error (exit 2), before any tracing.
    {name: 'trace: an unknown --node → 5', command: 'trace', argv: ['svc/ghost', '--snapshot', 'examples/ghost', '--node', 'k8s-9'], exit: 5, code: 'node-not-found'},
    // oclif's own parse errors must keep the documented exit code 2 and the same JSON shape.
    {name: 'trace: a malformed target → 2', command: 'trace', argv: ['nonsense!!', '--snapshot', 'examples/ghost'], exit: 2},
    {name: 'trace: a --proto outside its options → 2', command: 'trace', argv: ['svc/ghost', '--proto', 'icmp', '--snapshot', 'examples/ghost'], exit: 2},
    {name: 'services: a missing snapshot → 4', command: 'services', argv: ['--snapshot', 'examples/does-not-exist'], exit: 4},
    {name: 'rules: a missing rules file → 4', command: 'rules', argv: ['--rules', 'does/not/exist.rules'], exit: 4},
  ]
  for (const c of errorCases) {
    it(c.name, async function () {
      if (!commandBuilt(c.command)) this.skip()
      const {doc, exit} = await runJson(c.command, c.argv)
      expect(exit).to.equal(c.exit)
      expectValid('error', doc)
      const {error} = doc as {error: {code: string; exitCode: number}}
      expect(error.exitCode, 'error.exitCode is the process exit code').to.equal(exit)
      if (c.code) expect(error.code).to.equal(c.code)
    })
  }
})

/** A renamed field or an out-of-enum value must fail validation: the schemas are closed. */
describe('schemas reject mutated documents', () => {
  type Doc = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

  function rename(obj: Doc, from: string, to: string): void {
    expect(obj, `fixture lacks ${from}`).to.have.property(from)
    obj[to] = obj[from]
    delete obj[from]
  }

  async function validDoc(command: string, argv: string[]): Promise<Doc> {
    const {doc} = await runJson(command, argv)
    return doc as Doc
  }

  it('trace: outcome.verdict renamed', async () => {
    const doc = await validDoc('trace', ['svc/ghost', '--nodeport', '30966', '--snapshot', 'examples/ghost', '--node', 'k8s-1'])
    expectValid('trace', doc)
    rename(doc.outcomes[0], 'verdict', 'result')
    expectInvalid('trace', doc, /required.*verdict|additionalProperty.*result/s)
  })

  it('trace: path step line renamed inside an all-nodes array', async () => {
    const doc = await validDoc('trace', ['svc/ghost', '--nodeport', '30966', '--snapshot', 'examples/ghost'])
    rename(doc[1].outcomes[0].path[0], 'line', 'lineNumber')
    expectInvalid('trace', doc, /lineNumber|line/)
  })

  it('trace: a verdict outside the enum', async () => {
    const doc = await validDoc('trace', ['10.96.77.7:80', '--snapshot', 'examples/modern', '--node', 'node-a'])
    doc.outcomes[0].verdict = 'MASQUERADE'
    expectInvalid('trace', doc, /allowed values/)
  })

  it('services: endpoint probability renamed', async () => {
    const doc = await validDoc('services', ['--snapshot', 'examples/ghost', '--node', 'k8s-1'])
    expectValid('services', doc)
    rename(doc[0].services[0].endpoints[0], 'probability', 'share')
    expectInvalid('services', doc, /probability|share/)
  })

  it('rules: a rule whose raw text is renamed', async () => {
    const doc = await validDoc('rules', ['--snapshot', 'examples/nginx'])
    expectValid('rules', doc)
    rename(doc.nodes[0].iptables.tables[0].chains[0].rules[0], 'raw', 'text')
    expectInvalid('rules', doc, /raw|text/)
  })

  it('rules: a typed target with an unknown kind', async () => {
    const doc = await validDoc('rules', ['--snapshot', 'examples/nginx'])
    const rule = (doc.nodes[0].iptables.tables as Doc[]).flatMap((t) => t.chains as Doc[]).flatMap((c) => c.rules as Doc[]).find((r) => r.target?.typed?.kind === 'dnat')
    expect(rule, 'nginx has a DNAT rule').to.not.equal(undefined)
    rule!.target.typed.kind = 'dnat-v2'
    expectInvalid('rules', doc, /oneOf|allowed|constant/)
  })

  it('error: exitCode renamed', async () => {
    const doc = await validDoc('trace', ['svc/nope', '--snapshot', 'examples/ghost'])
    expectValid('error', doc)
    rename(doc.error, 'exitCode', 'exit_code')
    expectInvalid('error', doc, /exitCode|exit_code/)
  })
})
