/**
 * What the local front door lets through to the S3 emulator, which checks no signature a browser can reach
 * it with (its host differs from the one signed) and ignores POST policies: only what S3 itself would accept.
 * - A presigned GET (SigV4 in the query string), its signature recomputed with the local credentials and
 *   its expiry checked: paid ZIPs and raw uploads stay private, buckets cannot be listed. The API's own
 *   header-signed reads (its readiness HeadBucket) pass the same check.
 * - A presigned POST upload, its policy's signature checked and every condition enforced as S3 does
 *   (bucket, exact or prefix fields, content-length-range, expiry; every form field covered by a condition),
 *   in a form with one reading only (formShapeProblem); what passes is re-encoded from the checked values
 *   before the emulator parses it (s3-gate-server.ts).
 * Nothing else: no unsigned reads, no PUT, DELETE or listing.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function signingKey(secret: string, date: string, region: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
}

function sameHex(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'hex');
  const b = Buffer.from(expected, 'hex');
  return given.length === expected.length && a.length === b.length && timingSafeEqual(a, b);
}

/** `AKID/20261202/us-east-1/s3/aws4_request` for our key and region, or why not. */
function credentialProblem(credential: string | undefined, amzDate: string | undefined, creds: S3Credentials): string | undefined {
  const parts = credential?.split('/') ?? [];
  if (parts.length !== 5) return 'no SigV4 credential';
  const [key, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (key !== creds.accessKeyId || region !== creds.region || service !== 's3' || terminator !== 'aws4_request') return 'credential scope is not ours';
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(date)) return 'X-Amz-Date does not match the credential';
  return undefined;
}

