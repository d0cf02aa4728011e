// One benchmark contender, run as its own process so its memory is measured alone:
//   probe decode FILE   decoding only (every SIP message found, then dropped)
//   probe analyze FILE  decoding and the whole analysis, kept as `sipladder analyze --json` keeps
//                       it (analyzeCapture: every call's records, no message), without writing
//                       the document
//   probe report FILE   decoding and the whole analysis as `sipladder analyze` runs it for its
//                       text report (textReportOf: a digest per message and, of the analysis,
//                       what the report shows), the report made but not printed
import { decodeCapture } from '../src/pipeline.js';

const MODES = ['decode', 'analyze', 'report'];
const [mode, file] = process.argv.slice(2);
if (!MODES.includes(mode ?? '') || !file) {
  process.stderr.write(`usage: probe ${MODES.join('|')} FILE\n`);
  process.exit(2);
}
let bodyBytes = 0;
const countBody = (m: { bodyLength: number }) => {
  bodyBytes += m.bodyLength;
};
// The analysis and the views are loaded only to be run: decoding alone does not pay for compiling them.
if (mode === 'decode') {
  const result = await decodeCapture(file, { message: countBody });
  report(result.messages, result.info.packets, null, null);
} else if (mode === 'analyze') {
  const { analyzeCapture } = await import('../src/index.js');
  const { decode, analysis } = await analyzeCapture(file, { message: countBody });
  report(decode.messages, decode.info.packets, analysis.calls.length, analysis.anomalies.length);
} else {
  const { textReportOf } = await import('../src/index.js');
  const { decode, anomalies } = await textReportOf(file, file, { message: countBody });
  report(decode.messages, decode.info.packets, null, anomalies.length);
}

function report(messages: number, packets: number, calls: number | null, anomalies: number | null): void {
  process.stdout.write(JSON.stringify({ messages, packets, bodyBytes, calls, anomalies }) + '\n');
}
