// One benchmark contender, run as its own process so its memory is measured alone:
//   probe decode FILE   decoding only (every SIP message found, then dropped)
//   probe analyze FILE  decoding and the whole analysis, kept as `sipladder analyze --json` keeps
//                       it (analyzeCapture: every call's records, no message), without writing
//                       the document (the text report keeps less: ReportCollector)
import { decodeCapture } from '../src/pipeline.js';

const [mode, file] = process.argv.slice(2);
if ((mode !== 'decode' && mode !== 'analyze') || !file) {
  process.stderr.write('usage: probe decode|analyze FILE\n');
  process.exit(2);
}
let bodyBytes = 0;
if (mode === 'decode') {
  const result = await decodeCapture(file, {
    message(m) {
      bodyBytes += m.bodyLength;
    },
  });
  report(result.messages, result.info.packets, null, null);
} else {
  // The analysis is loaded only to be run: decoding alone does not pay for compiling it.
  const { analyzeCapture } = await import('../src/index.js');
  const { decode, analysis } = await analyzeCapture(file, {
    message(m) {
      bodyBytes += m.bodyLength;
    },
  });
  report(decode.messages, decode.info.packets, analysis.calls.length, analysis.anomalies.length);
}

function report(messages: number, packets: number, calls: number | null, anomalies: number | null): void {
  process.stdout.write(JSON.stringify({ messages, packets, bodyBytes, calls, anomalies }) + '\n');
}
