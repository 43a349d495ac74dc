import type { PhoneNumber } from './phone-numbers/model.ts';

export interface NumberChange {
  /** The record before the change (null on create). */
  before: PhoneNumber | null;
  /** The record after the change (null on delete). */
  after: PhoneNumber | null;
}

/**
 * In-process notification of committed changes. Listeners run synchronously after the commit
 * and before the service call returns, so an in-memory index (routing) is never behind the
 * response the client receives.
 */
export class ChangeFeed {
  private readonly numberListeners: Array<(changes: NumberChange[]) => void> = [];

  onNumbers(listener: (changes: NumberChange[]) => void): () => void {
    this.numberListeners.push(listener);
    return () => {
      const index = this.numberListeners.indexOf(listener);
      if (index >= 0) this.numberListeners.splice(index, 1);
    };
  }

  publishNumbers(changes: NumberChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.numberListeners) listener(changes);
  }
}
