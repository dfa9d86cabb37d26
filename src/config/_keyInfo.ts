import type { ConfigField } from './_types';

/**
 * How a setting's values are read: `text` one value (a repeated flag: the last wins); `list` a list
 * (flags repeatable and split on commas, environment and snap options on commas and white space);
 * `commands` a list of commands, never split (one per flag, one in the environment, one or a JSON
 * list as a snap option); `boolean` a flag without a value, true/false/1/0/yes/no elsewhere.
 */
export type ConfigKind = 'text' | 'list' | 'commands' | 'boolean';

/** Which heading `--help` lists an option under; the table keeps each group's rows together. */
export type ConfigGroup = 'common' | 'cluster' | 'certificate' | 'haproxy' | 'output';

/** The `--help` heading of each group, in the order the table lists them. */
export const CONFIG_GROUP_HEADINGS: Readonly<Record<ConfigGroup, string>> = Object.freeze({
  common: 'Common options:',
  cluster: 'Cluster options (several HAProxy nodes, one store):',
  certificate: 'Certificate options:',
  haproxy: 'HAProxy options:',
  output: 'Output options:',
});

/** One row of the configuration table: names in every source, kind, default and help text. */
export interface ConfigKeyInfo {
  /** The setting, as named in RawFlags (plus `staging`); commander's attribute name for the flag. */
  readonly field: ConfigField;
  /** Long command-line flag, e.g. `--http-port`; undefined when there is none. */
  readonly flag: string | undefined;
  /** Short flag alias, e.g. `-v`. */
  readonly shortFlag: string | undefined;
  /** Placeholder for the flag's value, e.g. `PORT`; undefined for a `boolean` setting. */
  readonly valueName: string | undefined;
  /** Environment variable, e.g. `ACME_PORT`. */
  readonly env: string | undefined;
  /** Snap option read with `snapctl get`, e.g. `acme-port`. */
  readonly snap: string | undefined;
  readonly kind: ConfigKind;
  readonly group: ConfigGroup;
  /** The only values the flag accepts (checked by the flag parser too). */
  readonly choices: readonly string[] | undefined;
  /**
   * The value used when no source sets the setting, as a flag would give it; undefined when there is
   * none or it is computed (`home` from `$SNAP_COMMON`, `node` from the host name).
   */
  readonly defaultValue: string | boolean | undefined;
  /** The default for people (Markdown: `code` in back-ticks). */
  readonly defaultText: string;
  /** Help text, lower-case first like commander's own (Markdown: `code` in back-ticks). */
  readonly help: string;
  /** Appended to the help text in docs/configuration.md only, e.g. a link to its section. */
  readonly docsNote: string | undefined;
}

type Optional = 'shortFlag' | 'valueName' | 'env' | 'snap' | 'flag' | 'kind' | 'choices' | 'defaultValue' | 'docsNote';
type Row = Omit<ConfigKeyInfo, Optional> & Partial<Pick<ConfigKeyInfo, Optional>>;

/** A frozen row with every optional column filled in; `kind` defaults from `valueName`. */
export function row(r: Row): ConfigKeyInfo {
  return Object.freeze({
    flag: undefined,
    shortFlag: undefined,
    valueName: undefined,
    env: undefined,
    snap: undefined,
    kind: r.valueName === undefined ? 'boolean' : 'text',
    choices: undefined,
    defaultValue: undefined,
    docsNote: undefined,
    ...r,
  });
}
