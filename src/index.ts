/**
 * index - the importable API for Node senders (`import { signReturnPath } from 'rebound'`).
 * In/out: see verp/verp.ts (plain VERP, wrapper stripping) and verp/sign.ts (signed VERP).
 * Nothing here opens files or sockets at import time.
 */
export { encodeVerp, decodeVerp, stripWrappers, DEFAULT_VERP } from './verp/verp.js';
export type { VerpOptions, DecodedVerp } from './verp/verp.js';
export { signReturnPath, verifyReturnPath, checkReturnPath, learnReturnPaths } from './verp/sign.js';
export type { SignOptions, CheckOptions, VerpKey, VerifyResult, VerifyStatus, RcptDecision } from './verp/sign.js';
export type { ReturnPathVerdict } from './types.js';
export { DaemonError, isTemporary } from './errors.js';
export type { ErrorCode } from './errors.js';
