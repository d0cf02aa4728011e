// The knowledge base against the checklist it is written from: every method and response code
// of /work/shared/sip-reference.md (its markdown tables are read here) must be described.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allMethods, allResponses, describeMethod, describeResponse, RESPONSE_CLASSES } from '../../src/knowledge/index.js';

const REFERENCE = readFileSync(new URL('../../../shared/sip-reference.md', import.meta.url), 'utf8');

/** The rows of the markdown table that follows `heading`, as arrays of trimmed cells. */
function tableAfter(heading: string): string[][] {
  const lines = REFERENCE.slice(REFERENCE.indexOf(heading)).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}

/** The RFC numbers a reference cell names; a bare "§21.x" is RFC 3261's. */
function rfcsOf(reference: string): string[] {
  const rfcs = [...reference.matchAll(/RFC (\d+)(?:\/(\d+))?/g)].flatMap((m) => [m[1], m[2]].filter((n): n is string => n !== undefined));
  if (/(^|; )§/.test(reference)) rfcs.push('3261');
  return rfcs;
}

const methodRows = tableAfter('## Request methods');
const responseRows = tableAfter('## Response codes');
const classRows = tableAfter('## Response classes');

describe('knowledge base coverage of sip-reference.md', () => {
  it('reads the tables of the reference', () => {
    expect(methodRows.length).toBe(14);
    expect(responseRows.length).toBeGreaterThan(70);
    expect(classRows.length).toBe(6);
  });

  it.each(methodRows.map((row) => [row[0], row] as const))('describes the method %s', (method, [, definedIn, whatItDoes]) => {
    const info = describeMethod(method);
    expect(info.method).toBe(method);
    for (const rfc of rfcsOf(definedIn)) expect(info.reference).toContain(`RFC ${rfc}`);
    expect(info.meaning.length).toBeGreaterThan(10);
    expect(info.meaning).not.toBe(whatItDoes);
    expect(allMethods()).toContainEqual(info);
  });

  it.each(responseRows.map((row) => [Number(row[0]), row] as const))('describes the response %i', (code, [, reason, meaning, reference]) => {
    const info = describeResponse(code);
    expect(info.code).toBe(code);
    expect(info.reason).toBe(reason);
    expect(info.responseClass).toBe(Math.floor(code / 100));
    for (const rfc of rfcsOf(reference)) expect(info.reference).toContain(`RFC ${rfc}`);
    if (reference.includes('TS 24.229')) expect(info.reference).toContain('TS 24.229');
    expect(info.meaning.trim().length).toBeGreaterThan(10);
    expect(info.meaning).not.toBe(meaning);
    expect(info.reference).not.toContain('8.1.3.2');
  });

  it('lists exactly the reference codes and methods, without empty texts', () => {
    expect(allResponses().map((r) => r.code).sort()).toEqual(responseRows.map((row) => Number(row[0])).sort());
    expect(allMethods().map((m) => m.method).sort()).toEqual(methodRows.map((row) => row[0]).sort());
    for (const info of [...allResponses(), ...allMethods()]) {
      expect(info.meaning.trim()).not.toBe('');
      expect(info.reference.trim()).not.toBe('');
      if (info.analysis !== null) expect(info.analysis.trim()).not.toBe('');
    }
  });

  it('has the six response classes with their names', () => {
    expect(RESPONSE_CLASSES.map((c) => [c.range, c.name])).toEqual(classRows.map((row) => [row[0], row[1]]));
    for (const c of RESPONSE_CLASSES) expect(c.meaning.trim()).not.toBe('');
  });

  it('carries the analysis hints of the reference where it has them', () => {
    const withHints = responseRows.filter((row) => row[4] !== '').map((row) => Number(row[0]));
    for (const code of withHints) expect(describeResponse(code).analysis, String(code)).not.toBeNull();
    for (const row of methodRows) expect(describeMethod(row[0]).analysis, row[0]).not.toBeNull();
  });
});

describe('fallbacks', () => {
  it('reads an unknown code as the x00 of its class (RFC 3261 §8.1.3.2)', () => {
    expect(describeResponse(499)).toMatchObject({ code: 499, reason: 'Bad Request', responseClass: 4, className: 'client error', reference: 'RFC 3261 §8.1.3.2' });
    expect(describeResponse(499).meaning).toContain('400 Bad Request');
    expect(describeResponse(299)).toMatchObject({ reason: 'OK', responseClass: 2, className: 'success' });
    expect(describeResponse(199 - 10)).toMatchObject({ code: 189, reason: 'Trying', responseClass: 1 });
    expect(describeResponse(699)).toMatchObject({ reason: 'Busy Everywhere', responseClass: 6, className: 'global failure' });
  });

  it('says a number outside 100-699 is no status code', () => {
    expect(describeResponse(700).meaning).toContain('not a SIP status code');
    expect(describeResponse(42)).toMatchObject({ responseClass: 1, reference: 'RFC 3261 §7.2' });
  });

  it('describes an unknown method generically, method names being case-sensitive', () => {
    expect(describeMethod('FOO')).toMatchObject({ method: 'FOO', analysis: null });
    expect(describeMethod('FOO').meaning).toContain('FOO');
    expect(describeMethod('invite').method).toBe('invite');
    expect(describeMethod('invite').meaning).not.toBe(describeMethod('INVITE').meaning);
  });
});
