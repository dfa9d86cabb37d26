import { Option, type Command } from 'commander';
import { CONFIG_GROUP_HEADINGS, CONFIG_KEYS, type ConfigField, type ConfigKeyInfo, type RawFlags } from '../config';

/** commander's accumulator for a repeatable flag: every value given, in order. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Help text for the terminal: the table's Markdown back-ticks dropped. */
const plain = (text: string): string => text.replace(/`/g, '');

/**
 * The `--help` line of a setting: its help text, then where else it can be set and its default, e.g.
 * `port of the challenge responder; … (env ACME_PORT; default 34000)`.
 */
export function flagHelpOf(key: ConfigKeyInfo): string {
  const notes = [
    ...(key.env === undefined ? [] : [`env ${key.env}`]),
    ...(key.defaultText === 'none' || key.defaultValue === false ? [] : [`default ${plain(key.defaultText)}`]),
  ];
  return notes.length === 0 ? plain(key.help) : `${plain(key.help)} (${notes.join('; ')})`;
}

/** The commander Option of a CONFIG_KEYS row that has a flag, e.g. `-d, --domain <name>`, repeatable for lists. */
export function configOption(key: ConfigKeyInfo & { flag: string }): Option {
  const long = key.valueName === undefined ? key.flag : `${key.flag} <${key.valueName.toLowerCase()}>`;
  const option = new Option(key.shortFlag === undefined ? long : `${key.shortFlag}, ${long}`, flagHelpOf(key));
  option.helpGroup(CONFIG_GROUP_HEADINGS[key.group]);
  if (key.kind === 'list' || key.kind === 'commands') option.argParser(collect);
  if (key.choices !== undefined) option.choices(key.choices);
  return option;
}

/** Options of addConfigOptions(). */
export interface AddConfigOptionsOptions {
  /**
   * Settings whose flag the command declares itself, with a meaning of its own (a repeatable `--name`
   * that selects certificates, `--email` that picks a lego account); the table's flag is left out.
   * Default: none.
   */
  readonly own?: readonly ConfigField[];
}

/**
 * Declares the flag of every CONFIG_KEYS setting on `command`, under its group's heading in `--help`.
 * Every command takes every setting, so that one set of flags serves a script that runs several
 * commands; a command ignores the settings it does not use.
 */
export function addConfigOptions(command: Command, options: AddConfigOptionsOptions = {}): Command {
  for (const key of CONFIG_KEYS) {
    if (key.flag === undefined || options.own?.includes(key.field) === true) continue;
    command.addOption(configOption({ ...key, flag: key.flag }));
  }
  return command;
}

/** Converts commander's parsed options into the config module's raw flags (pure); anything else is dropped. */
export function toRawFlags(options: Record<string, unknown>): RawFlags {
  const flags: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    if (key.flag === undefined) continue;
    const value = options[key.field];
    if (key.kind === 'boolean') {
      if (value === true) flags[key.field] = true;
    } else if (key.kind === 'list' || key.kind === 'commands') {
      if (Array.isArray(value)) flags[key.field] = value;
    } else if (typeof value === 'string') {
      flags[key.field] = value;
    }
  }
  return flags as RawFlags;
}
