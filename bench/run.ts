// `npm run bench`: decode and analysis throughput and peak memory on a large capture,
// next to tshark's field extraction and sngrep's load of the same file, in the same run.
// Each contender runs as a child process; its peak resident memory is read from
// /proc/<pid>/status (VmHWM) while it runs.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBenchCapture } from './make-capture.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = join(root, '.bench');
const targetMb = Number(process.env.BENCH_MB ?? 512);
const capture = join(benchDir, `callmix-${targetMb}mb.pcapng`);

interface Measure {
  name: string;
  seconds: number;
  peakMb: number;
  output: string;
}

function peakRssKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function measure(name: string, cmd: string, args: string[]): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let peak = 0;
    let output = '';
    const poll = setInterval(() => (peak = Math.max(peak, peakRssKb(child.pid!))), 20);
    child.stdout.on('data', (d: Buffer) => {
      if (output.length < 4096) output += d.toString();
    });
    child.stderr.on('data', () => {});
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) reject(new Error(`${name} exited with ${code}`));
      else resolve({ name, seconds, peakMb: peak / 1024, output });
    });
    // VmHWM is gone once the process is reaped: sample right before exit too.
    child.stdout.on('end', () => (peak = Math.max(peak, peakRssKb(child.pid!))));
  });
}

function which(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, cmd)));
}

async function main(): Promise<void> {
  mkdirSync(benchDir, { recursive: true });
  if (!existsSync(capture)) {
    process.stderr.write(`building ${capture} (${targetMb} MB)...\n`);
    await makeBenchCapture(join(root, 'traces', 'callmix-udp-500.pcapng.gz'), capture, targetMb * 1024 * 1024);
  }
  const bytes = statSync(capture).size;
  const mb = bytes / 1048576;
  const node = process.execPath;
  const probe = join(root, 'dist', 'bench', 'probe.js');
  const results: Measure[] = [];
  results.push(await measure('sipladder decode', node, [probe, 'decode', capture]));
  results.push(await measure('sipladder decode + analysis', node, [probe, 'analyze', capture]));
  if (which('tshark')) {
    results.push(await measure('tshark field extraction', 'tshark', ['-r', capture, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Call-ID', '-e', 'sip.CSeq', '-e', 'sip.Method', '-e', 'sip.Status-Code']));
  }
  if (which('sngrep')) {
    results.push(await measure('sngrep load', 'sngrep', ['-I', capture, '-N', '-q', '-l', '100000000']));
  }
  const tshark = results.find((r) => r.name.startsWith('tshark'));
  const sngrep = results.find((r) => r.name.startsWith('sngrep'));
  const messages = JSON.parse(results[0].output).messages as number;
  const rows = results.map((r) => ({
    name: r.name,
    seconds: +r.seconds.toFixed(2),
    mbPerSec: +(mb / r.seconds).toFixed(1),
    messagesPerSec: Math.round(messages / r.seconds),
    peakMb: Math.round(r.peakMb),
    vsTshark: tshark ? +(tshark.seconds / r.seconds).toFixed(1) : null,
    vsSngrep: sngrep ? +(sngrep.seconds / r.seconds).toFixed(1) : null,
  }));
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    capture: { file: capture, megabytes: +mb.toFixed(0), messages },
    results: rows,
  };
  writeFileSync(join(benchDir, 'results.json'), JSON.stringify(report, null, 1));
  process.stdout.write(`capture: ${mb.toFixed(0)} MB, ${messages} SIP messages; ${report.machine}\n\n`);
  process.stdout.write('| contender | seconds | MB/s | messages/s | peak RSS MB | speed vs tshark | vs sngrep |\n|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    process.stdout.write(`| ${r.name} | ${r.seconds} | ${r.mbPerSec} | ${r.messagesPerSec} | ${r.peakMb} | ${r.vsTshark ?? '-'}x | ${r.vsSngrep ?? '-'}x |\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
