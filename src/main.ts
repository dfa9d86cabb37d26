#!/usr/bin/env node
/**
 * Composition root: the only place that builds real adapters (clock, file storage, ACME client,
 * HTTP-01 responder, logger) and hands the real process to the CLI.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliDeps, type Services } from './cli';
import { systemClock } from './clock';
import { loadConfig, type Config } from './config';
import { createLogger, type Logger } from './log';
import {
  FileAccountKeyStage,
  FileCertificateArchive,
  FileCertificateStore,
  FileCrtList,
  FileDeployStateStore,
  FileLock,
  FileRenewalStateStore,
} from './storage';
import { CommandReloadFallback, HaproxyInstance, MasterReloadFallback } from './haproxy';
import { runPostRenewHooks, type ReloadFallback } from './issuance';
import { AcmeService } from './acme';
import { ChallengeResponder, MemoryChallengeTokenRegistry, formatListenAddress, preflightChallenge } from './challenge';

function readVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** The master socket's checked reload wins over the reload command, which may restart HAProxy. */
function createFallback(config: Config, logger: Logger): ReloadFallback | undefined {
  if (config.haproxy.masterSocket !== undefined) return new MasterReloadFallback({ endpoint: config.haproxy.masterSocket, logger });
  if (config.haproxy.reloadCommand !== undefined) {
    return new CommandReloadFallback({ argv: config.haproxy.reloadCommand, env: process.env, logger });
  }
  return undefined;
}

function createServices(config: Config, logger: Logger): Services {
  const caBundlePem = config.caBundlePath === undefined ? undefined : readFileSync(config.caBundlePath, 'utf8');
  const preflightUrl = config.preflightUrl;
  return {
    store: new FileCertificateStore({ home: config.home, clock: systemClock, logger }),
    deployState: new FileDeployStateStore({ home: config.home }),
    lock: new FileLock({
      path: join(config.home, 'lock'),
      clock: systemClock,
      logger,
      command: ['acme', ...process.argv.slice(2, 3)].join(' '),
    }),
    haproxyEndpoints: config.haproxy.sockets.map(
      (endpoint) => new HaproxyInstance({ endpoint, bufferSize: config.haproxy.bufferSize, logger }),
    ),
    crtList: config.haproxy.crtList === undefined ? undefined : new FileCrtList(config.haproxy.crtList),
    fallback: createFallback(config, logger),
    renewalState: new FileRenewalStateStore({ home: config.home }),
    runHooks: (certificate) =>
      runPostRenewHooks(certificate, {
        home: config.home,
        commands: config.deployHooks,
        baseEnv: process.env,
        timeoutMs: config.hookTimeoutMs,
        logger,
      }),
    random: Math.random,
    archive: new FileCertificateArchive({ home: config.home, clock: systemClock, logger }),
    accountKeyStage: new FileAccountKeyStage({ home: config.home }),
    acmeFor: (accountKeyPem) =>
      new AcmeService(accountKeyPem, {
        directoryUrl: config.directoryUrl,
        caBundlePem,
        requestTimeoutMs: config.requestTimeoutMs,
        externalAccountBinding: config.eab,
        logger,
      }),
    responder: new ChallengeResponder({
      address: config.httpAddress,
      registry: new MemoryChallengeTokenRegistry(),
      logger,
    }),
    preflight:
      preflightUrl === undefined
        ? undefined
        : (target) => preflightChallenge(target, { baseUrl: preflightUrl, logger, responderLabel: formatListenAddress(config.httpAddress) }),
  };
}

async function main(): Promise<void> {
  // `acme list | head` closes stdout early: that is the reader's choice, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const deps: CliDeps = {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTty: process.stderr.isTTY === true,
    clock: systemClock,
    version: readVersion(),
    createLogger,
    loadConfig: (flags) => loadConfig({ flags, env: process.env, cwd: process.cwd() }),
    createServices,
    runSelf: (args) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [__filename, ...args], { stdio: 'inherit' });
        child.once('error', () => resolve(1));
        child.once('exit', (code) => resolve(code ?? 1));
      }),
    waitForShutdown: () =>
      new Promise((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          resolve(signal);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      }),
  };
  // Set the exit code and let Node exit by itself, so that piped stderr (journald) is flushed.
  process.exitCode = await runCli(process.argv.slice(2), deps);
}

void main();
