/** `npm run docs:config`: writes docs/configuration.md from the config schema. */
import { writeFileSync } from 'node:fs';
import { configReference } from '../src/config/reference.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), configReference());
