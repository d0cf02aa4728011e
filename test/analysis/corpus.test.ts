// Every corpus capture's messages (tshark's ground truth) through analyzeMessages, judged as
// /work/shared/corpus/check.mjs judges the CLI's output (checkConclusions ported below), plus
// the rest of expected.json that check.mjs does not read, and the counts of sip-stat.txt.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeMessages } from '../../src/analysis/index.js';
import type { Analysis } from '../../src/model.js';
import { CORPUS_DIR, loadCorpusMessages } from './corpus-messages.js';

const CATALOGUE = new Set([
  'invite-2xx-not-acked', 'invite-no-final-response', 'non-invite-no-final-response',
  'service-unavailable-not-retried', 'registration-failed', 'auth-loop',
  'reliable-provisional-retransmitted',
]);

interface ExpectedTxn {
  method: string; cseq: string; branch: string; sent_by: string; in_dialog: boolean;
  requests: number[]; responses: number[]; final_status: number | null; retransmissions: number;
  ack?: number[]; ack_for?: string | null;
}
interface ExpectedDialog { from_tag: string; to_tag: string; method: string; created_by: number; confirmed_by: number | null; terminated_by: number | null; state: string }
interface ExpectedCall {
  call_id: string; kind: string; first_request: string; messages: number[]; outcome: string | null; final_status?: number | null;
  transactions: ExpectedTxn[]; dialogs: ExpectedDialog[]; ended_by?: string;
}
interface ExpectedRegistration { call_id: string; aor: string; attempts: number; challenges: number; final_status: number | null; outcome: string }
interface ExpectedAnomaly { type: string; call_id: string; messages: number[] }
interface Expected {
  totals: { calls: number; dialogs: number; transactions: number; acks_for_2xx: number; retransmissions: number };
  unreliable_totals?: string[];
  anomalies: ExpectedAnomaly[];
  may_flag?: ExpectedAnomaly[];
  calls: ExpectedCall[];
  registrations: ExpectedRegistration[];
  outcome_counts?: Record<string, number>;
}

const norm = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const setKey = (ids: number[]) => JSON.stringify([...ids].sort((a, b) => a - b));

/** check.mjs checkConclusions, with the message ids of messages.json (the analyzer's ids are the same). */
function checkConclusions(exp: Expected, analysis: Analysis, methods: (string | null)[]): string[] {
  const p: string[] = [];
  const skip = new Set(exp.unreliable_totals ?? []);
  const calls = analysis.calls;
  const callById = new Map(calls.map((c) => [c.callId, c]));
  if (!skip.has('calls') && calls.length !== exp.totals.calls) p.push(`calls: ${calls.length}, want ${exp.totals.calls}`);
  const dialogs = analysis.dialogs;
  if (!skip.has('dialogs') && dialogs.length !== exp.totals.dialogs) p.push(`dialogs: ${dialogs.length}, want ${exp.totals.dialogs}`);
  const txns = analysis.transactions;
  if (!skip.has('transactions') && txns.length !== exp.totals.transactions) p.push(`transactions: ${txns.length}, want ${exp.totals.transactions}`);
  if (!skip.has('retransmissions')) {
    const n = analysis.messageLinks.filter((l, id) => l.retransmissionOf !== null && methods[id] !== 'ACK').length;
    if (n !== exp.totals.retransmissions) p.push(`retransmissions: ${n}, want ${exp.totals.retransmissions}`);
  }
  const txnKeys = new Set(txns.map((t) => setKey([...t.requests, ...t.responses])));
  const dlgKeys = new Set(dialogs.map((d) => `${d.callId}|${d.fromTag}|${d.toTag}|${d.state}|${norm(d.terminatedBy)}`));
  for (const c of exp.calls) {
    const got = callById.get(c.call_id);
    if (!got) { p.push(`call ${c.call_id}: not reported`); continue; }
    const judged = c.outcome !== undefined && c.outcome !== null;
    if (judged && got.outcome !== c.outcome) p.push(`call ${c.call_id}: outcome ${got.outcome}, want ${c.outcome}`);
    if (judged && c.final_status !== undefined && norm(got.finalStatus) !== norm(c.final_status)) p.push(`call ${c.call_id}: finalStatus ${got.finalStatus}, want ${c.final_status}`);
    for (const t of c.transactions) {
      if (!txnKeys.has(setKey([...t.requests, ...t.responses]))) p.push(`call ${c.call_id}: no transaction with exactly the messages of ${t.cseq} (branch ${t.branch})`);
    }
    for (const d of c.dialogs) {
      if (!dlgKeys.has(`${c.call_id}|${d.from_tag}|${d.to_tag}|${d.state}|${norm(d.terminated_by)}`)) p.push(`call ${c.call_id}: no ${d.state} dialog ${d.from_tag}/${d.to_tag} terminated by ${d.terminated_by}`);
    }
  }
  const regs = new Map(analysis.registrations.map((r) => [r.callId, r]));
  for (const r of exp.registrations) {
    const got = regs.get(r.call_id);
    if (!got) { p.push(`registration ${r.call_id}: not reported`); continue; }
    if (got.outcome !== r.outcome) p.push(`registration ${r.call_id}: outcome ${got.outcome}, want ${r.outcome}`);
    if (norm(got.finalStatus) !== norm(r.final_status)) p.push(`registration ${r.call_id}: finalStatus ${got.finalStatus}, want ${r.final_status}`);
  }
  const wanted = new Set([...exp.anomalies, ...(exp.may_flag ?? [])].map((a) => `${a.type}|${a.call_id}`));
  for (const a of exp.anomalies) {
    const got = analysis.anomalies.filter((x) => x.kind === a.type && x.callId === a.call_id);
    if (!got.length) { p.push(`anomaly ${a.type} on ${a.call_id}: not reported`); continue; }
    const pointed = new Set(got.flatMap((x) => x.messages));
    if (a.messages.length && !a.messages.some((i) => pointed.has(i))) p.push(`anomaly ${a.type} on ${a.call_id}: points at none of ${a.messages.join(',')}`);
  }
  for (const x of analysis.anomalies) {
    if (CATALOGUE.has(x.kind) && !wanted.has(`${x.kind}|${x.callId}`)) p.push(`false alarm: ${x.kind} on ${x.callId}`);
  }
  return p;
}

