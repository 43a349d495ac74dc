/**
 * The routing index load alone, in process: CPU time, wall time and the heap the finished index
 * holds (after a full GC), for a store that already has numbers.
 *
 *   node --expose-gc --import tsx bench/index-load.ts <DATABASE_URL> <SWITCHBOARD_SECRET_KEY>
 */
import { openDatabase } from '../src/db/database.ts';
import { SecretBox } from '../src/domain/secrets.ts';
import { ChangeFeed } from '../src/services/change-feed.ts';
import { RoutingService } from '../src/services/routing/service.ts';

const [databaseUrl, secretKey] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!databaseUrl || !secretKey || !gc) {
  process.stderr.write('usage: node --expose-gc --import tsx bench/index-load.ts <DATABASE_URL> <SWITCHBOARD_SECRET_KEY>\n');
  process.exit(2);
}
const database = await openDatabase(databaseUrl);
gc();
const heapBefore = process.memoryUsage().heapUsed;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const routing = new RoutingService({ database, secrets: new SecretBox(Buffer.from(secretKey, 'base64')) }, new ChangeFeed());
await routing.indexLoaded();
const cpu = process.cpuUsage(cpuBefore);
const wallMs = performance.now() - started;
const rssPeakMb = process.resourceUsage().maxRSS / 1024;
gc();
const megabytes = (bytes: number) => Math.round(bytes / 1048576);
process.stdout.write(
  `${JSON.stringify({
    numbers: routing.router.index.size,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    wallMs: Math.round(wallMs),
    indexHeapMb: megabytes(process.memoryUsage().heapUsed - heapBefore),
    rssPeakMb: Math.round(rssPeakMb),
  })}\n`,
);
await routing.stop();
await database.close();
