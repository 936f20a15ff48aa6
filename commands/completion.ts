import {Args} from '@oclif/core'

import {ModelsealCommand} from './_lib/base-command.js'
import {type CompletionCommand, completionScript, type Shell} from './_lib/completion.js'

export default class Completion extends ModelsealCommand {
  static override summary = 'Print a shell completion script (bash, zsh or fish)'
  static override description = 'Completes commands, methods, flags and option values; anything else completes as a file name.'
  static override examples = [
    {description: 'bash, for this shell', command: 'source <(<%= config.bin %> completion bash)'},
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a zsh expansion the user's shell performs
    {description: 'zsh', command: '<%= config.bin %> completion zsh > "${fpath[1]}/_<%= config.bin %>"'},
    {description: 'fish', command: '<%= config.bin %> completion fish > ~/.config/fish/completions/<%= config.bin %>.fish'},
  ]
  static override args = {
    shell: Args.string({required: true, options: ['bash', 'zsh', 'fish'], description: 'Shell to complete for'}),
  }

  public async run(): Promise<{shell: Shell; script: string}> {
    const {args} = await this.parse(Completion)
    const shell = args.shell as Shell
    const commands: CompletionCommand[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id.replaceAll(':', ' '),
        summary: (c.summary ?? c.description ?? '').split('\n')[0],
        flags: Object.entries(c.flags)
          .filter(([, f]) => !f.hidden)
          .map(([name, f]) => ({
            name,
            char: f.char,
            summary: (f.summary ?? f.description ?? '').split('\n')[0],
            takesValue: f.type === 'option',
            options: f.type === 'option' ? f.options : undefined,
          })),
      }))
    const script = completionScript(shell, this.config.bin, commands)
    if (!this.jsonEnabled()) process.stdout.write(script)
    return {shell, script}
  }
}
