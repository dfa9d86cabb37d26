/** The one node id rule that `--node` (config) and every deploy-state store (storage) check. */
import { isNodeId, nodeIdProblem } from '../../../src/nodeId';

describe('nodeIdProblem() and isNodeId()', () => {
  test.each<[unknown, boolean]>([
    ['haproxy-1', true],
    ['node.example.com', true],
    ['constructor', true],
    ['a'.repeat(64), true],
    ['HAProxy-1', false], // valid for --node, which lower-cases it; never stored like this
    ['a'.repeat(65), false],
    ['', false],
    ['-rf', false],
    ['__proto__', false],
    ['a/b', false],
    ['\u212Aelvin', false],
    [42, false],
    [undefined, false],
  ])('isNodeId(%j) is %s', (id, expected) => {
    expect(isNodeId(id)).toBe(expected);
  });

  test('nodeIdProblem() shows a refused character with the quote it is given', () => {
    expect([nodeIdProblem('a b'), nodeIdProblem('a b', (c) => `<${c}>`)]).toEqual([
      'character " " is not allowed; use letters, digits, ".", "_" and "-"',
      'character < > is not allowed; use letters, digits, ".", "_" and "-"',
    ]);
  });
});
