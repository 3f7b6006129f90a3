import BigNumber from 'bignumber.js';

/**
 * What a provider charged, as it reported it. `pricePerMessage` is a decimal string (stored as numeric)
 * so sums stay exact; it is per message part, as Infobip reports it next to `messageCount`.
 */
export interface Price {
  pricePerMessage: string;
  currency: string;
}

/** The billing facts an attempt keeps; null where its provider reported none. */
export interface AttemptBilling {
  pricePerMessage: string | null;
  priceCurrency: string | null;
  messageCount: number | null;
}

export function attemptPrice(attempt: AttemptBilling): Price | null {
  if (attempt.pricePerMessage === null || attempt.priceCurrency === null) return null;
  return { pricePerMessage: attempt.pricePerMessage, currency: attempt.priceCurrency };
}

/**
 * What a message cost in all: each attempt's price per part times its parts (one when the provider gave
 * no count), summed. Known only when EVERY attempt has a price and all share one currency; a partial
 * sum would understate the bill, and a mixed-currency sum means nothing, so both are null.
 */
export function messagePrice(attempts: readonly AttemptBilling[]): Price | null {
  if (attempts.length === 0) return null;
  const currency = attempts[0]!.priceCurrency;
  let total = new BigNumber(0);
  for (const a of attempts) {
    if (a.pricePerMessage === null || a.priceCurrency === null || a.priceCurrency !== currency) return null;
    const perPart = new BigNumber(a.pricePerMessage);
    if (!perPart.isFinite()) return null;
    total = total.plus(perPart.times(a.messageCount ?? 1));
  }
  return { pricePerMessage: total.toFixed(), currency: currency! };
}
