import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * AES-256-GCM for secrets at rest (trunk and carrier passwords). Stored form:
 * `v1:<iv b64>:<tag b64>:<ciphertext b64>`.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the secrets key must be 32 bytes');
    this.key = key;
  }

  /** A copy of the key, for a worker thread that seals on this process's behalf (the bulk import's). */
  keyCopy(): Buffer {
    return Buffer.from(this.key);
  }

  seal(plaintext: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unrecognised sealed secret');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}

export function parseSecretKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('SWITCHBOARD_SECRET_KEY must be the base64 of exactly 32 bytes');
  return key;
}

/** The installation's secret key and where it came from (for messages about it). */
export interface SecretKey {
  key: Buffer;
  /** `SWITCHBOARD_SECRET_KEY`, or the key file's path. */
  source: string;
}

/** Where embedded mode keeps the key it generated: beside the database file. */
export function secretKeyFile(dataDir: string): string {
  return path.join(dataDir, 'secret.key');
}

/**
 * The configured key, or in embedded mode the key in `<dataDir>/secret.key`, generated on first
 * start (mode 0600). PostgreSQL installations must configure one explicitly: several instances
 * have to share it.
 */
export function resolveSecretKey(configured: string | undefined, dataDir: string | null): SecretKey {
  if (configured) return { key: parseSecretKey(configured), source: 'SWITCHBOARD_SECRET_KEY' };
  if (!dataDir) {
    throw new Error('SWITCHBOARD_SECRET_KEY is required with PostgreSQL (openssl rand -base64 32)');
  }
  const file = secretKeyFile(dataDir);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return { key: parseSecretKey(fs.readFileSync(file, 'utf8').trim()), source: file };
}

export function sha256Hex(value: string): string {
  // The one-shot form: no Hash object per call (every authenticated request hashes its key).
  return crypto.hash('sha256', value, 'hex');
}
