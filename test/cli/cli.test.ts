// The command line as a script or a CI job uses it: the compiled CLI (npm test builds it first)
// run on real captures from traces/.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pcapFileHeader } from '../capture/builders.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'bin', 'sipladder.js');
const trace = (name: string) => join(root, 'traces', name);
const scratch = mkdtempSync(join(tmpdir(), 'sipladder-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sipladder analyze', () => {
  it('prints the summary, the calls and each anomaly with its explanation', () => {
    const r = run('analyze', trace('anomaly-2xx-never-acked.pcapng'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Calls +1 call/m);
    expect(r.stdout).toContain('invite-2xx-not-acked');
    expect(r.stdout).toContain('RFC 3261');
  });

  it('prints one JSON document with the contract arrays', () => {
    const r = run('analyze', '--json', trace('register-digest.pcapng'));
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown[]>;
    for (const key of ['messages', 'transactions', 'dialogs', 'calls', 'registrations', 'anomalies']) expect(Array.isArray(doc[key])).toBe(true);
    expect(doc.registrations).toHaveLength(1);
    // Each message is written as it is decoded, with its place in the analysis.
    const messages = doc.messages as { id: number; transaction: number | null }[];
    const transactions = doc.transactions as { id: number; requests: number[]; responses: number[] }[];
    expect(messages.length).toBeGreaterThan(3);
    for (const t of transactions) for (const id of [...t.requests, ...t.responses]) expect(messages[id]!.transaction).toBe(t.id);
  });

  it('prints a complete document for a capture without SIP', () => {
    // A pcap file header (microseconds, Ethernet) and no packet.
    const empty = join(scratch, 'empty.pcap');
    writeFileSync(empty, pcapFileHeader());
    const r = run('analyze', '--json', empty);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { messages: unknown[]; calls: unknown[]; file: { packets: number } };
    expect(doc.messages).toEqual([]);
    expect(doc.calls).toEqual([]);
    expect(doc.file.packets).toBe(0);
  });

  it('--fail-on exits 1 when an anomaly reaches the severity, else 0', () => {
    expect(run('analyze', '--fail-on', 'error', trace('anomaly-2xx-never-acked.pcapng')).status).toBe(1);
    expect(run('analyze', '--fail-on', 'warning', trace('call-basic-udp.pcapng')).status).toBe(0);
  });

  it('refuses a file that is no capture with exit 2 and a reason', () => {
    const notCapture = join(scratch, 'not-a-capture.txt');
    writeFileSync(notCapture, 'INVITE sip:bob@example.com SIP/2.0\r\n\r\n');
    const r = run('analyze', notCapture);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sipladder: .*not-a-capture\.txt: /);
    expect(run('analyze', join(tmpdir(), 'no-such-capture.pcap')).stderr).toContain('ENOENT');
  });

  it('exits 2 on a usage error, never the 1 of --fail-on', () => {
    expect(run('analyze', '--fail-on', 'fatal', trace('call-basic-udp.pcapng')).status).toBe(2);
    expect(run('analyze', '--no-such-option', trace('call-basic-udp.pcapng')).status).toBe(2);
    expect(run('analyze').status).toBe(2);
    expect(run('analyze', '--help').status).toBe(0);
  });

  it('stops quietly when its reader closes the pipe early (| head)', () => {
    // head exits after one byte; the rest of the 2 MB report meets a closed pipe (EPIPE).
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${cli}" analyze --json "${trace('callmix-udp-500.pcapng.gz')}" | head -c 1 >/dev/null`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
