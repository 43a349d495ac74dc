import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it holds (a release runs after the delete's response). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

/** Fresh San Francisco numbers (valid for libphonenumber) from a block of its own per test file. */
export function sfNumbers(block: number): () => string {
  let serial = 0;
  return () => `+1415${String(block + ++serial * 7).padStart(7, '0')}`;
}