/** `20261202T015808Z` → epoch milliseconds. */
function amzDateMs(amzDate: string): number {
  return Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function sigV4Encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface SignedRequest {
  method: string;
  /** Path as received, still percent-encoded, with the query string. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** How long a header-signed request stays valid (S3 allows 15 minutes of clock skew). */
const HEADER_SIGNATURE_MAX_AGE_MS = 15 * 60 * 1000;
const EMPTY_SHA256 = createHash('sha256').digest('hex');

/**
 * Why a GET/HEAD is not validly signed for these credentials, or undefined when it is: a presigned URL
 * (SigV4 in the query string, unexpired) or, for the API's own reads (its readiness HeadBucket), SigV4 in the
 * Authorization header over an empty body. Writes never pass this way.
 */
export function signedReadProblem(req: SignedRequest, creds: S3Credentials, now = Date.now()): string | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return `${req.method} is not a signed read`;
  const queryAt = req.url.indexOf('?');
  const path = queryAt < 0 ? req.url : req.url.slice(0, queryAt);
  const pairs = (queryAt < 0 ? '' : req.url.slice(queryAt + 1))
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, '%20'));
      return eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
    }) as Array<[string, string]>;
  const param = (name: string) => pairs.find(([key]) => key === name)?.[1];
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };

  let signed: { credential?: string; amzDate?: string; signedHeaders?: string; signature?: string; payload: string };
  if (param('X-Amz-Algorithm') !== undefined) {
    if (param('X-Amz-Algorithm') !== ALGORITHM) return 'X-Amz-Algorithm is not AWS4-HMAC-SHA256';
    signed = { credential: param('X-Amz-Credential'), amzDate: param('X-Amz-Date'), signedHeaders: param('X-Amz-SignedHeaders'), signature: param('X-Amz-Signature'), payload: 'UNSIGNED-PAYLOAD' };
  } else {
    const authorization = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(header('authorization') ?? '');
    if (!authorization) return 'not a presigned URL and no SigV4 Authorization header';
    const payload = header('x-amz-content-sha256') ?? '';
    if (payload !== EMPTY_SHA256 && payload !== 'UNSIGNED-PAYLOAD') return 'a signed read has an empty body';
    signed = { credential: authorization[1], signedHeaders: authorization[2], signature: authorization[3], amzDate: header('x-amz-date'), payload };
  }
  const problem = credentialProblem(signed.credential, signed.amzDate, creds);
  if (problem) return problem;
  const amzDate = signed.amzDate!;
  if (param('X-Amz-Algorithm') !== undefined) {
    const expires = Number(param('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) return 'X-Amz-Expires is missing or out of range';
    if (now > amzDateMs(amzDate) + expires * 1000) return 'the presigned URL has expired';
  } else if (Math.abs(now - amzDateMs(amzDate)) > HEADER_SIGNATURE_MAX_AGE_MS) {
    return 'the signature is too old';
  }
  const { signedHeaders, signature } = signed;
  if (!signedHeaders || !signature || !signedHeaders.split(';').includes('host')) return 'the request is not signed (with its host)';

  const canonicalQuery = pairs
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [sigV4Encode(key), sigV4Encode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((name) => {
      const value = req.headers[name];
      return `${name}:${(Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [req.method, path, canonicalQuery, canonicalHeaders, signedHeaders, signed.payload].join('\n');
  const scope = signed.credential!.split('/').slice(1).join('/');
  const stringToSign = [ALGORITHM, amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const expected = hmac(signingKey(creds.secretAccessKey, amzDate.slice(0, 8), creds.region), stringToSign).toString('hex');
  return sameHex(signature, expected) ? undefined : 'the signature does not match';
}

type Condition = Record<string, string> | [string, ...unknown[]];

/** One part of a multipart form, in the order sent: a text field, or a file (only its size matters here). */
export type FormPart = { name: string; value: string } | { name: string; file: { size: number } };

export interface PostUpload {
  /** The bucket of the URL posted to. */
  bucket: string;
  /** Every part of the form, in order, names as sent (S3 compares them case-insensitively). */
  parts: FormPart[];
}

/**
 * Why this form's shape is ambiguous, or undefined: each field once (case-insensitively), exactly one part
 * (`file`) carrying a file, and it last. S3 ignores whatever follows the file and the emulator reads `key`
 * case-sensitively, so a second `key` after the file, or a `Key` beside a `key`, would let the policy be
 * checked against one value while another is stored.
 */
export function formShapeProblem(parts: FormPart[]): string | undefined {
  const seen = new Set<string>();
  let fileSeen = false;
  for (const part of parts) {
    const name = part.name.toLowerCase();
    if (fileSeen) return `form field ${name} comes after the file`;
    if (seen.has(name)) return `form field ${name} is sent more than once`;
    seen.add(name);
    if ('file' in part) {
      if (name !== 'file') return `form field ${name} carries a file; only the file field may`;
      fileSeen = true;
    } else if (name === 'file') {
      return 'the file field carries text, not a file';
    }
  }
  return undefined;
}

/** Why S3 would refuse this presigned POST upload, or undefined when every rule of its policy holds. */
export function presignedPostProblem(upload: PostUpload, creds: S3Credentials, now = Date.now()): string | undefined {
  const shape = formShapeProblem(upload.parts);
  if (shape) return shape;
  const field = new Map<string, string>();
  let fileBytes: number | undefined;
  for (const part of upload.parts) {
    if ('file' in part) fileBytes = part.file.size;
    else field.set(part.name.toLowerCase(), part.value);
  }
  if (field.get('x-amz-algorithm') !== ALGORITHM) return 'not a SigV4 POST (x-amz-algorithm)';
  const policyText = field.get('policy');
  const signature = field.get('x-amz-signature');
  if (!policyText || !signature) return 'no policy or signature';
  const amzDate = field.get('x-amz-date');
  const problem = credentialProblem(field.get('x-amz-credential'), amzDate, creds);
  if (problem) return problem;
  const expected = hmac(signingKey(creds.secretAccessKey, amzDate!.slice(0, 8), creds.region), policyText).toString('hex');
  if (!sameHex(signature, expected)) return 'the policy signature does not match';
  if (fileBytes === undefined) return 'no file';

  let policy: { expiration?: string; conditions?: Condition[] };
  try {
    policy = JSON.parse(Buffer.from(policyText, 'base64').toString('utf8'));
  } catch {
    return 'the policy is not JSON';
  }
  const expiration = Date.parse(policy.expiration ?? '');
  if (!Number.isFinite(expiration) || now > expiration) return 'the policy has expired';

  // The bucket is a field of the URL, not the form; S3 checks it like one.
  const values = new Map(field);
  values.set('bucket', upload.bucket);
  const covered = new Set<string>(['bucket']);
  for (const condition of policy.conditions ?? []) {
    if (!Array.isArray(condition)) {
      for (const [name, value] of Object.entries(condition)) {
        covered.add(name.toLowerCase());
        if (values.get(name.toLowerCase()) !== value) return `${name} must be ${value}`;
      }
      continue;
    }
    const [operator, target, ...args] = condition;
    if (operator === 'content-length-range') {
      const [min, max] = [Number(target), Number(args[0])];
      if (fileBytes < min || fileBytes > max) return `the file is ${fileBytes} bytes; the policy allows ${min}–${max}`;
      continue;
    }
    if (typeof target !== 'string' || !target.startsWith('$')) return `policy condition ${JSON.stringify(condition)} is not understood`;
    const name = target.slice(1).toLowerCase();
    covered.add(name);
    const value = values.get(name) ?? '';
    const expected = String(args[0] ?? '');
    if (operator === 'eq' && value !== expected) return `${target.slice(1)} must be ${expected}`;
    if (operator === 'starts-with' && !value.startsWith(expected)) return `${target.slice(1)} must start with ${expected}`;
    if (operator !== 'eq' && operator !== 'starts-with') return `policy operator ${String(operator)} is not understood`;
  }
  for (const name of field.keys()) {
    const exempt = name === 'policy' || name === 'x-amz-signature' || name === 'file' || name.startsWith('x-ignore-');
    if (!exempt && !covered.has(name)) return `form field ${name} is not allowed by the policy`;
  }
  return undefined;
}