/** What expected.json says beyond check.mjs: kinds, who hung up, every transaction's fields, dialogs' messages, registrations' counts. */
function checkDetails(exp: Expected, analysis: Analysis): string[] {
  const p: string[] = [];
  const callById = new Map(analysis.calls.map((c) => [c.callId, c]));
  const txnByKey = new Map(analysis.transactions.map((t) => [setKey([...t.requests, ...t.responses]), t]));
  let acksFor2xx = 0;
  for (const t of analysis.transactions) if (t.ackFor === '2xx') acksFor2xx += t.ack.length;
  if (acksFor2xx !== exp.totals.acks_for_2xx) p.push(`acks for 2xx: ${acksFor2xx}, want ${exp.totals.acks_for_2xx}`);
  for (const c of exp.calls) {
    const got = callById.get(c.call_id)!;
    if (got.kind !== c.kind) p.push(`call ${c.call_id}: kind ${got.kind}, want ${c.kind}`);
    if (got.firstRequest !== c.first_request) p.push(`call ${c.call_id}: firstRequest ${got.firstRequest}, want ${c.first_request}`);
    if (setKey(got.messages) !== setKey(c.messages)) p.push(`call ${c.call_id}: messages differ`);
    if (norm(got.endedBy) !== norm(c.ended_by)) p.push(`call ${c.call_id}: endedBy ${got.endedBy}, want ${c.ended_by}`);
    for (const t of c.transactions) {
      const g = txnByKey.get(setKey([...t.requests, ...t.responses]));
      if (!g) continue;
      const want = { method: t.method, cseq: t.cseq, branch: t.branch, sentBy: t.sent_by, inDialog: t.in_dialog, finalStatus: t.final_status, retransmissions: t.retransmissions,
        ack: t.ack ?? [], ackFor: norm(t.ack_for), requests: t.requests, responses: t.responses };
      const have = { method: g.method, cseq: g.cseq, branch: g.branch, sentBy: g.sentBy, inDialog: g.inDialog, finalStatus: g.finalStatus, retransmissions: g.retransmissions,
        ack: g.ack, ackFor: g.ackFor, requests: g.requests, responses: g.responses };
      if (JSON.stringify(have) !== JSON.stringify(want)) p.push(`call ${c.call_id} ${t.cseq}: ${JSON.stringify(have)}, want ${JSON.stringify(want)}`);
    }
    for (const d of c.dialogs) {
      const g = analysis.dialogs.find((x) => x.callId === c.call_id && x.fromTag === d.from_tag && x.toTag === d.to_tag);
      if (!g) continue;
      if (g.method !== d.method || g.createdBy !== d.created_by || g.confirmedBy !== d.confirmed_by) {
        p.push(`dialog ${d.from_tag}/${d.to_tag}: ${g.method} ${g.createdBy} ${g.confirmedBy}, want ${d.method} ${d.created_by} ${d.confirmed_by}`);
      }
    }
  }
  const regs = new Map(analysis.registrations.map((r) => [r.callId, r]));
  for (const r of exp.registrations) {
    const got = regs.get(r.call_id)!;
    if (got.aor !== r.aor || got.attempts.length !== r.attempts || got.challenges !== r.challenges) {
      p.push(`registration ${r.call_id}: ${got.aor} ${got.attempts.length} attempts ${got.challenges} challenges, want ${r.aor} ${r.attempts} ${r.challenges}`);
    }
  }
  if (exp.outcome_counts) {
    const counts: Record<string, number> = {};
    for (const c of analysis.calls) counts[`${c.outcome} ${c.finalStatus}`] = (counts[`${c.outcome} ${c.finalStatus}`] ?? 0) + 1;
    if (JSON.stringify(Object.entries(counts).sort()) !== JSON.stringify(Object.entries(exp.outcome_counts).sort())) {
      p.push(`outcome counts ${JSON.stringify(counts)}, want ${JSON.stringify(exp.outcome_counts)}`);
    }
  }
  return p;
}

