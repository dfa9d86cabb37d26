/**
 * What a node id may be (pure): the name one HAProxy host goes by when several share a certificate
 * store, and the key its deploy state is kept under. One rule for `--node` and for every store.
 */

/** The longest node id. */
export const MAX_NODE_ID_CHARS = 64;

const NODE_ID_CHARACTER = /^[A-Za-z0-9._-]$/;
const NODE_ID_ENDS = /^[A-Za-z0-9](?:.*[A-Za-z0-9])?$/s;

/**
 * Says why `id` is not a node id, or returns undefined: 1 to 64 characters from A-Z, a-z, 0-9,
 * ".", "_" and "-", starting and ending with a letter or digit (so never ".", "..", "__proto__"
 * or a flag-like "-x"). Characters are checked one by one before anything lower-cases them:
 * "\u212A" (KELVIN SIGN) would otherwise become an ASCII "k". `quote` shows the refused character
 * (the config layer passes its own, which also escapes invisible characters).
 */
export function nodeIdProblem(
  id: string,
  quote: (character: string) => string = (character) => JSON.stringify(character),
): string | undefined {
  if (id === '') return 'expected a node name such as "haproxy-1"';
  const bad = [...id].find((char) => !NODE_ID_CHARACTER.test(char));
  if (bad !== undefined) {
    return `character ${quote(bad)} is not allowed; use letters, digits, ".", "_" and "-"`;
  }
  if (id.length > MAX_NODE_ID_CHARS) {
    return `the node name is ${id.length} characters long; the limit is ${MAX_NODE_ID_CHARS}`;
  }
  if (!NODE_ID_ENDS.test(id)) return 'the node name must start and end with a letter or a digit';
  return undefined;
}

/** True for a node id in the form it is stored: valid and lower-cased, as `--node` leaves it. */
export function isNodeId(id: unknown): id is string {
  return typeof id === 'string' && nodeIdProblem(id) === undefined && id === id.toLowerCase();
}
