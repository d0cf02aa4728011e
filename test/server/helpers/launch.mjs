// Starts the compiled server with options the CLI does not offer (small upload limits,
// timeouts): `node launch.mjs '<ServerOptions as JSON>'`. Prints "listening on URL" like
// `sipladder serve`, and closes cleanly on SIGTERM.
import { startServer } from '../../../dist/server/index.js';

const server = await startServer(JSON.parse(process.argv[2]));
process.stdout.write(`listening on ${server.url}\n`);
process.once('SIGTERM', () => {
  server.close().then(() => process.exit(0), () => process.exit(1));
});
