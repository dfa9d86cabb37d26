/** MemoryLocalBundles: this node's HAProxy bundles as a map, for tests of other modules. */
import { join } from 'node:path';
import { sanitiseName } from '../_names';
import { bundleOf } from '../_prepare';
import type { CertificateStore, LocalBundles, StoredCertificate } from '../_types';

/** Options of MemoryLocalBundles. */
export interface MemoryLocalBundlesOptions {
  /** Read by reconcile(). Default: none (reconcile() then only counts). */
  store?: Pick<CertificateStore, 'listCertificateNames' | 'loadCertificate'>;
  /** Paths are `<home>/haproxy/<name>.pem`, like the file layout. Default: `/memory`. */
  home?: string;
}

/** In-memory LocalBundles for tests: `bundles` maps the path to its text; `reconciles` counts reconcile() calls. */
export class MemoryLocalBundles implements LocalBundles {
  readonly bundles = new Map<string, string>();
  reconciles = 0;
  /** Makes the next write() fail with it. */
  failWrite: Error | undefined;

  constructor(private readonly options: MemoryLocalBundlesOptions = {}) {}

  /** @throws ConfigError for an unsafe name */
  pathOf(name: string): string {
    return join(this.options.home ?? '/memory', 'haproxy', `${sanitiseName(name)}.pem`);
  }

  async write(stored: StoredCertificate, options: { signal?: AbortSignal } = {}): Promise<string> {
    options.signal?.throwIfAborted();
    const failure = this.failWrite;
    this.failWrite = undefined;
    if (failure !== undefined) throw failure;
    const path = this.pathOf(stored.meta.name);
    this.bundles.set(path, bundleOf(stored));
    return path;
  }

  async remove(name: string): Promise<boolean> {
    return this.bundles.delete(this.pathOf(name));
  }

  async reconcile(names?: string[]): Promise<string[]> {
    this.reconciles += 1;
    const store = this.options.store;
    if (store === undefined) return [];
    const rewritten: string[] = [];
    for (const name of names ?? (await store.listCertificateNames())) {
      const stored = await store.loadCertificate(name).catch(() => undefined);
      if (stored === undefined || this.bundles.get(this.pathOf(name)) === bundleOf(stored)) continue;
      await this.write(stored);
      rewritten.push(sanitiseName(name));
    }
    return rewritten;
  }
}
