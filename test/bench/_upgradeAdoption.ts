/**
 * Part 1 of the upgrade benchmark: a lego home of N locally signed certificates adopted in place
 * by `acme renew --json` (the first run adopts, the second finds nothing to adopt and nothing
 * due), side by side with `acme import lego --path <copy>` into a fresh home (and that import run
 * again). Each run is the built CLI under /usr/bin/time; the checks fail the scenario: every
 * certificate listed with lego's serial and `adoptedFrom: "lego"`, lego's account URL adopted,
 * nothing renewed, and not one order placed at pebble.
 */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Peers } from '../peers';
import { cliArguments } from './_cli';
import { legoServerFolder, writeLegoHome, type LegoAccountFiles } from './_legoLayout';
import type { LocalCa } from './_localCerts';
import { rssRunOk, type Budget, type RssRun } from './_rssRun';

/** One CLI run's cost, and the warnings it logged. */
export interface StepCost {
  wallMs: number;
  maxRssKb: number;
  warnings: number;
  /** The first warning line, cut at 300 characters. */
  firstWarning?: string;
}

/** What one home size measured. */
export interface AdoptionResult {
  certificates: number;
  /** Writing the synthetic lego home (not a measurement of either tool). */
  generateMs: number;
  /** `acme renew --json` in the lego home: adopts the account and every certificate. */
  renewAdopting: StepCost;
  /** The same command again: nothing to adopt, nothing due. */
  renewAgain: StepCost;
  /** `acme import lego --path <copy> --json` into a fresh home. */
  importFresh: StepCost;
  /** The same import again: everything already imported. */
  importAgain: StepCost;
  /** Orders pebble received during the four runs (must be 0). */
  orders: number;
}

/** What the adoption part needs from the scenario. */
export interface AdoptionContext {
  peers: Peers;
  work: string;
  /** lego's account, registered at this pebble by a real lego run. */
  account: LegoAccountFiles;
  ca: LocalCa;
  ordersPlaced: () => Promise<number>;
  budget: Budget;
}

interface Listed {
  name: string;
  serial: string;
  adoptedFrom: string | null;
}

function cost(run: RssRun): StepCost {
  const warnings = run.stderr.split('\n').filter((line) => line.startsWith('warn ') || line.includes('"level":"warn"'));
  return {
    wallMs: run.wallMs,
    maxRssKb: run.maxRssKb,
    warnings: warnings.length,
    ...(warnings[0] === undefined ? {} : { firstWarning: warnings[0].slice(0, 300) }),
  };
}

function cli(args: string[], budget: Budget): Promise<RssRun> {
  return rssRunOk(process.execPath, cliArguments(args), { timeoutMs: Math.min(300_000, budget.leftMs()) });
}

/** Throws with every difference between what --home lists and lego's certificates. */
async function checkListed(
  context: AdoptionContext,
  home: string,
  crtList: string,
  serials: Map<string, string>,
  step: string,
): Promise<void> {
  const { peers } = context;
  const run = await cli(
    [
      'list',
      '--json',
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--haproxy-crt-list',
      crtList,
    ],
    context.budget,
  );
  const listed = (JSON.parse(run.stdout) as { certificates: Listed[] }).certificates;
  const wrong = listed
    .filter((c) => serials.get(c.name) !== c.serial || c.adoptedFrom !== 'lego')
    .map((c) => `${c.name} ${c.serial} from ${c.adoptedFrom}`);
  const seen = new Set(listed.map((c) => c.name));
  const missing = [...serials.keys()].filter((name) => !seen.has(name));
  const account = JSON.parse(
    await readFile(join(home, 'accounts', legoServerFolder(peers.directoryUrl), 'dir', 'account.json'), 'utf8'),
  ) as { accountUrl?: string };
  const problems = [
    ...(listed.length === serials.size ? [] : [`${listed.length} listed, ${serials.size} in lego's home`]),
    ...(missing.length === 0 ? [] : [`not adopted: ${missing.slice(0, 5).join(', ')}`]),
    ...(wrong.length === 0 ? [] : [`wrong serial or origin: ${wrong.slice(0, 5).join(', ')}`]),
    ...(account.accountUrl === context.account.accountUrl
      ? []
      : [`account "${account.accountUrl}", lego's is "${context.account.accountUrl}"`]),
  ];
  if (problems.length > 0)
    throw new Error(`Cannot accept ${step} of ${serials.size} lego certificates: ${problems.join('; ')}`);
}

