import { NotFoundError, ValidationError, type FieldError } from '../messaging/errors.js';
import { builder } from './builder.js';

export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure, returned as data in a mutation result.',
  fields: (t) => ({ message: t.exposeString('message') }),
});

const FieldErrorType = builder.objectRef<FieldError>('FieldError').implement({
  description: 'One broken rule: the path of the offending field from the operation arguments, and the rule.',
  fields: (t) => ({
    path: t.exposeStringList('path'),
    message: t.exposeString('message'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input broke one or more rules; nothing was stored.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ fieldErrors: t.field({ type: [FieldErrorType], resolve: (e) => e.fieldErrors }) }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The key names nothing in this account.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ resource: t.exposeString('resource'), key: t.exposeString('key') }),
});

export const MUTATION_ERRORS = [ValidationError, NotFoundError];
