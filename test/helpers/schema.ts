/** Validate a command's --json output against its committed schema (schemas/NAME.schema.json). */
import {Ajv} from 'ajv'
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {resolve} from 'node:path'

const ajv = new Ajv({allErrors: true, strict: true})
const repo = resolve(import.meta.dirname, '..', '..')

export function expectMatchesSchema(name: string, doc: unknown): void {
  const schema = JSON.parse(readFileSync(resolve(repo, 'schemas', `${name}.schema.json`), 'utf8')) as {$id: string}
  const validate = ajv.getSchema(schema.$id) ?? ajv.compile(schema)
  expect(validate(doc), ajv.errorsText(validate.errors)).to.equal(true)
}
