import { CERTIFICATE_KEY_TYPES as ACME_KEY_TYPES } from '../../../src/acme';
import { CONFIG_GROUP_HEADINGS, CONFIG_KEYS, KEY_TYPES, SNAP_OPTION_KEYS } from '../../../src/config';
import { configSchema } from '../../../src/config/_schema';
import { CERTIFICATE_KEY_TYPES } from '../../../src/pem';

const defined = (values: (string | undefined)[]): string[] => values.filter((v): v is string => v !== undefined);

describe('CONFIG_KEYS', () => {
  test.each<[string, string[]]>([
    ['setting', CONFIG_KEYS.map((key) => key.field)],
    ['flag', defined(CONFIG_KEYS.flatMap((key) => [key.flag, key.shortFlag]))],
    ['environment variable', defined(CONFIG_KEYS.map((key) => key.env))],
    ['snap option', defined(CONFIG_KEYS.map((key) => key.snap))],
  ])('CONFIG_KEYS names each %s once', (_what, names) => {
    expect(new Set(names).size).toBe(names.length);
  });

  test('CONFIG_KEYS has a validation rule in the schema for every setting', () => {
    const shape = Object.keys(configSchema.in.shape);
    expect(CONFIG_KEYS.map((key) => key.field).filter((field) => !shape.includes(field))).toEqual([]);
  });

  test('CONFIG_KEYS keeps each help group together, in the order of CONFIG_GROUP_HEADINGS', () => {
    const groups = CONFIG_KEYS.map((key) => key.group).filter((group, i, all) => group !== all[i - 1]);
    expect(groups).toEqual(Object.keys(CONFIG_GROUP_HEADINGS));
  });

  test('CONFIG_KEYS gives a value name to every setting that takes a value, and to no boolean', () => {
    const wrong = CONFIG_KEYS.filter((key) => (key.kind === 'boolean') !== (key.valueName === undefined));
    expect(wrong.map((key) => key.field)).toEqual([]);
  });

  test('CONFIG_KEYS help texts start lower-case, as commander writes its own, and end without a period', () => {
    const wrong = CONFIG_KEYS.filter(
      (key) => /^[a-z]/.test(key.help) === false && !/^(ACME|HAProxy|PEM|DNS|TCP|Prometheus)\b/.test(key.help),
    );
    expect(wrong.map((key) => key.field)).toEqual([]);
    expect(CONFIG_KEYS.filter((key) => key.help.endsWith('.')).map((key) => key.field)).toEqual([]);
  });

  test('SNAP_OPTION_KEYS lists every snap option of CONFIG_KEYS, acme-node included', () => {
    expect(SNAP_OPTION_KEYS).toEqual(defined(CONFIG_KEYS.map((key) => key.snap)));
    expect(SNAP_OPTION_KEYS).toContain('acme-node');
  });
});

describe('KEY_TYPES', () => {
  test('KEY_TYPES is the one list of key types: pem CERTIFICATE_KEY_TYPES, which acme re-exports', () => {
    expect(KEY_TYPES).toBe(CERTIFICATE_KEY_TYPES);
    expect(ACME_KEY_TYPES).toBe(CERTIFICATE_KEY_TYPES);
    expect(CONFIG_KEYS.find((key) => key.field === 'keyType')?.choices).toBe(CERTIFICATE_KEY_TYPES);
  });
});
