// Request methods by number: the message log numbers every method it sees, the well-known
// ones first in this fixed order, so the analysis compares numbers where it would compare
// method names. Other methods (extensions, typos) follow in order of appearance.

export const INVITE = 0;
export const ACK = 1;
export const BYE = 2;
export const CANCEL = 3;
export const REGISTER = 4;
export const OPTIONS = 5;
export const PRACK = 6;
export const SUBSCRIBE = 7;
export const NOTIFY = 8;
export const PUBLISH = 9;
export const INFO = 10;
export const REFER = 11;
export const MESSAGE = 12;
export const UPDATE = 13;

/** The names of the numbers above, in their order. */
export const KNOWN_METHODS: readonly string[] = [
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
];

/** Requests that create a dialog when answered 101-299 outside a dialog (RFC 3261 §12.1, RFC 6665 §4.1.2, RFC 3515). */
export function isDialogCreating(method: number): boolean {
  return method === INVITE || method === SUBSCRIBE || method === REFER;
}
