// A classic pcap reader for checking exports (independent of src/capture on purpose).

export interface PcapFrame {
  sec: number;
  /** Microseconds or nanoseconds, as the file's magic says. */
  fraction: number;
  data: Buffer;
  origLength: number;
}

export interface PcapFile {
  nanoseconds: boolean;
  linkType: number;
  frames: PcapFrame[];
}

export function readPcap(file: Buffer): PcapFile {
  const magic = file.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`not a little-endian classic pcap: ${magic.toString(16)}`);
  const frames: PcapFrame[] = [];
  for (let at = 24; at < file.length; ) {
    const caplen = file.readUInt32LE(at + 8);
    frames.push({ sec: file.readUInt32LE(at), fraction: file.readUInt32LE(at + 4), origLength: file.readUInt32LE(at + 12), data: file.subarray(at + 16, at + 16 + caplen) });
    at += 16 + caplen;
  }
  return { nanoseconds: magic === 0xa1b23c4d, linkType: file.readUInt32LE(20), frames };
}

export function readPcapFrames(file: Buffer): PcapFrame[] {
  return readPcap(file).frames;
}
