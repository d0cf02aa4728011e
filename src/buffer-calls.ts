// Node's Buffer methods for the decoder's hot paths, called through functions taken from
// Buffer.prototype once. Written as method calls (buf.indexOf(...)), V8 (Node 20) compiles the
// load of the method to a generic property lookup on every call, even in optimised code; a
// function held here and invoked with .call() is a direct call. Per message the decoder makes
// dozens of these calls, so the lookups alone were several percent of its time.

const bufferIndexOf = Buffer.prototype.indexOf;
const bufferSubarray = Buffer.prototype.subarray;
const bufferLatin1Slice = Buffer.prototype.latin1Slice;
const bufferUtf8Slice = Buffer.prototype.utf8Slice;

/** Offset of the first `byte` in buf at or after `from`, or -1 (a native search). */
export function indexOfByte(buf: Buffer, byte: number, from: number): number {
  return bufferIndexOf.call(buf, byte, from);
}

/** buf[start, end) as a view on the same memory. */
export function viewOf(buf: Buffer, start: number, end: number): Buffer {
  return bufferSubarray.call(buf, start, end) as Buffer;
}

/** buf[start, end) decoded byte for byte (each byte one character). */
export function latin1Of(buf: Buffer, start: number, end: number): string {
  return bufferLatin1Slice.call(buf, start, end);
}

/** buf[start, end) decoded as UTF-8 (invalid sequences become U+FFFD). */
export function utf8Of(buf: Buffer, start: number, end: number): string {
  return bufferUtf8Slice.call(buf, start, end);
}

declare global {
  interface Buffer {
    /** Node's own latin1 decoder without toString's encoding lookup (present on every Buffer since Node 0.x). */
    latin1Slice(start: number, end: number): string;
    /** Node's own UTF-8 decoder without toString's encoding lookup. */
    utf8Slice(start: number, end: number): string;
  }
}

/**
 * The big-endian 16-bit number at `offset`, which the caller has checked lies inside buf.
 * Plain byte arithmetic: readUInt16BE checks its argument and is a method call (see above).
 */
export function uint16At(buf: Buffer, offset: number): number {
  return (buf[offset] << 8) | buf[offset + 1];
}
