import {
  checkExpectedRevision,
  revisionConflict,
  UNCOUNTED_REVISION,
  type RenewalState,
  type RenewalStateStore,
  type Revisioned,
  type RevisionedSaveOptions,
} from '../_renewal-state';

/** In-memory RenewalStateStore for tests; `states` holds the values (delete one to forget it). */
export class MemoryRenewalStateStore implements RenewalStateStore {
  readonly states = new Map<string, RenewalState>();
  private readonly revisions = new Map<string, number>();

  async load(name: string): Promise<Revisioned<RenewalState>> {
    const value = this.states.get(name);
    return value === undefined
      ? { value: {}, revision: 0 }
      : { value: structuredClone(value), revision: this.revisionOf(name) };
  }

  async save(name: string, value: RenewalState, options: RevisionedSaveOptions): Promise<number> {
    const where = `memory:renewal/${name}`;
    checkExpectedRevision(options.expectedRevision, where);
    options.signal?.throwIfAborted();
    const revision = this.states.has(name) ? this.revisionOf(name) : 0;
    if (revision !== options.expectedRevision) throw revisionConflict(where, options.expectedRevision, revision);
    this.states.set(name, structuredClone(value));
    this.revisions.set(name, revision + 1);
    return revision + 1;
  }

  private revisionOf(name: string): number {
    return this.revisions.get(name) ?? UNCOUNTED_REVISION;
  }
}
