import { MemoryChallengeTokenRegistry } from '../../../src/challenge';
import { describeRegistryContract } from '../../contract/tokenRegistryContract';

describeRegistryContract('MemoryChallengeTokenRegistry', async () => new MemoryChallengeTokenRegistry());

test('MemoryChallengeTokenRegistry instances do not share tokens', async () => {
  const a = new MemoryChallengeTokenRegistry();
  await a.add('A'.repeat(16), 'x');
  await expect(new MemoryChallengeTokenRegistry().get('A'.repeat(16))).resolves.toBeUndefined();
});