/** The per-method and per-status packet counts and the resent count of `tshark -q -z sip,stat`. */
function parseSipStat(text: string): { requests: Record<string, number>; responses: Record<string, number>; resent: number; messages: number } {
  const requests: Record<string, number> = {};
  const responses: Record<string, number> = {};
  for (const m of text.matchAll(/^\s+SIP (\d{3}) .*?:\s+(\d+) Packets$/gm)) responses[m[1]!] = Number(m[2]);
  for (const m of text.matchAll(/^\s+([A-Z]+)\s+:\s+(\d+) Packets$/gm)) requests[m[1]!] = Number(m[2]);
  return {
    requests,
    responses,
    resent: Number(/Number of resent SIP messages: (\d+)/.exec(text)![1]),
    messages: Number(/Number of SIP messages: (\d+)/.exec(text)![1]),
  };
}

const sorted = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));

const captures = readdirSync(CORPUS_DIR).filter((n) => existsSync(join(CORPUS_DIR, n, 'expected.json'))).sort();

describe('analysis of the corpus ground truth', () => {
  it('covers all 22 captures', () => {
    expect(captures).toHaveLength(22);
  });

  for (const name of captures) {
    describe(name, () => {
      const { messages, captureEnd } = loadCorpusMessages(name);
      const exp = JSON.parse(readFileSync(join(CORPUS_DIR, name, 'expected.json'), 'utf8')) as Expected;
      const analysis = analyzeMessages(messages, captureEnd);
      const methods = messages.map((m) => m.method);

      it('reaches the conclusions check.mjs compares', () => {
        expect(checkConclusions(exp, analysis, methods)).toEqual([]);
      });

      it('matches the rest of expected.json', () => {
        expect(checkDetails(exp, analysis)).toEqual([]);
      });

      it('counts requests, responses and retransmissions as tshark sip,stat does', () => {
        const stat = parseSipStat(readFileSync(join(CORPUS_DIR, name, 'sip-stat.txt'), 'utf8'));
        expect(sorted(analysis.stats.requests)).toEqual(sorted(stat.requests));
        expect(sorted(analysis.stats.responses)).toEqual(sorted(stat.responses));
        expect(analysis.stats.retransmissions).toBe(stat.resent);
        expect(messages.length).toBe(stat.messages);
      });

      if (exp.anomalies.length === 0) {
        it('raises no warning or error on a clean capture', () => {
          expect(analysis.anomalies.filter((a) => a.severity !== 'info').map((a) => `${a.kind}: ${a.explanation}`)).toEqual([]);
        });
      }

      it('links every message that belongs to a transaction', () => {
        for (const t of analysis.transactions) {
          for (const id of [...t.requests, ...t.responses, ...t.ack]) expect(analysis.messageLinks[id]!.transaction).toBe(t.id);
        }
        expect(analysis.messageLinks).toHaveLength(messages.length);
      });
    });
  }
});
