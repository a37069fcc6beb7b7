/**
 * Every kpx command by id, for oclif's "explicit" command discovery in the bundled build
 * (src/bundle/main.ts). The ids must be the ones oclif derives from the file names under
 * src/commands (the manifest's); test/commands/bundle.test.ts checks they are.
 */
import type {Command} from '@oclif/core/command'
import type {Config} from '@oclif/core/config'

interface CommandModule {
  default: Command.Class
}

/** What oclif needs of an explicit command: `run`; Plugin.findCommand sets `id` and `plugin` on it. */
export interface LazyCommand {
  id?: string
  plugin?: unknown
  run(argv: string[], config: Config): Promise<unknown>
}

/** Each command's module, imported only when that command runs. */
export const COMMAND_LOADERS: Record<string, () => Promise<CommandModule>> = {
  check: () => import('../commands/check.js'),
  cleanup: () => import('../commands/cleanup.js'),
  dump: () => import('../commands/dump.js'),
  rbac: () => import('../commands/rbac.js'),
  rules: () => import('../commands/rules.js'),
  services: () => import('../commands/services.js'),
  trace: () => import('../commands/trace.js'),
}

/**
 * Stand-ins that load the real command class on `run`: in the bundle, importing every command up
 * front would evaluate all their modules (the check catalogue, renderers, ...) on each start.
 * oclif reads help, flags and args from the manifest, so nothing else is asked of the class before.
 */
export const COMMANDS: Record<string, LazyCommand> = Object.fromEntries(
  Object.entries(COMMAND_LOADERS).map(([id, load]) => [id, lazyCommand(load)]),
)

function lazyCommand(load: () => Promise<CommandModule>): LazyCommand {
  const stub: LazyCommand = {
    async run(argv, config) {
      const command = (await load()).default
      // What findCommand would have set on the class itself had oclif imported it directly.
      Object.assign(command, {id: stub.id, plugin: stub.plugin})
      return command.run(argv, config)
    },
  }
  return stub
}