/** Throws unless `acme renew --json` considered every certificate and renewed none. */
function checkRenewOutput(run: RssRun, size: number, step: string): void {
  const certificates = (JSON.parse(run.stdout) as { certificates: Array<{ name: string; renewed?: unknown }> })
    .certificates;
  const renewed = certificates.filter((c) => c.renewed !== undefined).map((c) => c.name);
  if (certificates.length !== size || renewed.length > 0) {
    throw new Error(
      `Cannot accept ${step}: it reported ${certificates.length} of ${size} certificates and renewed ${renewed.length} (${renewed.slice(0, 5).join(', ')})`,
    );
  }
}

/** Throws unless the import report's outcomes are all `expected`. */
function checkImportOutput(run: RssRun, size: number, expected: string, step: string): void {
  const outcomes = (
    JSON.parse(run.stdout) as { import: { certificates: Array<{ outcome: string }> } }
  ).import.certificates.map((c) => c.outcome);
  const other = outcomes.filter((outcome) => outcome !== expected);
  if (outcomes.length !== size || other.length > 0)
    throw new Error(
      `Cannot accept ${step}: ${outcomes.length} of ${size} certificates reported, outcomes other than "${expected}": ${[...new Set(other)].join(', ')}`,
    );
}

/** Builds a lego home of `size` certificates and measures adopting it in place and importing a copy of it. */
export async function benchAdoption(context: AdoptionContext, size: number): Promise<AdoptionResult> {
  const { peers, budget } = context;
  const dir = join(context.work, `adopt-${size}`);
  const pristine = join(dir, 'pristine');
  budget.check(`writing a lego home of ${size} certificates`);
  const generated = Date.now();
  const names = Array.from({ length: size }, (_, i) => `lego-${size}-${i}.bench.test`);
  const serials = await writeLegoHome(pristine, {
    account: context.account,
    ca: context.ca,
    names,
    now: new Date(),
    caOrigin: new URL(peers.directoryUrl).origin,
    parallel: 8,
  });
  const generateMs = Date.now() - generated;

  const home = join(dir, 'home');
  const legoCopy = join(dir, 'lego-copy');
  const fresh = join(dir, 'fresh');
  await cp(pristine, home, { recursive: true });
  await cp(pristine, legoCopy, { recursive: true });
  await mkdir(fresh, { mode: 0o700 });
  const crtLists = { home: join(dir, 'home-crt-list.txt'), fresh: join(dir, 'fresh-crt-list.txt') };
  await writeFile(crtLists.home, '', { mode: 0o600 });
  await writeFile(crtLists.fresh, '', { mode: 0o600 });
  const common = (at: string, crtList: string): string[] => [
    '--home',
    at,
    '--directory',
    peers.directoryUrl,
    '--ca-bundle',
    peers.caBundlePath,
    '--haproxy-crt-list',
    crtList,
  ];
  const ordersBefore = await context.ordersPlaced();

  budget.check(`acme renew adopting ${size}`);
  const renewAdopting = await cli(['renew', '--json', ...common(home, crtLists.home)], budget);
  checkRenewOutput(renewAdopting, size, `the first "acme renew" (adopting ${size})`);
  await checkListed(context, home, crtLists.home, serials, 'the in-place adoption');
  budget.check(`acme renew again over ${size}`);
  const renewAgain = await cli(['renew', '--json', ...common(home, crtLists.home)], budget);
  checkRenewOutput(renewAgain, size, `the second "acme renew" over ${size}`);
  if (/Imported (the lego account|a lego certificate)/.test(renewAgain.stderr))
    throw new Error(`Cannot accept the second "acme renew" over ${size}: it imported again`);

  budget.check(`acme import lego of ${size}`);
  const importFresh = await cli(
    ['import', 'lego', '--path', legoCopy, '--json', ...common(fresh, crtLists.fresh)],
    budget,
  );
  checkImportOutput(importFresh, size, 'imported', `"acme import lego" of ${size}`);
  await checkListed(context, fresh, crtLists.fresh, serials, '"acme import lego"');
  const importAgain = await cli(
    ['import', 'lego', '--path', legoCopy, '--json', ...common(fresh, crtLists.fresh)],
    budget,
  );
  checkImportOutput(importAgain, size, 'already-imported', `"acme import lego" of ${size} again`);

  const orders = (await context.ordersPlaced()) - ordersBefore;
  if (orders !== 0)
    throw new Error(
      `Cannot accept the adoption of ${size} lego certificates: pebble received ${orders} new orders, expected none`,
    );
  return {
    certificates: size,
    generateMs,
    renewAdopting: cost(renewAdopting),
    renewAgain: cost(renewAgain),
    importFresh: cost(importFresh),
    importAgain: cost(importAgain),
    orders,
  };
}
