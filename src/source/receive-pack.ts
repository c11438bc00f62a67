// Pushing one branch over Git's smart HTTP protocol (gitprotocol-http(5), gitprotocol-pack(5)):
// discover the receiver's refs, then send one ref update with the pack of the objects it lacks.
//
// isomorphic-git's push lists every object of the new commit's tree and of the receiver's tip's
// tree, reading each through its whole-pack loader, to find the few that changed: at 100 clusters
// × 5,000 workloads the status stage of a one-file pass over HTTP took 1.62 s, and of the first
// (71,370 manifests) 83.6 s (BENCHMARKS.md, `node bench/reconcile-bench.mjs`). The object store
// knows what a status commit adds (ObjectStore.packSince), so the protocol, which is small, is
// spoken here.
import type { HttpClient } from 'isomorphic-git';
import { FlotillaError } from '../model/diagnostics.js';

/** isomorphic-git's HTTP client (what `isomorphic-git/http/node` gives, with flotilla's timeout). */
export type GitHttpClient = HttpClient;

export const ZERO_OID = '0'.repeat(40);
const AGENT = 'agent=flotilla';

/** The receiver's branch tips and what it can do, from its ref advertisement. */
export interface ReceiveAdvertisement {
  refs: Map<string, string>;
  capabilities: Set<string>;
}

/** How the receiver answered one ref update: `unpack` is "ok" or its error; `refused` the reason of an `ng`, null for `ok`. */
export interface ReceiveReport {
  unpack: string;
  refused: string | null;
}

/** An error as isomorphic-git's HttpError is shaped, so retries and messages treat both alike (retry.ts httpStatusOf). */
function httpError(statusCode: number, statusMessage: string, what: string): Error {
  return Object.assign(new Error(`HTTP Error: ${statusCode} ${statusMessage} (${what})`), {
    code: 'HttpError',
    data: { statusCode, statusMessage },
  });
}

