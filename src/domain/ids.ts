import { v7 as uuidv7 } from 'uuid';

/** Opaque, time-sortable ids (UUIDv7): sorting by id is sorting by creation time. */
export function newId(): string {
  return uuidv7();
}

export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const uuidRegex = new RegExp(UUID_PATTERN);

export function isId(value: string): boolean {
  return uuidRegex.test(value);
}
