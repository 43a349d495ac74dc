import type { Kysely } from 'kysely';

// Reserved slot; filled by the feature that owns it.
export async function up(_db: Kysely<unknown>): Promise<void> {}
