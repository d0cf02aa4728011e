// The `sipladder analyze --json` document (../shared/corpus/CONTRACT.md, docs/CLI.md), written
// piece by piece so a capture with millions of messages never becomes one giant string. The
// messages come first, each written as soon as it is decoded and placed in the analysis, so
// that none is kept; the rest follows once the capture has been read.
import type { Writable } from 'node:stream';
import type { MessageLink } from '../analysis/index.js';
import type { CaptureInfo, DecodeWarning, SipMessage, StreamedAnalysis } from '../model.js';

export interface JsonReportEnd {
  fileName: string;
  info: CaptureInfo;
  warnings: DecodeWarning[];
  analysis: StreamedAnalysis;
}

/** Text gathered before it is written: big enough that writing costs nothing per message. */
const WRITE_CHUNK = 1 << 20;

/** The per-message record of the JSON document: where, when, what, and how it links into the analysis. */
export function messageRecord(m: SipMessage, links: MessageLink | undefined): Record<string, unknown> {
  const r: Record<string, unknown> = {
    id: m.id,
    frame: m.frame,
    time: m.time,
    src: m.src,
    dst: m.dst,
    transport: m.transport,
  };
  if (m.frames.length > 1) r.frames = m.frames;
  if (m.isRequest) {
    r.method = m.method;
    r.requestUri = m.requestUri;
  } else {
    r.status = m.status;
    r.reason = m.reason;
  }
  r.callId = m.callId;
  r.cseq = m.cseq;
  r.branch = m.branch;
  r.fromTag = m.fromTag;
  r.toTag = m.toTag;
  r.fromUri = m.fromUri;
  r.toUri = m.toUri;
  r.size = m.size;
  if (m.malformed) {
    r.malformed = true;
    r.malformedReason = m.malformed;
  }
  r.transaction = links?.transaction ?? null;
  r.dialog = links?.dialog ?? null;
  r.retransmissionOf = links?.retransmissionOf ?? null;
  return r;
}

/** Settles once `out` has drained, or can take nothing more (closed or failed: its own error handling reports that). */
function whenDrained(out: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await whenDrained(out);
}

/** One array of the document as text, gathered into chunks big enough that writing costs nothing per record. */
class ArrayText {
  private count = 0;

  /** `text`: what opens the array (its name and bracket). */
  constructor(private text: string) {}

  /** Adds a record; returns the text gathered once it makes a chunk to write, else null. */
  add(record: unknown): string | null {
    this.text += (this.count++ === 0 ? '\n' : ',\n') + JSON.stringify(record);
    if (this.text.length <= WRITE_CHUNK) return null;
    const chunk = this.text;
    this.text = '';
    return chunk;
  }

  /** The text not handed out yet, with the array closed. */
  close(): string {
    return this.text + (this.count ? '\n]' : ']');
  }
}

async function writeArray(out: Writable, name: string, items: readonly unknown[]): Promise<void> {
  const array = new ArrayText(`"${name}":[`);
  for (const item of items) {
    const chunk = array.add(item);
    if (chunk !== null) await write(out, chunk);
  }
  await write(out, `${array.close()},\n`);
}

/**
 * Writes the document to `out`: message() for each message in capture order, then end().
 * message() cannot wait (the decoder calls it synchronously): the reading of the capture waits
 * on drained() instead, so that a slow reader of `out` (a pipe) holds the decoding back rather
 * than letting the document pile up in memory.
 */
export class JsonReportWriter {
  private readonly messages = new ArrayText('{"messages":[');

  constructor(private readonly out: Writable) {}

  message(m: SipMessage, link: MessageLink): void {
    const chunk = this.messages.add(messageRecord(m, link));
    if (chunk !== null) this.out.write(chunk);
  }

  /** Null while `out` takes more, else a promise that settles once it has drained. */
  drained(): Promise<void> | null {
    const out = this.out;
    return out.writableNeedDrain && !out.destroyed ? whenDrained(out) : null;
  }

  async end(input: JsonReportEnd): Promise<void> {
    const { out } = this;
    const { info, analysis } = input;
    const file = {
      name: input.fileName,
      format: info.format,
      compression: info.compression,
      linkTypes: info.linkTypes,
      packets: info.packets,
      bytes: info.bytes,
      comments: info.comments,
    };
    await write(out, `${this.messages.close()},\n"file":${JSON.stringify(file)},\n"warnings":${JSON.stringify(input.warnings)},\n`);
    await writeArray(out, 'transactions', analysis.transactions);
    await writeArray(out, 'dialogs', analysis.dialogs);
    await writeArray(out, 'calls', analysis.calls);
    await writeArray(out, 'registrations', analysis.registrations);
    await writeArray(out, 'anomalies', analysis.anomalies);
    await write(out, `"stats":${JSON.stringify(analysis.stats)}}\n`);
  }
}
