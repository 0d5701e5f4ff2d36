import { exim } from './exim.js';
import { opensmtpd } from './opensmtpd.js';
import { postfix } from './postfix.js';
import { sendmail } from './sendmail.js';
import type { MtaDriver } from './types.js';

export const drivers: MtaDriver[] = [postfix, exim, opensmtpd, sendmail];
