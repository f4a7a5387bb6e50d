import { register } from 'node:module';

register('./tfjs-resolve-hooks.mjs', import.meta.url);
