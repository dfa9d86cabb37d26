/**
 * Starts a set of real test peers (pebble + its DNS + HAProxy on loopback), prints their
 * description as JSON on stdout, and stops them on SIGINT/SIGTERM. For manual work:
 *
 *   npx tsx scripts/demo-peers.ts [--nonce-reject <percent>] [--log-dir <dir>]
 */
import { findMissingPeerBinaries, startPeers, type StartPeersOptions } from '../test/peers';

/** Parses the two optional flags; exits 2 on anything else. */
function parseArgs(argv: string[]): StartPeersOptions {
  const options: StartPeersOptions = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--nonce-reject' && value !== undefined && /^\d{1,3}$/.test(value) && Number(value) <= 100) {
      options.nonceRejectPercent = Number(value);
    } else if (flag === '--log-dir' && value !== undefined) {
      options.logDir = value;
    } else {
      process.stderr.write(
        `Cannot parse arguments: unexpected "${flag}"; usage: demo-peers.ts [--nonce-reject <0-100>] [--log-dir <dir>]\n`,
      );
      process.exit(2);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const missing = findMissingPeerBinaries();
  if (missing.length > 0) {
    process.stderr.write(
      `Cannot start the peers: missing ${missing.map((n) => `"${n}"`).join(', ')}; install with \`apt-get install pebble haproxy openssl\`\n`,
    );
    process.exit(1);
  }
  const startedAt = Date.now();
  const peers = await startPeers(options);
  const { fetchIssuanceRoots: _fetch, stop, ...description } = peers;
  process.stdout.write(`${JSON.stringify({ ...description, startupMs: Date.now() - startedAt }, null, 2)}\n`);
  process.stderr.write('Peers are running; press Ctrl-C to stop them\n');
  const shutdown = (signal: NodeJS.Signals): void => {
    process.stderr.write(`Received ${signal}: stopping the peers\n`);
    void stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
