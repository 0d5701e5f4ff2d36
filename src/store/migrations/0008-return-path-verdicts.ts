/**
 * migrations/0008-return-path-verdicts - `messages.return_paths`: what intake learned from the
 * envelope's return paths when the message arrived (types.ts ReturnPathVerdict), as a JSON array
 * with one object per judged recipient: {"returnPath", "address", "status", "verified",
 * "mayChangeState"}. SMTP/LMTP write their RCPT decision, IMAP and files what their envelope
 * builder judged; '[]' = nothing to judge (a file has no envelope recipients). The pipeline
 * attributes from it and never decodes a token again, so `rebound reprocess` decides as intake
 * did, whatever keys the config holds today.
 *
 * Rows stored before this step have NULL: the store judges their rcpt_to on read with the
 * verp.* config it was opened with (store/messages.ts, the legacy path), as every pipeline did
 * before. Nothing is rewritten here, so the step is instant whatever the table's size.
 *
 * Portable SQL (steps.ts translates it for PostgreSQL). docs/SCHEMA.md.
 */
export const sql = `
ALTER TABLE messages ADD COLUMN return_paths TEXT;
`;
