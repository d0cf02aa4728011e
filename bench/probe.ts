// One benchmark contender, run as its own process so its memory is measured alone:
//   probe decode FILE   decoding only (every SIP message found, then dropped)
//   probe analyze FILE  decoding and the whole analysis, kept as `sipladder analyze --json` keeps
//                       it (analyzeCapture: every call's records, no message), without writing
//                       the document
//   probe report FILE   decoding and the whole analysis as `sipladder analyze` runs it for its
//                       text report (a digest per message; of the analysis, what the report shows:
//                       ReportCollector), the report made but not printed
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
  const { analyzeCaptureInto } = await import('../src/index.js');
  const { MessageDigests } = await import('../src/views/message-digests.js');
  const { renderTextReport, ReportCollector } = await import('../src/views/text-report.js');
  const digests = new MessageDigests();
  const collector = new ReportCollector();
  const decode = await analyzeCaptureInto(file, collector, {
    message(m) {
      countBody(m);
      digests.add(m);
    },
  });
  const analysis = collector.report();
  const { info } = decode;
  renderTextReport({
    file: { name: file, format: info.format, linkTypes: info.linkTypes, packets: info.packets, bytes: info.bytes },
    warnings: decode.warnings,
    messages: digests,
    analysis,
  });
  report(decode.messages, info.packets, null, analysis.anomalies.length);
}

function report(messages: number, packets: number, calls: number | null, anomalies: number | null): void {
  process.stdout.write(JSON.stringify({ messages, packets, bodyBytes, calls, anomalies }) + '\n');
}
