/** See run-entry.mjs. */
export declare const RUN_ENTRY: string;
