// The server's default limits, in a module of their own so that the CLI can show them in
// `sipladder serve --help` without loading the server.

/** Largest upload accepted. */
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
/** Uploads received at once. */
export const DEFAULT_MAX_CONCURRENT_UPLOADS = 8;
/** Analyses run at once, each in a worker thread (the machine's cores are the real bound). */
export const DEFAULT_MAX_CONCURRENT_ANALYSES = 2;
/** Analyses waiting beyond which uploads are refused. */
export const DEFAULT_MAX_QUEUED_ANALYSES = 32;
/** A request body that receives nothing for this long is answered 408. */
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;
