/**
 * reasons - the order in which phrase tables are tried, and the provider list. Order matters: the
 * first table whose alternation matches decides (a table's refine may redirect or pass).
 * In: the tables in phrases/ and providers/. Out: compiled, ordered matchers. Config keys: none.
 *
 * Why this order: specific mailbox states first (full, too big, disabled, moved), then sender-side
 * causes that often also mention the recipient (relay, SPF/DKIM/DMARC, PTR, RFC 5322), then the
 * spam/reputation family, which must beat "user unknown"-style words (a blocklist reply sometimes
 * says "recipient rejected"), then our sender address, then the address itself, then filters,
 * policy and TLS, the domain (whose temporary DNS failures hostunknown's refine hands to
 * networkerror), volume, blocks by host, and the weak and generic texts (a bare "access denied",
 * timeouts, system errors) last.
 */
import type { CompiledPhrases, Provider, ReasonPhrases } from './rules.js';
import { compilePhrases } from './rules.js';
import { table as authfailure } from './phrases/authfailure.js';
import { table as badreputation } from './phrases/badreputation.js';
import { table as blocked } from './phrases/blocked.js';
import { table as contenterror } from './phrases/contenterror.js';
import { table as exceedlimit } from './phrases/exceedlimit.js';
import { table as expired } from './phrases/expired.js';
import { table as failedstarttls } from './phrases/failedstarttls.js';
import { table as filtered } from './phrases/filtered.js';
import { table as hasmoved } from './phrases/hasmoved.js';
import { table as hostunknown } from './phrases/hostunknown.js';
import { table as mailboxfull } from './phrases/mailboxfull.js';
import { table as mailererror } from './phrases/mailererror.js';
import { table as mesgtoobig } from './phrases/mesgtoobig.js';
import { table as networkerror } from './phrases/networkerror.js';
import { table as norelaying } from './phrases/norelaying.js';
import { table as notaccept } from './phrases/notaccept.js';
import { table as notcompliantrfc } from './phrases/notcompliantrfc.js';
import { table as policyviolation } from './phrases/policyviolation.js';
import { table as rejected } from './phrases/rejected.js';
import { table as requireptr } from './phrases/requireptr.js';
import { table as securityerror } from './phrases/securityerror.js';
import { table as spamdetected } from './phrases/spamdetected.js';
import { table as speeding } from './phrases/speeding.js';
import { table as suppressed } from './phrases/suppressed.js';
import { table as suspend } from './phrases/suspend.js';
import { table as syntaxerror } from './phrases/syntaxerror.js';
import { table as systemerror } from './phrases/systemerror.js';
import { table as systemfull } from './phrases/systemfull.js';
import { table as toomanyconn } from './phrases/toomanyconn.js';
import { table as userunknown } from './phrases/userunknown.js';
import { table as virusdetected } from './phrases/virusdetected.js';
import { provider as apple } from './providers/apple.js';
import { provider as att } from './providers/att.js';
import { provider as barracuda } from './providers/barracuda.js';
import { provider as cloudflare } from './providers/cloudflare.js';
import { provider as comcast } from './providers/comcast.js';
import { provider as cox } from './providers/cox.js';
import { provider as facebook } from './providers/facebook.js';
import { provider as godaddy } from './providers/godaddy.js';
import { provider as gmx } from './providers/gmx.js';
import { provider as google } from './providers/google.js';
import { provider as kddi } from './providers/kddi.js';
import { provider as mailru } from './providers/mailru.js';
import { provider as messagelabs } from './providers/messagelabs.js';
import { provider as microsoft } from './providers/microsoft.js';
import { provider as mimecast } from './providers/mimecast.js';
import { provider as nttdocomo } from './providers/nttdocomo.js';
import { provider as orange } from './providers/orange.js';
import { provider as proofpoint } from './providers/proofpoint.js';
import { provider as spectrum } from './providers/spectrum.js';
import { provider as tOnline } from './providers/t-online.js';
import { provider as tencent } from './providers/tencent.js';
import { provider as yahoo } from './providers/yahoo.js';
import { provider as yandex } from './providers/yandex.js';
import { provider as zoho } from './providers/zoho.js';

/** Phrase tables in the order they are tried. */
export const PHRASE_TABLES: readonly ReasonPhrases[] = [
  suppressed,
  mailboxfull,
  exceedlimit,
  mesgtoobig,
  suspend,
  hasmoved,
  norelaying,
  authfailure,
  requireptr,
  notcompliantrfc,
  badreputation,
  virusdetected,
  spamdetected,
  rejected,
  userunknown,
  filtered,
  contenterror,
  policyviolation,
  failedstarttls,
  hostunknown,
  notaccept,
  toomanyconn,
  speeding,
  blocked,
  systemfull,
  networkerror,
  expired,
  securityerror,
  mailererror,
  syntaxerror,
  systemerror,
];

export const COMPILED: readonly CompiledPhrases[] = PHRASE_TABLES.map(compilePhrases);

/** Providers, tried in this order; the first one recognised by host (or mark) is asked. */
export const PROVIDERS: readonly Provider[] = [
  google,
  microsoft,
  yahoo,
  apple,
  kddi,
  nttdocomo,
  orange,
  cox,
  spectrum,
  comcast,
  att,
  tencent,
  zoho,
  cloudflare,
  facebook,
  messagelabs,
  mimecast,
  godaddy,
  tOnline,
  barracuda,
  gmx,
  mailru,
  yandex,
  proofpoint,
];
