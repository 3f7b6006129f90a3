import { writeFileSync } from 'node:fs';
import { printSortedSchema } from './schema.js';

writeFileSync(new URL('../../schema/schema.graphql', import.meta.url), printSortedSchema());
