import type { Database } from '../db/database.ts';
import type { SecretBox } from '../domain/secrets.ts';

/** What is sealed in the check row; any fixed text does, the cipher's tag is what tells the keys apart. */
const CHECK_TEXT = 'switchboard secret key check';

export class WrongSecretKeyError extends Error {
  constructor(keySource: string) {
    super(
      `the secret key (${keySource}) does not open the secrets stored in this database: they were sealed with another key.\n` +
        '  Start with the key this installation was created with: SWITCHBOARD_SECRET_KEY (the same on every instance),\n' +
        '  or on embedded SQLite without it, the secret.key file that was beside the database file.',
    );
  }
}

/**
 * Refuses a start whose secret key is not the installation's. A wrong key would otherwise go
 * unnoticed until the first call that needs a trunk or carrier password, or the first signed
 * webhook, which would then fail (and a second PostgreSQL instance started with a different key
 * would fail only the calls it happens to serve). Typical causes: a restored SQLite backup
 * without its `secret.key`, an instance given a freshly generated key.
 *
 * The first start seals a known text in `secret_key_check`. Installations from before that
 * table are checked once against a password they already hold (the small tables first; the
 * numbers only when those hold none), then get the row. Two instances starting together insert
 * the same kind of row; the first wins and both check against it.
 */
export async function checkSecretKey(database: Database, secrets: SecretBox, keySource: string, now: () => Date = () => new Date()): Promise<void> {
  const db = database.db;
  // AES-GCM: another key fails the tag check, and `open` throws.
  const opens = (sealed: string): boolean => {
    try {
      secrets.open(sealed);
      return true;
    } catch {
      return false;
    }
  };
  let check = await db.selectFrom('secret_key_check').select('sealed').where('id', '=', 1).executeTakeFirst();
  if (check === undefined) {
    const held = await anySealedSecret(database);
    if (held !== null && !opens(held)) throw new WrongSecretKeyError(keySource);
    await db
      .insertInto('secret_key_check')
      .values({ id: 1, sealed: secrets.seal(CHECK_TEXT), created_at: now().toISOString() })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    check = await db.selectFrom('secret_key_check').select('sealed').where('id', '=', 1).executeTakeFirstOrThrow();
  }
  if (!opens(check.sealed)) throw new WrongSecretKeyError(keySource);
}

/** One value sealed before the check row existed, or null when the store holds none. */
async function anySealedSecret({ db }: Database): Promise<string | null> {
  const settings = await db.selectFrom('workspace_settings').select('signing_secret').where('signing_secret', 'is not', null).limit(1).executeTakeFirst();
  if (settings?.signing_secret) return settings.signing_secret;
  const carrier = await db
    .selectFrom('carriers')
    .select(['register_password', 'inbound_auth_password'])
    .where((eb) => eb.or([eb('register_password', 'is not', null), eb('inbound_auth_password', 'is not', null)]))
    .limit(1)
    .executeTakeFirst();
  if (carrier) return carrier.register_password ?? carrier.inbound_auth_password;
  const number = await db.selectFrom('phone_numbers').select('sip_auth_password').where('sip_auth_password', 'is not', null).limit(1).executeTakeFirst();
  return number?.sip_auth_password ?? null;
}
