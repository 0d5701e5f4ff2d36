/**
 * address - text that names a mailbox: how bytes at an edge become address text (text.ts) and the
 * one normal form every address is stored and looked up in (normal.ts). Used by intake, parse,
 * store, control and verp; docs/STATE-RULES.md "Address normalisation" states the rules.
 */
export {
  asciiDomain,
  asciiSpelling,
  foldCase,
  needsSmtputf8,
  normaliseAddress,
  normaliseDomain,
  normaliseGeneral,
  normaliseLocal,
  splitMailbox,
  unquoteLocal,
} from './normal.js';
export { mailboxProblem } from './syntax.js';
export { bytesOfText, decodeAddressEscapes, decodeEncodedWords, fieldsText, isMarked, readTypedAddress, textFromBinary, textFromBytes } from './text.js';
