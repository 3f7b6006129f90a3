import { z } from 'zod';
import type { ViberContent } from '../domain/content.js';

/**
 * The `viber` input: exactly one content type, fields named as in the domain so provider problems map
 * straight back to input paths. Only shape is checked here; limits depend on the provider that carries
 * the step and are checked against it (src/providers/content-rules.ts).
 */
const str = z.string().min(1, 'must not be empty');
const optionalStr = z.string().nullish();

const button = z.object({ text: str, url: str });

/** Nulls (GraphQL's "not given") are dropped so stored content has only what was set. */
function withoutNulls<T extends Record<string, unknown>>(v: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined)) as { [K in keyof T]: Exclude<T[K], null> };
}

const keyboardButton = z
  .object({
    actionType: z.enum(['REPLY', 'OPEN_URL']),
    actionBody: str,
    text: optionalStr,
    imageUrl: optionalStr,
    columns: z.number().int('must be a whole number').nullish(),
    rows: z.number().int('must be a whole number').nullish(),
    bgColor: optionalStr,
  })
  .transform(withoutNulls);

// Shape only: which providers can carry a keyboard, and its limits, are each provider's rule (validate.ts).
const keyboard = z
  .object({
    buttons: z.array(keyboardButton).min(1, 'must have at least 1 button'),
    defaultHeight: z.boolean().nullish(),
    bgColor: optionalStr,
  })
  .transform(withoutNulls);

// Every content type takes a keyboard (`viber.<type>.keyboard`), so a refusal names the type it came with.
const withKeyboard = { keyboard: keyboard.nullish() };

const viberVariants = {
  // No length cap here: the limit is the carrying provider's, and its check names it.
  text: z.object({ text: str, ...withKeyboard }),
  image: z.object({ url: str, text: optionalStr, thumbnailUrl: optionalStr, ...withKeyboard }),
  video: z.object({
    url: str,
    sizeBytes: z.number().int('must be a whole number').positive('must be positive'),
    durationSeconds: z.number().int('must be a whole number').positive('must be positive').nullish(),
    thumbnailUrl: optionalStr,
    text: optionalStr,
    ...withKeyboard,
  }),
  file: z.object({ url: str, sizeBytes: z.number().int('must be a whole number').positive('must be positive'), fileName: str, ...withKeyboard }),
  carousel: z.object({
    altText: optionalStr,
    items: z.array(z.object({ title: str, imageUrl: str, buttonText: str, buttonUrl: str })).min(1, 'must have at least 1 item'),
    ...withKeyboard,
  }),
  location: z.object({
    latitude: z.number().min(-90, 'must be between -90 and 90').max(90, 'must be between -90 and 90'),
    longitude: z.number().min(-180, 'must be between -180 and 180').max(180, 'must be between -180 and 180'),
    ...withKeyboard,
  }),
  contact: z.object({ name: str, phoneNumber: str, avatarUrl: optionalStr, ...withKeyboard }),
  sticker: z.object({ stickerId: z.number().int('must be a whole number').positive('must be positive'), ...withKeyboard }),
  url: z.object({ url: str, ...withKeyboard }),
  rich: z.object({ text: str, imageUrl: str, button, ...withKeyboard }),
};

export type ViberInputKey = keyof typeof viberVariants;

export const viberContentSchema = z
  .object(Object.fromEntries(Object.entries(viberVariants).map(([k, v]) => [k, v.nullish()])) as { [K in ViberInputKey]: z.ZodOptional<z.ZodNullable<(typeof viberVariants)[K]>> })
  .transform((input, ctx): { key: ViberInputKey; content: ViberContent } => {
    const given = (Object.keys(viberVariants) as ViberInputKey[]).filter((k) => input[k] != null);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `must set exactly one content type (${Object.keys(viberVariants).join(', ')})` });
      return z.NEVER;
    }
    const key = given[0]!;
    return { key, content: toContent(key, input[key] as never) };
  });

function toContent(key: ViberInputKey, v: Record<string, unknown>): ViberContent {
  const clean = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined));
  const type = ({ text: 'TEXT', image: 'IMAGE', video: 'VIDEO', file: 'FILE', carousel: 'CAROUSEL', location: 'LOCATION', contact: 'CONTACT', sticker: 'STICKER', url: 'URL', rich: 'RICH' } as const)[key];
  return { type, ...clean } as ViberContent;
}
