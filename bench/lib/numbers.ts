/**
 * Distinct, valid US numbers by index, so the bench can seed a million numbers and later write
 * fresh ones without ever asking the store what is taken. Area codes × exchanges 200-999 × lines
 * 0000-9999: 30 × 800 × 10,000 = 240 million numbers, every one valid for libphonenumber (checked
 * once at start, see `assertValidSample`).
 */
import { isValidNumber } from '../../src/domain/phone.ts';

const AREA_CODES = [
  415, 212, 312, 646, 718, 213, 310, 617, 202, 305, 404, 206, 512, 303, 702, 602, 469, 214, 713, 832, 917, 347, 929, 628, 510, 408, 650,
  925, 619, 858,
];
const PER_AREA = 800 * 10_000;
export const NUMBER_SPACE = AREA_CODES.length * PER_AREA;

export function benchNumber(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= NUMBER_SPACE) throw new Error(`bench number index ${index} out of range`);
  const area = AREA_CODES[Math.floor(index / PER_AREA)]!;
  const within = index % PER_AREA;
  const exchange = 200 + Math.floor(within / 10_000);
  const line = within % 10_000;
  return `+1${area}${exchange}${String(line).padStart(4, '0')}`;
}

/** Fails loudly if a libphonenumber metadata update made part of the space invalid. */
export function assertValidSample(): void {
  for (let index = 0; index < NUMBER_SPACE; index += 9_973 * 7) {
    const number = benchNumber(index);
    if (!isValidNumber(number)) throw new Error(`bench number ${number} is not valid for libphonenumber; adjust bench/lib/numbers.ts`);
  }
}

/** Where fresh numbers for write scenarios start; seeds use [0, size). */
export const WRITE_SPACE_START = 100_000_000;
