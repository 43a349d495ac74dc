#!/usr/bin/env node
// `npm run bench [-- --quick]`: runs bench/main.ts through tsx's loader, like bin/switchboard.mjs.
import { register } from 'tsx/esm/api';

register();
await import('../bench/main.ts');
