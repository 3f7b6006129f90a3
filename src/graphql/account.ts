import { builder } from './builder.js';
import { MUTATION_ERRORS } from './errors.js';

interface AccountView {
  name: string;
  deliveryWebhookUrl: string | null;
  webhookSecret: string;
}

const AccountType = builder.objectRef<AccountView>('Account').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    deliveryWebhookUrl: t.exposeString('deliveryWebhookUrl', {
      nullable: true,
      description: 'Default URL for final delivery reports of sends that name none.',
    }),
    webhookSigningSecret: t.exposeString('webhookSecret', {
      description: 'Key of the HMAC-SHA256 in X-Omnigate-Signature on every report push.',
    }),
  }),
});

const UpdateAccountInput = builder.inputType('UpdateAccountInput', {
  fields: (t) => ({ deliveryWebhookUrl: t.string({ description: 'null removes the default.' }) }),
});

builder.queryFields((t) => ({
  account: t.field({ type: AccountType, resolve: (_root, _args, ctx) => ctx.services.accounts.settings(ctx.account.id) }),
}));

builder.mutationFields((t) => ({
  updateAccount: t.field({
    type: AccountType,
    args: { input: t.arg({ type: UpdateAccountInput, required: true }) },
    errors: { types: MUTATION_ERRORS, result: { name: 'UpdateAccountSuccess' }, union: { name: 'UpdateAccountResult' }, dataField: { name: 'account' } },
    resolve: async (_root, { input }, ctx) => {
      await ctx.services.accounts.updateSettings(ctx.account.id, input);
      ctx.services.reportPush.forgetDefaultUrl(ctx.account.id);
      return ctx.services.accounts.settings(ctx.account.id);
    },
  }),
  rotateWebhookSigningSecret: t.field({
    type: AccountType,
    resolve: async (_root, _args, ctx) => {
      await ctx.services.accounts.rotateWebhookSecret(ctx.account.id);
      return ctx.services.accounts.settings(ctx.account.id);
    },
  }),
}));
