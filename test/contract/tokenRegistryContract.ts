/**
 * The ChallengeTokenRegistry contract as a reusable suite: every backend's test file calls
 * describeRegistryContract() with a factory for a fresh, empty registry.
 */
import type { ChallengeTokenRegistry } from '../../src/challenge';
import { ChallengeError } from '../../src/errors';
import { KEY_AUTHORIZATION, TOKEN } from '../unit/challenge/_http';

/** Registers the contract tests for one ChallengeTokenRegistry backend. */
export function describeRegistryContract(name: string, factory: () => Promise<ChallengeTokenRegistry>): void {
  describe(`${name} (ChallengeTokenRegistry contract)`, () => {
    let registry: ChallengeTokenRegistry;
    beforeEach(async () => {
      registry = await factory();
    });

    test('get() returns the key authorization of an added token', async () => {
      await registry.add(TOKEN, KEY_AUTHORIZATION);
      await expect(registry.get(TOKEN)).resolves.toBe(KEY_AUTHORIZATION);
    });

    test('get() returns undefined for a token never added', async () => {
      await expect(registry.get('AAAAAAAAAAAAAAAAAAAAAA')).resolves.toBeUndefined();
    });

    test('get() returns undefined after remove()', async () => {
      await registry.add(TOKEN, KEY_AUTHORIZATION);
      await registry.remove(TOKEN);
      await expect(registry.get(TOKEN)).resolves.toBeUndefined();
    });

    test('add() replaces the key authorization of a token added before', async () => {
      await registry.add(TOKEN, 'first');
      await registry.add(TOKEN, KEY_AUTHORIZATION);
      await expect(registry.get(TOKEN)).resolves.toBe(KEY_AUTHORIZATION);
    });

    test('tokens are independent', async () => {
      const other = `${TOKEN.slice(0, -1)}x`;
      await registry.add(TOKEN, KEY_AUTHORIZATION);
      await registry.add(other, 'other');
      await registry.remove(other);
      await expect(Promise.all([registry.get(TOKEN), registry.get(other)])).resolves.toEqual([
        KEY_AUTHORIZATION,
        undefined,
      ]);
    });

    test('remove() succeeds for an unknown or malformed token', async () => {
      await expect(Promise.all([registry.remove(TOKEN), registry.remove('../x')])).resolves.toEqual([
        undefined,
        undefined,
      ]);
    });

    test.each([
      [
        'too short (15)',
        'A'.repeat(15),
        'Cannot present HTTP-01 token "AAAAAAAAAAAAAAA": it is not base64url of 16 to 128 characters',
      ],
      [
        'dot-dot',
        '../../etc/passwd',
        'Cannot present HTTP-01 token "../../etc/passwd": it is not base64url of 16 to 128 characters',
      ],
      [
        'percent-encoded',
        '%2e%2e%2fAAAAAAAAAAAAAAA',
        'Cannot present HTTP-01 token "%2e%2e%2fAAAAAAAAAAAAAAA": it is not base64url of 16 to 128 characters',
      ],
      [
        'base64 padding',
        `${'A'.repeat(20)}==`,
        `Cannot present HTTP-01 token "${'A'.repeat(20)}==": it is not base64url of 16 to 128 characters`,
      ],
      [
        'newline',
        `${'A'.repeat(16)}\n`,
        `Cannot present HTTP-01 token "${'A'.repeat(16)}\\n": it is not base64url of 16 to 128 characters`,
      ],
      ['empty', '', 'Cannot present HTTP-01 token "": it is not base64url of 16 to 128 characters'],
      [
        'too long (129)',
        'A'.repeat(129),
        `Cannot present HTTP-01 token "${'A'.repeat(64)}…": it is not base64url of 16 to 128 characters`,
      ],
    ])('add() rejects a token that is %s', async (_label, token, message) => {
      const added = registry.add(token, KEY_AUTHORIZATION);
      await expect(added).rejects.toThrow(ChallengeError);
      await expect(added).rejects.toMatchObject({ code: 'CHALLENGE_INVALID', message });
    });

    test.each([
      ['of 16 characters', 'A'.repeat(16)],
      ['of 128 characters', 'A'.repeat(128)],
      ['using the whole base64url alphabet', 'azAZ09-_azAZ09-_'],
    ])('add() accepts a token %s', async (_label, token) => {
      await registry.add(token, KEY_AUTHORIZATION);
      await expect(registry.get(token)).resolves.toBe(KEY_AUTHORIZATION);
    });

    test.each([
      ['dot-dot', '../x'],
      ['too long', 'A'.repeat(129)],
      ['empty', ''],
      ['percent-encoded', '%41'.repeat(8)],
    ])('get() returns undefined for a malformed token (%s)', async (_label, token) => {
      await expect(registry.get(token)).resolves.toBeUndefined();
    });
  });
}
