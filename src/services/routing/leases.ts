/** A reported call holding one concurrency slot of its number and of its workspace until `expiresMs`. */
export interface Lease {
  workspaceId: string;
  callId: string;
  numberId: string;
  expiresMs: number;
}

/**
 * The live leases, in memory, counted per number and per workspace. Expired leases are
 * dropped as they are counted, so a crashed runtime's calls stop counting once their lease ends.
 */
export class LeaseBook {
  private readonly byKey = new Map<string, Lease>();
  private readonly byNumber = new Map<string, Set<Lease>>();
  private readonly byWorkspace = new Map<string, Set<Lease>>();

  put(lease: Lease): void {
    this.drop(lease.workspaceId, lease.callId);
    this.byKey.set(keyOf(lease.workspaceId, lease.callId), lease);
    addTo(this.byNumber, lease.numberId, lease);
    addTo(this.byWorkspace, lease.workspaceId, lease);
  }

  drop(workspaceId: string, callId: string): void {
    const key = keyOf(workspaceId, callId);
    const lease = this.byKey.get(key);
    if (!lease) return;
    this.byKey.delete(key);
    removeFrom(this.byNumber, lease.numberId, lease);
    removeFrom(this.byWorkspace, lease.workspaceId, lease);
  }

  /** Replaces everything known about these numbers' leases with `leases` (a reload from the store). */
  replaceForNumbers(numberIds: Iterable<string>, leases: Lease[]): void {
    for (const id of numberIds) {
      for (const lease of [...(this.byNumber.get(id) ?? [])]) this.drop(lease.workspaceId, lease.callId);
    }
    for (const lease of leases) this.put(lease);
  }

  onNumber(numberId: string, nowMs: number): number {
    return this.countLive(this.byNumber.get(numberId), nowMs);
  }

  inWorkspace(workspaceId: string, nowMs: number): number {
    return this.countLive(this.byWorkspace.get(workspaceId), nowMs);
  }

  private countLive(set: Set<Lease> | undefined, nowMs: number): number {
    if (!set) return 0;
    let live = 0;
    for (const lease of [...set]) {
      if (lease.expiresMs > nowMs) live++;
      else this.drop(lease.workspaceId, lease.callId);
    }
    return live;
  }
}

function keyOf(workspaceId: string, callId: string): string {
  return `${workspaceId}\0${callId}`;
}

function addTo(map: Map<string, Set<Lease>>, key: string, lease: Lease): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(lease);
}

function removeFrom(map: Map<string, Set<Lease>>, key: string, lease: Lease): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(lease);
  if (set.size === 0) map.delete(key);
}
