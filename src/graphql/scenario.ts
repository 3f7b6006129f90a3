import type { ScenarioStep } from '../domain/flow.js';
import type { ScenarioRow } from '../db/schema.js';
import { DEFAULT_VALIDITY_SECONDS } from '../domain/validity.js';
import { builder } from './builder.js';
import { toConnection } from './connection.js';
import { MUTATION_ERRORS } from './errors.js';
import { ChannelEnum, StatusGroupEnum, ValidityPeriodInput, ValidityPeriodType } from './status.js';

const ScenarioStepType = builder.objectRef<ScenarioStep>('ScenarioStep').implement({
  fields: (t) => ({
    channel: t.expose('channel', { type: ChannelEnum }),
    from: t.exposeString('from'),
    validityPeriod: t.field({
      type: ValidityPeriodType,
      description: "The step's validity; the channel default (Viber 24 h, SMS 48 h) when not set.",
      resolve: (s) => s.validitySeconds ?? DEFAULT_VALIDITY_SECONDS[s.channel],
    }),
    failoverOn: t.field({
      type: [StatusGroupEnum],
      description: 'Final outcomes of this step that move the message on to the next step.',
      resolve: (s) => s.failoverOn,
    }),
    connectionId: t.string({ nullable: true, resolve: (s) => s.connectionId ?? null }),
  }),
});

export const ScenarioType = builder.objectRef<ScenarioRow>('Scenario').implement({
  description: 'An ordered flow of channel steps a message tries until one succeeds.',
  fields: (t) => ({
    key: t.exposeString('key', { description: '32 upper-case hex characters.' }),
    name: t.exposeString('name'),
    isDefault: t.exposeBoolean('isDefault'),
    flow: t.field({ type: [ScenarioStepType], resolve: (s) => s.flow }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ScenarioStepInput = builder.inputType('ScenarioStepInput', {
  fields: (t) => ({
    channel: t.field({ type: ChannelEnum, required: true }),
    from: t.string({ required: true, description: 'Viber sender name (≤28) or SMS sender id (≤11 letters or ≤15 digits).' }),
    validityPeriod: t.field({ type: ValidityPeriodInput }),
    failoverOn: t.field({
      type: [StatusGroupEnum],
      description: 'Defaults to [REJECTED, UNDELIVERABLE, EXPIRED].',
    }),
    connectionId: t.string({ description: "Provider connection that carries this step; the account's first one for the channel when absent." }),
  }),
});

const CreateScenarioInput = builder.inputType('CreateScenarioInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    flow: t.field({ type: [ScenarioStepInput], required: true, description: '1 to 5 steps.' }),
    isDefault: t.boolean({ description: "The account's first scenario is always made its default." }),
  }),
});

const UpdateScenarioInput = builder.inputType('UpdateScenarioInput', {
  fields: (t) => ({
    name: t.string(),
    flow: t.field({ type: [ScenarioStepInput] }),
    isDefault: t.boolean({ description: 'true makes this the default; the previous default stops being one.' }),
  }),
});

builder.queryFields((t) => ({
  scenario: t.field({
    type: ScenarioType,
    nullable: true,
    args: { key: t.arg.string({ required: true }) },
    resolve: (_root, { key }, ctx) => ctx.services.scenarios.get(ctx.account.id, key),
  }),
  scenarios: t.connection({
    type: ScenarioType,
    resolve: async (_root, args, ctx) => toConnection(await ctx.services.scenarios.list(ctx.account.id, args)),
  }),
}));

builder.mutationFields((t) => ({
  createScenario: t.field({
    type: ScenarioType,
    args: { input: t.arg({ type: CreateScenarioInput, required: true }) },
    errors: {
      types: MUTATION_ERRORS,
      result: { name: 'CreateScenarioSuccess' },
      union: { name: 'CreateScenarioResult' },
      dataField: { name: 'scenario' },
    },
    resolve: (_root, { input }, ctx) => ctx.services.scenarios.create(ctx.account.id, input),
  }),
  updateScenario: t.field({
    type: ScenarioType,
    args: { key: t.arg.string({ required: true }), input: t.arg({ type: UpdateScenarioInput, required: true }) },
    errors: {
      types: MUTATION_ERRORS,
      result: { name: 'UpdateScenarioSuccess' },
      union: { name: 'UpdateScenarioResult' },
      dataField: { name: 'scenario' },
    },
    resolve: (_root, { key, input }, ctx) => ctx.services.scenarios.update(ctx.account.id, key, input),
  }),
  deleteScenario: t.field({
    type: ScenarioType,
    args: { key: t.arg.string({ required: true }) },
    errors: {
      types: MUTATION_ERRORS,
      result: { name: 'DeleteScenarioSuccess' },
      union: { name: 'DeleteScenarioResult' },
      dataField: { name: 'scenario' },
    },
    resolve: (_root, { key }, ctx) => ctx.services.scenarios.delete(ctx.account.id, key),
  }),
}));
