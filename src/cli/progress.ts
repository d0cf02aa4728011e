// A one-line progress bar on a terminal, redrawn at most ten times a second.
import type { WriteStream } from 'node:tty';

const WIDTH = 30;

export class ProgressBar {
  private lastDraw = 0;

  constructor(private readonly out: WriteStream, private readonly totalBytes: number) {}

  update(bytes: number, messages: number): void {
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    // A gzip capture inflates to more bytes than the file holds: the bar then shows bytes only.
    const fraction = this.totalBytes > 0 ? Math.min(1, bytes / this.totalBytes) : 0;
    const filled = Math.round(fraction * WIDTH);
    const bar = bytes <= this.totalBytes ? `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` : '';
    this.out.write(`\r${bar}${(bytes / 1048576).toFixed(0)} MB read, ${messages} SIP messages`);
  }

  clear(): void {
    if (this.lastDraw) this.out.write('\r\x1b[K');
  }
}
