import { join } from 'node:path';
import { sanitiseName } from '../_names';
import type { IssuedCertificate, IssuedCertificateStore } from '../_issued';

/** In-memory IssuedCertificateStore for tests; `failKeep` makes the next keep() fail with it. */
export class MemoryIssuedCertificateStore implements IssuedCertificateStore {
  readonly kept = new Map<string, IssuedCertificate>();
  failKeep: Error | undefined;

  constructor(private readonly home = '/memory') {}

  async keep(issued: IssuedCertificate): Promise<string> {
    const failure = this.failKeep;
    this.failKeep = undefined;
    if (failure !== undefined) throw failure;
    this.kept.set(sanitiseName(issued.name), structuredClone(issued));
    return this.path(issued.name);
  }

  async load(name: string): Promise<IssuedCertificate | undefined> {
    const issued = this.kept.get(sanitiseName(name));
    return issued === undefined ? undefined : structuredClone(issued);
  }

  async discard(name: string): Promise<void> {
    this.kept.delete(sanitiseName(name));
  }

  async listNames(): Promise<string[]> {
    return [...this.kept.keys()].sort();
  }

  /** `<home>/issued/<name>.json`, like the file layout (nothing is written there). */
  path(name: string): string {
    return join(this.home, 'issued', `${sanitiseName(name)}.json`);
  }
}
