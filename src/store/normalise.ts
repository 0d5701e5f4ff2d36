/**
 * store/normalise - the store's key for an address is the normal form of src/address/normal.ts
 * (docs/STATE-RULES.md "Address normalisation"); re-exported here for the store's callers.
 */
export { normaliseAddress, normaliseGeneral } from '../address/normal.js';
