// One benchmark contender, run as its own process so its memory is measured alone:
//   probe decode FILE   decoding only (every SIP message found, then dropped)
//   probe analyze FILE  decoding and the whole analysis (messages kept only as analysis records)
import { decodeCapture } from '../src/pipeline.js';

const [mode, file] = process.argv.slice(2);
if ((mode !== 'decode' && mode !== 'analyze') || !file) {
  process.stderr.write('usage: probe decode|analyze FILE\n');
  process.exit(2);
}
// The analysis is loaded only to be run: decoding alone does not pay for compiling it.
const analyzer = mode === 'analyze' ? new (await import('../src/analysis/index.js')).Analyzer() : null;
let bodyBytes = 0;
const result = await decodeCapture(file, {
  message(m) {
    bodyBytes += m.bodyLength;
    analyzer?.add(m);
  },
});
const analysis = analyzer?.finish(result.lastTime);
process.stdout.write(JSON.stringify({
  messages: result.messages,
  packets: result.info.packets,
  bodyBytes,
  calls: analysis?.calls.length ?? null,
  anomalies: analysis?.anomalies.length ?? null,
}) + '\n');
