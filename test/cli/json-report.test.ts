// The --json document's writer: messages written as they come, then the rest; and the signal
// with which a slow reader of the document holds the decoding back.
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/index.js';
import { JsonReportWriter } from '../../src/views/json-report.js';

const trace = new URL('../../traces/call-basic-udp.pcapng', import.meta.url).pathname;

/** A Writable that keeps what it is given, taking `delayMs` over each write. */
function slowSink(delayMs: number, highWaterMark: number): { out: Writable; text: () => string } {
  const parts: string[] = [];
  const out = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, done) {
      parts.push(chunk.toString());
      setTimeout(done, delayMs);
    },
  });
  return { out, text: () => parts.join('') };
}

describe('JsonReportWriter', () => {
  it('writes one document: the messages with their links, then the analysis', async () => {
    const { out, text } = slowSink(0, 1 << 20);
    const writer = new JsonReportWriter(out);
    const { decode, analysis } = await analyzeCapture(trace, { message: (m, link) => writer.message(m, link) });
    await writer.end({ fileName: 'call-basic-udp.pcapng', info: decode.info, warnings: decode.warnings, analysis });
    out.end();
    await once(out, 'finish');
    const doc = JSON.parse(text()) as { messages: { id: number; transaction: number | null }[]; calls: unknown[]; file: { name: string } };
    expect(Object.keys(doc)).toEqual(['messages', 'file', 'warnings', 'transactions', 'dialogs', 'calls', 'registrations', 'anomalies', 'stats']);
    expect(doc.messages.map((m) => m.id)).toEqual(Array.from({ length: decode.messages }, (_, i) => i));
    expect(doc.messages[0]!.transaction).toBe(0);
    expect(doc.calls).toHaveLength(1);
    expect(doc.file.name).toBe('call-basic-udp.pcapng');
  });

  it('asks the reading to wait while its output has not drained, and lets it go once it has', async () => {
    const { out } = slowSink(20, 16);
    const writer = new JsonReportWriter(out);
    expect(writer.drained()).toBeNull();
    out.write('x'.repeat(64));
    const wait = writer.drained();
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(out.writableNeedDrain).toBe(false);
  });

  it('does not hold the reading forever on an output that was closed', async () => {
    const { out } = slowSink(1000, 16);
    const writer = new JsonReportWriter(out);
    out.write('x'.repeat(64));
    const wait = writer.drained();
    out.destroy();
    await wait;
    expect(writer.drained()).toBeNull();
  });
});
