import { z } from 'zod';
import type { InfobipPlatform } from '../domain/sending-options.js';

// Assumed: Infobip's message APIs document no length for these ids; 255 keeps an obvious mistake (a pasted
// document) off the wire without refusing any id its application-management API would create.
const platformId = z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters');

/** `platform {entityId, applicationId}` of a send: at least one id, nulls dropped. */
export const infobipPlatformSchema = z
  .object({ entityId: platformId.nullish(), applicationId: platformId.nullish() })
  .refine((p) => p.entityId || p.applicationId, 'must have an entityId or an applicationId')
  .transform(
    (p): InfobipPlatform => ({
      ...(p.entityId ? { entityId: p.entityId } : {}),
      ...(p.applicationId ? { applicationId: p.applicationId } : {}),
    }),
  );
