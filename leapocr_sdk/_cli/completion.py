"""``leapocr completion SHELL``: completion scripts for bash, zsh and fish.

The scripts are written from the parser itself (commands, their options, the choices of
options such as ``--format``), so they never fall behind the command line. zsh reuses
the bash function through ``bashcompinit``.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass

from .parser import build_parser


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    takes_value: bool
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[Option, ...]
    choices: tuple[str, ...]  # of its positional argument, if it has a fixed set


def _options(parser: argparse.ArgumentParser) -> tuple[Option, ...]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        for flag in action.option_strings:
            if flag.startswith("--"):
                found.append(
                    Option(
                        flag,
                        (action.help or "").split(" (")[0].replace("%", "%%"),
                        action.nargs != 0,
                        tuple(str(c) for c in action.choices or ()),
                    )
                )
    return tuple(found)


def describe() -> tuple[tuple[Option, ...], tuple[Command, ...]]:
    """The global options and every command, read from the parser."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help or "" for choice in subparsers._choices_actions}
    commands = []
    for name, sub in subparsers.choices.items():
        positional = [a for a in sub._actions if not a.option_strings and a.choices]
        choices = tuple(str(c) for c in positional[0].choices or ()) if positional else ()
        commands.append(Command(name, helps.get(name, ""), _options(sub), choices))
    return _options(parser), tuple(commands)


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    if shell == "fish":
        return _fish()
    bash = _bash()
    if shell == "zsh":
        return "autoload -U +X bashcompinit && bashcompinit\n" + bash
    return bash


def _bash() -> str:
    global_options, commands = describe()
    takes_value = sorted(
        {o.flag for o in global_options if o.takes_value}
        | {o.flag for c in commands for o in c.options if o.takes_value}
    )
    cases = []
    for command in commands:
        words = shlex.quote(" ".join(o.flag for o in command.options))
        choices = shlex.quote(" ".join(command.choices))
        cases.append(f"        {command.name}) words={words} choices={choices} ;;")
    choice_cases = []
    for command in commands:
        for option in command.options:
            if option.choices:
                choice_cases.append(
                    f"        {option.flag}) "
                    f'COMPREPLY=($(compgen -W {shlex.quote(" ".join(option.choices))} -- "$cur"));'
                    " return ;;"
                )
    top = " ".join([o.flag for o in global_options] + [c.name for c in commands])
    return f"""# bash completion for leapocr (from `leapocr completion bash`)
_leapocr() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local command="" words="" choices="" i=1
    while [ "$i" -lt "$COMP_CWORD" ]; do
        case "${{COMP_WORDS[i]}}" in
            {"|".join(takes_value)}) i=$((i + 1)) ;;
            -*) ;;
            *) command="${{COMP_WORDS[i]}}"; break ;;
        esac
        i=$((i + 1))
    done
    case "$prev" in
{chr(10).join(sorted(set(choice_cases)))}
        {"|".join(takes_value)}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    case "$command" in
        "") words={shlex.quote(top)} ;;
{chr(10).join(cases)}
    esac
    if [ -z "$command" ] || [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    elif [ -n "$choices" ]; then
        COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -o filenames -o bashdefault -F _leapocr leapocr
"""


def _fish() -> str:
    global_options, commands = describe()
    names = " ".join(c.name for c in commands)
    lines = [
        "# fish completion for leapocr (from `leapocr completion fish`)",
        "complete -c leapocr -f",
    ]
    for option in global_options:
        lines.append(_fish_option("__fish_use_subcommand", option))
    for command in commands:
        lines.append(
            f"complete -c leapocr -n 'not __fish_seen_subcommand_from {names}' "
            f"-a {command.name} -d {shlex.quote(command.help)}"
        )
        seen = f"__fish_seen_subcommand_from {command.name}"
        if command.choices:
            lines.append(
                f"complete -c leapocr -n '{seen}' -a {shlex.quote(' '.join(command.choices))}"
            )
        elif command.name == "process":
            lines.append(f"complete -c leapocr -n '{seen}' -F")
        for option in command.options:
            lines.append(_fish_option(seen, option))
    return "\n".join(lines) + "\n"


def _fish_option(condition: str, option: Option) -> str:
    line = f"complete -c leapocr -n '{condition}' -l {option.flag[2:]}"
    if option.choices:
        line += f" -x -a {shlex.quote(' '.join(option.choices))}"
    elif option.takes_value:
        line += " -r"
    return line + f" -d {shlex.quote(option.help)}"
