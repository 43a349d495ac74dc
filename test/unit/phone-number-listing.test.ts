import { expect, test } from 'vitest';
import { likePattern } from '../../src/services/phone-numbers/listing.ts';

test('a search text matches anywhere, with LIKE wildcards and the escape character taken literally', () => {
  expect(likePattern('415')).toBe('%415%');
  expect(likePattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
});
