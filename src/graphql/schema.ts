import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './errors.js';
import './status.js';
import './scenario.js';
import './message.js';
import './bulk.js';
import './send.js';
import './account.js';
import './api-key.js';
import './provider-connection.js';
import './inbound.js';
import './events.js';
import './sms.js';
import './conversation.js';

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export const schema: GraphQLSchema = builder.toSchema();

/** The SDL checked in at schema/schema.graphql, sorted so diffs show real changes only. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