async function bodyOf(res: { body?: AsyncIterableIterator<Uint8Array> }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (res.body) for await (const c of res.body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/**
 * An answer cut short or not in the protocol's framing (a proxy's empty 200, a dropped
 * connection): retried, as isomorphic-git's SmartHttpError is (retry.ts); a retry is safe, since
 * discovery then finds the ref already moved if the update landed.
 */
function garbledAnswer(message: string): Error {
  return Object.assign(new Error(message), { code: 'SmartHttpError' });
}

/** A line the server sends instead of an answer: "ERR <why>" (gitprotocol-pack). */
function serverError(line: string): FlotillaError | null {
  return line.startsWith('ERR ') ? new FlotillaError('GIT_FAILED', `the git server refused: ${line.slice(4)}`) : null;
}

/** Each pkt-line's payload in order; null for a flush-pkt ("0000"). */
export function readPktLines(bytes: Buffer): Array<Buffer | null> {
  const out: Array<Buffer | null> = [];
  for (let at = 0; at < bytes.length;) {
    const hex = bytes.toString('latin1', at, at + 4);
    const length = /^[0-9a-f]{4}$/i.test(hex) ? Number.parseInt(hex, 16) : -1;
    if (length < 0 || (length !== 0 && length < 4) || at + Math.max(length, 4) > bytes.length) {
      throw garbledAnswer(`the git server sent a malformed pkt-line at byte ${at}`);
    }
    out.push(length === 0 ? null : bytes.subarray(at + 4, at + length));
    at += Math.max(length, 4);
  }
  return out;
}

function pktLine(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0'), 'latin1'), payload]);
}

const FLUSH = Buffer.from('0000', 'latin1');

/**
 * Parses `GET info/refs?service=git-receive-pack`: a service line and a flush, then "<oid> <ref>"
 * lines, the first with the capabilities after a NUL.
 */
export function parseReceiveAdvertisement(bytes: Buffer): ReceiveAdvertisement {
  const lines = readPktLines(bytes);
  const first = lines[0]?.toString('utf8').trim();
  if (first !== '# service=git-receive-pack') {
    throw new FlotillaError('GIT_FAILED', 'the git server did not answer as git-receive-pack (is this a smart HTTP git server?)');
  }
  const refs = new Map<string, string>();
  const capabilities = new Set<string>();
  // The refs follow the first flush (git's client skips any other line before it).
  for (const line of lines.slice(lines.indexOf(null) + 1)) {
    if (line === null) break;
    const text = line.toString('utf8').replace(/\n$/, '');
    const refusal = serverError(text);
    if (refusal) throw refusal;
    const nul = text.indexOf('\0');
    const refPart = nul < 0 ? text : text.slice(0, nul);
    if (nul >= 0) for (const c of text.slice(nul + 1).split(' ')) if (c) capabilities.add(c);
    const [oid, name] = refPart.split(' ');
    if (oid && name && name !== 'capabilities^{}') refs.set(name, oid);
  }
  return { refs, capabilities };
}

/** Parses the report-status answer: "unpack <ok|error>", then "ok <ref>" or "ng <ref> <reason>". */
export function parseReceiveReport(bytes: Buffer, ref: string): ReceiveReport {
  let unpack: string | null = null;
  let refused: string | null | undefined;
  for (const line of readPktLines(bytes)) {
    if (line === null) continue;
    const text = line.toString('utf8').replace(/\n$/, '');
    const refusal = serverError(text);
    if (refusal) throw refusal;
    if (text.startsWith('unpack ')) unpack = text.slice(7);
    else if (text === `ok ${ref}`) refused = null;
    else if (text.startsWith(`ng ${ref} `)) refused = text.slice(ref.length + 4);
  }
  if (unpack === null || refused === undefined) {
    throw garbledAnswer(`the git server's answer to the push does not report ${ref}`);
  }
  return { unpack, refused };
}

/** The receiver's refs (one request). */
export async function discoverReceivePack(
  client: GitHttpClient,
  url: string,
  headers: Record<string, string>,
): Promise<ReceiveAdvertisement> {
  const res = await client.request({
    url: `${url.replace(/\/$/, '')}/info/refs?service=git-receive-pack`,
    method: 'GET',
    headers: { ...headers, accept: 'application/x-git-receive-pack-advertisement' },
  });
  const body = await bodyOf(res);
  if (res.statusCode !== 200) throw httpError(res.statusCode, res.statusMessage, 'discover git-receive-pack');
  return parseReceiveAdvertisement(body);
}

/**
 * Asks the receiver to move `ref` from `old` (ZERO_OID: create it) to `next`, sending `pack`. The
 * update is a compare-and-swap: a receiver whose ref is no longer at `old` refuses it.
 */
export async function sendReceivePack(
  client: GitHttpClient,
  url: string,
  headers: Record<string, string>,
  update: { ref: string; old: string; next: string; pack: readonly Buffer[]; capabilities: ReadonlySet<string> },
): Promise<ReceiveReport> {
  if (!update.capabilities.has('report-status')) {
    throw new FlotillaError('GIT_FAILED', 'the git server does not offer report-status: flotilla cannot tell whether a push landed');
  }
  // A client names only capabilities the server offered: CodeCommit answers nothing to an agent it did not ask for.
  const asked = ['report-status', ...([...update.capabilities].some((c) => c.startsWith('agent=')) ? [AGENT] : [])];
  const command = pktLine(`${update.old} ${update.next} ${update.ref}\0${asked.join(' ')}`);
  const res = await client.request({
    url: `${url.replace(/\/$/, '')}/git-receive-pack`,
    method: 'POST',
    headers: {
      ...headers,
      'content-type': 'application/x-git-receive-pack-request',
      accept: 'application/x-git-receive-pack-result',
    },
    // An array, not a stream: the node client then sends one buffer with a Content-Length, as
    // isomorphic-git's own requests do (some servers hang up on a chunked upload). Its type says iterator.
    body: [command, FLUSH, ...update.pack] as unknown as AsyncIterableIterator<Uint8Array>,
  });
  const body = await bodyOf(res);
  if (res.statusCode !== 200) throw httpError(res.statusCode, res.statusMessage, 'git-receive-pack');
  return parseReceiveReport(body, update.ref);
}
