/**
 * Shell completion scripts (bash, zsh, fish) generated from the command manifest, so they list
 * exactly the commands and flags this version has. Completion of values falls back to file
 * names, which is what almost every modelseal flag takes.
 */
export interface CompletionCommand {
  /** Space-separated id, e.g. "verify key". */
  id: string
  summary: string
  flags: {name: string; char?: string; summary: string; takesValue: boolean; options?: readonly string[]}[]
}

export type Shell = 'bash' | 'zsh' | 'fish'

export function completionScript(shell: Shell, bin: string, commands: CompletionCommand[]): string {
  if (shell === 'fish') return fishScript(bin, commands)
  const bash = bashScript(bin, commands)
  if (shell === 'bash') return bash
  // zsh runs the bash completion through its compatibility layer (as git, npm and gh allow).
  return `#compdef ${bin}\nautoload -U +X bashcompinit && bashcompinit\n${bash}`
}

function fn(bin: string): string {
  return `_${bin.replace(/[^A-Za-z0-9]/g, '_')}_complete`
}

function bashScript(bin: string, commands: CompletionCommand[]): string {
  const ids = commands.map((c) => c.id).sort((a, b) => b.split(' ').length - a.split(' ').length)
  const cases = ids
    .map((id) => {
      const c = commands.find((x) => x.id === id) as CompletionCommand
      const flags = c.flags.flatMap((f) => [`--${f.name}`, ...(f.char ? [`-${f.char}`] : [])]).join(' ')
      const subs = commands.filter((x) => x.id.startsWith(`${id} `) && x.id.split(' ').length === id.split(' ').length + 1)
      const words = [...subs.map((s) => s.id.split(' ').pop()), flags].join(' ')
      const options = c.flags
        .filter((f) => f.options?.length)
        .map((f) => `      --${f.name}) COMPREPLY=($(compgen -W "${f.options?.join(' ')}" -- "$cur")); return ;;`)
        .join('\n')
      return `    "${id}")\n      case "$prev" in\n${options}${options ? '\n' : ''}      esac\n      words_="${words}" ;;`
    })
    .join('\n')
  const top = [...new Set(commands.map((c) => c.id.split(' ')[0]))].join(' ')
  return `# ${bin} completion for bash. Install: ${bin} completion bash > /etc/bash_completion.d/${bin}
# (or: source <(${bin} completion bash) in ~/.bashrc)
${fn(bin)}() {
  local cur prev id_ words_ i w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  id_=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && break
    case " ${commands.map((c) => `${c.id.replaceAll(' ', '_')}`).join(' ')} " in
      *" \${id_:+\${id_}_}$w "*) id_="\${id_:+\${id_}_}$w" ;;
      *) break ;;
    esac
  done
  id_="\${id_//_/ }"
  words_="${top} --help --version"
  case "$id_" in
${cases}
  esac
  if [[ "$cur" == -* || -z "$id_" ]]; then
    COMPREPLY=($(compgen -W "$words_" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$words_" -- "$cur") $(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F ${fn(bin)} ${bin}
`
}

function fishScript(bin: string, commands: CompletionCommand[]): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")
  const lines = [`# ${bin} completion for fish. Install: ${bin} completion fish > ~/.config/fish/completions/${bin}.fish`, `complete -c ${bin} -f`]
  const top = [...new Set(commands.map((c) => c.id.split(' ')[0]))]
  lines.push(`complete -c ${bin} -n __fish_use_subcommand -a '${top.join(' ')}'`)
  for (const c of commands) {
    const parts = c.id.split(' ')
    const seen = parts.map((p) => `__fish_seen_subcommand_from ${p}`).join('; and ')
    if (parts.length > 1) {
      const parentSeen = parts
        .slice(0, -1)
        .map((p) => `__fish_seen_subcommand_from ${p}`)
        .join('; and ')
      lines.push(`complete -c ${bin} -n '${parentSeen}' -a '${parts[parts.length - 1]}' -d '${esc(c.summary)}'`)
    } else {
      lines.push(`complete -c ${bin} -n __fish_use_subcommand -a '${c.id}' -d '${esc(c.summary)}'`)
    }
    for (const f of c.flags) {
      const values = f.options?.length ? ` -x -a '${f.options.join(' ')}'` : f.takesValue ? ' -r -F' : ''
      lines.push(`complete -c ${bin} -n '${seen}' -l ${f.name}${f.char ? ` -s ${f.char}` : ''}${values} -d '${esc(f.summary)}'`)
    }
  }
  return `${lines.join('\n')}\n`
}
