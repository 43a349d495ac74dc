/**
 * The entry point of the bulk-import worker thread (src/services/phone-numbers/bulk-worker.ts):
 * the service's import loop, with the native API's bulk-body decoder for the bodies the route
 * hands over as bytes. Wired here, above both layers, as the runtime wires the main thread.
 */
import { decodeBulkBody, type BulkBodyRequest } from './http/native/bulk-body.ts';
import { serveBulkImports } from './services/phone-numbers/bulk-worker.ts';

await serveBulkImports((bytes, request) => decodeBulkBody(bytes, request as BulkBodyRequest));
