import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { CHANNELS } from '../domain/channel.js';
import { DEFAULT_FAILOVER_ON, MAX_FLOW_STEPS, type ScenarioStep } from '../domain/flow.js';
import { isFinal, STATUS_GROUPS } from '../domain/status.js';
import type { Database, ScenarioRow } from '../db/schema.js';
import { NotFoundError, parseInput } from './errors.js';
import { decodePageArgs, toPage, type Page, type PageArgs } from './pagination.js';
import { validityPeriodSchema } from './rules.js';

const stepSchema = z
  .object({
    channel: z.enum(CHANNELS, { message: `must be one of ${CHANNELS.join(', ')}` }),
    from: z.string().trim().min(1, 'must not be empty').max(28, 'must be at most 28 characters'),
    validityPeriod: validityPeriodSchema.nullish(),
    failoverOn: z
      .array(z.enum(STATUS_GROUPS).refine(isFinal, 'must be a final status group (REJECTED, UNDELIVERABLE, EXPIRED, DELIVERED)'))
      .nullish(),
    connectionId: z.string().uuid('must be a provider connection id').nullish(),
  })
  .superRefine((step, ctx) => {
    // SMS sender ids are alphanumeric up to 11 characters or numeric up to 15 digits (GSM 03.40).
    if (step.channel === 'SMS' && !/^\+?\d{1,15}$/.test(step.from) && !/^[A-Za-z0-9 ._-]{1,11}$/.test(step.from)) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be up to 11 letters and digits or up to 15 digits for SMS' });
    }
  });

const flowSchema = z
  .array(stepSchema)
  .min(1, 'must have at least 1 step')
  .max(MAX_FLOW_STEPS, `must have at most ${MAX_FLOW_STEPS} steps`);

const nameSchema = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

const createSchema = z.object({ name: nameSchema, flow: flowSchema, isDefault: z.boolean().nullish() });
const updateSchema = z.object({ name: nameSchema.nullish(), flow: flowSchema.nullish(), isDefault: z.boolean().nullish() });

export type CreateScenarioInput = z.input<typeof createSchema>;
export type UpdateScenarioInput = z.input<typeof updateSchema>;

function toSteps(flow: z.output<typeof flowSchema>): ScenarioStep[] {
  return flow.map((s) => ({
    channel: s.channel,
    from: s.from,
    validitySeconds: s.validityPeriod ?? null,
    failoverOn: s.failoverOn ?? DEFAULT_FAILOVER_ON,
    connectionId: s.connectionId ?? null,
  }));
}

/** Scenario keys look like Infobip's: 32 upper-case hex characters. */
function newScenarioKey(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/**
 * Serialises changes of an account's default scenario. Row locks alone do not: a transaction waiting on
 * the old default's lock finds it no longer default once it gets it, sees no default, and inserts a second
 * one, which the unique index refuses as an internal error.
 */
async function lockDefault(trx: Kysely<Database>, accountId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`omnigate:scenario-default:${accountId}`}, 0))`.execute(trx);
}

export class ScenarioService {
  constructor(private readonly db: Kysely<Database>) {}

  async create(accountId: string, raw: CreateScenarioInput): Promise<ScenarioRow> {
    const input = parseInput(createSchema, raw, ['input']);
    return this.db.transaction().execute(async (trx) => {
      await lockDefault(trx, accountId);
      const hasDefault = await trx
        .selectFrom('scenario')
        .select('id')
        .where('accountId', '=', accountId)
        .where('isDefault', '=', true)
        .forUpdate()
        .executeTakeFirst();
      // The account's first scenario becomes its default, so a send never lacks one.
      const makeDefault = input.isDefault === true || !hasDefault;
      if (makeDefault && hasDefault) {
        await trx.updateTable('scenario').set({ isDefault: false, updatedAt: new Date() }).where('id', '=', hasDefault.id).execute();
      }
      return trx
        .insertInto('scenario')
        .values({ accountId, key: newScenarioKey(), name: input.name, isDefault: makeDefault, flow: JSON.stringify(toSteps(input.flow)) })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  }

  async update(accountId: string, key: string, raw: UpdateScenarioInput): Promise<ScenarioRow> {
    const input = parseInput(updateSchema, raw, ['input']);
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('scenario')
        .selectAll()
        .where('accountId', '=', accountId)
        .where('key', '=', key)
        .forUpdate()
        .executeTakeFirst();
      if (!existing) throw new NotFoundError('Scenario', key);
      if (input.isDefault === true && !existing.isDefault) {
        await lockDefault(trx, accountId);
        await trx
          .updateTable('scenario')
          .set({ isDefault: false, updatedAt: new Date() })
          .where('accountId', '=', accountId)
          .where('isDefault', '=', true)
          .execute();
      }
      return trx
        .updateTable('scenario')
        .set({
          name: input.name ?? existing.name,
          flow: JSON.stringify(input.flow ? toSteps(input.flow) : existing.flow),
          // Un-defaulting is done by making another scenario the default, never by leaving none.
          isDefault: input.isDefault === true ? true : existing.isDefault,
          updatedAt: new Date(),
        })
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  }

  /** Messages already accepted keep their own copy of the flow, so deleting never disturbs them. */
  async delete(accountId: string, key: string): Promise<ScenarioRow> {
    const deleted = await this.db
      .deleteFrom('scenario')
      .where('accountId', '=', accountId)
      .where('key', '=', key)
      .returningAll()
      .executeTakeFirst();
    if (!deleted) throw new NotFoundError('Scenario', key);
    return deleted;
  }

  async get(accountId: string, key: string): Promise<ScenarioRow | null> {
    const row = await this.db.selectFrom('scenario').selectAll().where('accountId', '=', accountId).where('key', '=', key).executeTakeFirst();
    return row ?? null;
  }

  async getDefault(accountId: string): Promise<ScenarioRow | null> {
    const row = await this.db
      .selectFrom('scenario')
      .selectAll()
      .where('accountId', '=', accountId)
      .where('isDefault', '=', true)
      .executeTakeFirst();
    return row ?? null;
  }

  async list(accountId: string, args: PageArgs): Promise<Page<ScenarioRow>> {
    const { limit, beforeId } = decodePageArgs('scenario', args);
    let q = this.db.selectFrom('scenario').selectAll().where('accountId', '=', accountId);
    if (beforeId) q = q.where('id', '<', beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
    return toPage('scenario', rows, limit);
  }
}
