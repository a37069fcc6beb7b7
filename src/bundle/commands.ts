/**
 * Every kpx command by id, for oclif's "explicit" command discovery in the bundled build
 * (src/bundle/main.ts). The ids must be the ones oclif derives from the file names under
 * src/commands (the manifest's); test/commands/bundle.test.ts checks they are.
 */
import Check from '../commands/check.js'
import Cleanup from '../commands/cleanup.js'
import Dump from '../commands/dump.js'
import Rbac from '../commands/rbac.js'
import Rules from '../commands/rules.js'
import Services from '../commands/services.js'
import Trace from '../commands/trace.js'

export const COMMANDS = {
  check: Check,
  cleanup: Cleanup,
  dump: Dump,
  rbac: Rbac,
  rules: Rules,
  services: Services,
  trace: Trace,
}
